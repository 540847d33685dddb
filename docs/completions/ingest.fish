function __ingest_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ingest_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __ingest_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __ingest_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __ingest_parse_tokens -S
    set -l unparsed_tokens (__ingest_tokens -pc)
    switch $unparsed_tokens[1]
    case 'ingest'
        __ingest_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'submit'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'id=' 'include=+' 'exclude=+' 'chunk-size=' 'overlap=' 'embedder=' 'dimension=' 'embed-timeout=' 'max-file-size=' 'no-follow-symlinks' 'version' 'h/help'
        case 'run'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'max-time=' 'workers=' 'job=' 'shutdown-grace=' 'max-item-failures=' 'commit-items=' 'commit-interval=' 'min-free-disk=' 'pause-on-battery' 'include=+' 'exclude=+' 'chunk-size=' 'overlap=' 'embedder=' 'dimension=' 'embed-timeout=' 'max-file-size=' 'no-follow-symlinks' 'metrics-file=' 'metrics-interval=' 'progress=' 'progress-interval=' 'version' 'h/help'
        case 'status'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'json' 'version' 'h/help'
        case 'list'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'status=' 'json' 'version' 'h/help'
        case 'pause'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'resume'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'retry'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'history'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'json' 'version' 'h/help'
        case 'search'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'k=' 'mode=' 'json' 'version' 'h/help'
        case 'export'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'job=' 'version' 'h/help'
        case 'verify'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'json' 'version' 'h/help'
        case 'backup'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'metrics'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'watch'
            __ingest_parse_subcommand 1 'store=' 'log-level=' 'log-format=' 'interval=' 'once' 'version' 'h/help'
        case 'gc'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'older-than=' 'status=+' 'keep-last=' 'dry-run' 'json' 'version' 'h/help'
        case 'compact'
            __ingest_parse_subcommand 0 'store=' 'log-level=' 'log-format=' 'version' 'h/help'
        case 'help'
            __ingest_parse_subcommand -r 1 'version'
        end
    end
end

function __ingest_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __ingest_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __ingest_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __ingest_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__ingest_tokens -p)
    if test -z "$(__ingest_tokens -t)"
        set -l index (count (__ingest_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'ingest' -f
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'submit' -d 'Create a job that ingests SOURCE (a directory or a file) and print its id.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'run' -d 'Run runnable jobs until none is left or the budget ends.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'status' -d 'Show one job in detail, or a summary of all jobs.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'list' -d 'List jobs, one line each.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'pause' -d 'Hold a job: its running phases pause with reason `user` and no runner picks it up until `ingest resume`.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'resume' -d 'Release a user hold; the next `ingest run` continues the job from its checkpoint.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'retry' -d 'Restart a failed job\'s failed phases from their checkpoints; the next `ingest run` continues it.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'history' -d 'Show a job\'s journal: every transition, oldest first.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'search' -d 'Search the index for QUERY.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'export' -d 'Print the index as sorted JSON lines, one per chunk, so two stores can be compared byte for byte.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'verify' -d 'Check every job record, phase record and index of the store; exits 65 when something is wrong.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'backup' -d 'Write a compacted copy of the store to DEST (a new or empty directory) and verify it.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'metrics' -d 'Print the store\'s metrics in Prometheus text format (what `run --metrics-file` writes).'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'watch' -d 'Watch the progress of jobs live, beside a running `ingest run`.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'gc' -d 'Remove finished (completed or failed) jobs and their records; pending, running and paused jobs are never touched.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'compact' -d 'Rewrite the store without its free pages and swap it in atomically; refused (75) while a runner has it open.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_positional "ingest" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" id' -l 'id' -d 'Use this job id ([A-Za-z0-9._-], 1 to 128) instead of a generated one.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit"' -l 'include' -d 'Only files matching this glob (repeatable; `*.md`, `docs/**`).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit"' -l 'exclude' -d 'Skip files and directories matching this glob (repeatable).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" chunk-size' -l 'chunk-size' -d 'Chunk size in UTF-8 bytes (default 1000).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" overlap' -l 'overlap' -d 'Bytes of the previous chunk repeated at the start of the next (default 100).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" embedder' -l 'embedder' -d 'hashing-DIM (built in, e.g. hashing-256; the default) or exec:COMMAND (your model, over JSON lines).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" dimension' -l 'dimension' -d 'The vector dimension an exec: embedder returns (default 256).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" embed-timeout' -l 'embed-timeout' -d 'How long an exec: embedder may take per batch (default 30s).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" max-file-size' -l 'max-file-size' -d 'Files larger than this many bytes fail as items (default 16777216).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" no-follow-symlinks' -l 'no-follow-symlinks' -d 'Do not follow symbolic links.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest submit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" max-time' -l 'max-time' -d 'Stop after this long (90s, 5m, 1h30m); exits 75 if work remains.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" workers' -l 'workers' -d 'Items processed at once per phase.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" job' -l 'job' -d 'Run only this job.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" shutdown-grace' -l 'shutdown-grace' -d 'How long running items may take to finish after a stop request.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" max-item-failures' -l 'max-item-failures' -d 'A phase fails once more items than this failed in it.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" commit-items' -l 'commit-items' -d 'Write a group commit once this many items are ready.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" commit-interval' -l 'commit-interval' -d '…or once the oldest ready item has waited this long.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" min-free-disk' -l 'min-free-disk' -d 'Pause with reason disk_full once the store\'s disk has less free space than this (500M, 2G).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" pause-on-battery' -l 'pause-on-battery' -d 'Pause with reason on_battery while the box runs on battery (reads /sys/class/power_supply).'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run"' -l 'include' -d 'Only files matching this glob (repeatable; `*.md`, `docs/**`).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run"' -l 'exclude' -d 'Skip files and directories matching this glob (repeatable).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" chunk-size' -l 'chunk-size' -d 'Chunk size in UTF-8 bytes (default 1000).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" overlap' -l 'overlap' -d 'Bytes of the previous chunk repeated at the start of the next (default 100).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" embedder' -l 'embedder' -d 'hashing-DIM (built in, e.g. hashing-256; the default) or exec:COMMAND (your model, over JSON lines).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" dimension' -l 'dimension' -d 'The vector dimension an exec: embedder returns (default 256).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" embed-timeout' -l 'embed-timeout' -d 'How long an exec: embedder may take per batch (default 30s).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" max-file-size' -l 'max-file-size' -d 'Files larger than this many bytes fail as items (default 16777216).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" no-follow-symlinks' -l 'no-follow-symlinks' -d 'Do not follow symbolic links.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" metrics-file' -l 'metrics-file' -d 'Keep a Prometheus text file here for node_exporter\'s textfile collector (rewritten atomically).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" metrics-interval' -l 'metrics-interval' -d 'How often --metrics-file is rewritten.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" progress' -l 'progress' -d 'Progress on stderr: auto (live lines on a terminal, log lines otherwise), live, lines, none.' -rfka 'auto live lines none'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" progress-interval' -l 'progress-interval' -d 'How often --progress lines prints each job\'s progress.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest run" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" json' -l 'json' -d 'Print JSON.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" status' -l 'status' -d 'Only jobs with this status: pending, running, completed or failed.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" json' -l 'json' -d 'Print JSON: an array of the objects `ingest status ID --json` prints.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest pause" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest pause" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest pause" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest pause" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest pause" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest resume" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest resume" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest resume" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest resume" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest resume" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest retry" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest retry" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest retry" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest retry" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest retry" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" json' -l 'json' -d 'Print JSON.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest history" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" k' -s 'k' -d 'How many results.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" mode' -l 'mode' -d 'bm25, vector or hybrid.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" json' -l 'json' -d 'Print JSON.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" job' -l 'job' -d 'Only the chunks of this job\'s source.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" json' -l 'json' -d 'Print JSON.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest backup" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest backup" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest backup" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest backup" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest backup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest metrics" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest metrics" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest metrics" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest metrics" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest metrics" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" interval' -l 'interval' -d 'How often to read the store again (200ms, 1s).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" once' -l 'once' -d 'Print one snapshot and exit, even on a terminal.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest watch" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" older-than' -l 'older-than' -d 'Only jobs that finished at least this long ago (90m, 12h, 30d).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc"' -l 'status' -d 'Only jobs with this status: completed or failed (repeatable; default both).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" keep-last' -l 'keep-last' -d 'Always keep this many of the most recently finished jobs.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" dry-run' -l 'dry-run' -d 'Print what would be removed and remove nothing.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" json' -l 'json' -d 'Print JSON.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest gc" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest compact" store' -l 'store' -d 'The store directory (or INGEST_STORE; default $XDG_STATE_HOME/ingest, else ~/.local/state/ingest).' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest compact" log-level' -l 'log-level' -d 'Log level on stderr: trace, debug, info, notice, warning, error, critical.' -rfka ''
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest compact" log-format' -l 'log-format' -d 'Log format on stderr: text, or json (one object per line, journald-friendly).' -rfka 'text json'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest compact" version' -l 'version' -d 'Show the version.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest compact" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'ingest' -n '__ingest_should_offer_completions_for_flags_or_options "ingest help" version' -l 'version' -d 'Show the version.'
