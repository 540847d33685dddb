#!/usr/bin/env python3
"""Markdown tables from ingest-bench JSON results, for BENCHMARKS.md.

    python3 tools/bench/summarize.py results/full.json [results/quick.json ...] [--syncs results/syncs.json]

The first file is the main run (all its tables); the others add columns to the targets table.
"""
import json
import sys


def f(value, digits=0):
    if value is None:
        return "-"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def label(path, report):
    return f"{report['mode']} ({path.split('/')[-1]}, {report['startedAt'][11:16]} UTC)"


def durable(report):
    rows = report["durable"]
    out = ["| variant | W | updates/s (median of rounds) | best round | p50 µs | p99 µs | mean group | CPU µs / update | write_bytes KiB / 1k updates (process) | KiB / 1k (whole device) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['variant']} | {r['writers']} | {f(r['updatesPerSecond'])} | {f(max(r['roundRates']))} | "
                   f"{f(r['p50Microseconds'])} | {f(r['p99Microseconds'])} | {f(r.get('meanGroupSize') or 1, 1)} | "
                   f"{f(r.get('cpuMicrosecondsPerUpdate'), 1)} | "
                   f"{f(r['processWriteBytesPer1k'] / 1024)} | {f(r['deviceWriteBytesPer1k'] / 1024)} |")
    return "\n".join(out)


def committer(report):
    """The grouped rows' committer thread per commit; runs before it was measured have none."""
    rows = [r for r in report["durable"] if r.get("committerNanoseconds") and r.get("commits")]
    if not rows:
        return None
    out = ["| variant | W | µs per commit | gathering the group | writing it (transaction, syncs) | waking its writers |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        t = {part: ns / 1000 / r["commits"] for part, ns in r["committerNanoseconds"].items()}
        out.append(f"| {r['variant']} | {r['writers']} | {f(t['gather'] + t['write'] + t['acknowledge'])} | "
                   f"{f(t['gather'])} | {f(t['write'])} | {f(t['acknowledge'])} |")
    return "\n".join(out)


def best_ratios(report):
    """Ratios from the best round of each cell: the rate the cell reached when the disk was least contended."""
    cells = {(r["variant"], r["writers"]): r for r in report["durable"]}
    def best(v, w):
        return max(cells[(v, w)]["roundRates"])
    def med(v, w):
        return cells[(v, w)]["updatesPerSecond"]
    lines = []
    pairs = [("store-group", 64, "store-per-update", 64, "group W=64 / store per-update W=64", 20),
             ("store-group", 64, "store-per-update", 1, "group W=64 / store per-update W=1", 20),
             ("store-group", 64, "sqlite-per-update", 64, "group W=64 / SQLite per-update W=64", 3),
             ("store-group", 4, "sqlite-group", 4, "equal batching W=4: store / SQLite", 2),
             ("store-group", 16, "sqlite-group", 16, "equal batching W=16: store / SQLite", 2),
             ("store-group", 64, "sqlite-group", 64, "equal batching W=64: store / SQLite", 2)]
    lines.append("| ratio | target | from medians | from best rounds |")
    lines.append("|---|---:|---:|---:|")
    for a, wa, b, wb, name, target in pairs:
        lines.append(f"| {name} | ≥ {target}× | {med(a, wa) / med(b, wb):.2f}× | {best(a, wa) / best(b, wb):.2f}× |")
    return "\n".join(lines)


def reads(report):
    out = ["| jobs | point read | reads | median ns | p99 ns |", "|---:|---|---:|---:|---:|"]
    for r in report["pointReads"]:
        out.append(f"| {f(r['jobs'])} | {r['kind']} | {f(r['reads'])} | {f(r['medianNanoseconds'])} | {f(r['p99Nanoseconds'])} |")
    out += ["", "| jobs | command (whole process, stdout read through a pipe) | runs | median ms | min ms | stdout bytes | VmHWM MiB (sampled every 5 ms) |",
            "|---:|---|---:|---:|---:|---:|---:|"]
    for r in report["cliReads"]:
        out.append(f"| {f(r['jobs'])} | `{r['command']}` | {r['runs']} | {f(r['medianMilliseconds'], 1)} | {f(r['minMilliseconds'], 1)} | "
                   f"{f(r['outputBytes'])} | {f(r['peakRSSMiB'], 1)} |")
    out += ["", "| jobs | fill s | jobs/s | data.mdb MiB |", "|---:|---:|---:|---:|"]
    for r in report["fills"]:
        out.append(f"| {f(r['jobs'])} | {f(r['seconds'], 2)} | {f(r['jobsPerSecond'])} | {f(r['dataFileMiB'], 1)} |")
    return "\n".join(out)


def resume(report):
    out = ["| completed jobs | how | trials | to store open, median ms | to claim, median ms | to first item, median ms | min ms | all trials ms |",
           "|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in report["resume"]:
        trials = ", ".join(f"{x:.1f}" for x in r["allToFirstItemMilliseconds"])
        out.append(f"| {f(r['completedJobs'])} | {r['how']} | {r['trials']} | {f(r.get('medianToOpenMilliseconds'), 1)} | {f(r['medianToClaimMilliseconds'], 1)} | "
                   f"{f(r['medianToFirstItemMilliseconds'], 1)} | {f(r['minToFirstItemMilliseconds'], 1)} | {trials} |")
    out += ["", "| completed | interrupted | running+pending ids from `by_status`, median µs | all ids from `jobs`, median µs |", "|---:|---:|---:|---:|"]
    for r in report["resumeIndexScans"]:
        out.append(f"| {f(r['completedJobs'])} | {f(r['interruptedJobs'])} | {f(r['activeIDsMedianMicroseconds'], 1)} | {f(r['allIDsMedianMicroseconds'], 1)} |")
    return "\n".join(out)


def ingestion(report):
    out = ["| corpus | MiB | files | how | sync | workers | s | MiB/s | chunks/s | cores used | peak RssAnon MiB | median RssAnon MiB | peak RssFile MiB | write_bytes MiB / MiB | device MiB / MiB | store MiB | status |",
           "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in report["ingestion"]:
        how = r['how'] + (f" (median of {r['runs']})" if r.get('runs', 1) > 1 else "")
        out.append(f"| {r['corpus']} | {f(r['corpusMiB'], 1)} | {f(r['files'])} | {how} | {r['durability']} | {r['workers']} | "
                   f"{f(r['seconds'], 1)} | {f(r['mibPerSecond'], 2)} | {f(r['chunksPerSecond'])} | {f(r['coresUsed'], 2)} | "
                   f"{f(r.get('peakRssAnonMiB'), 1)} | {f(r.get('medianRssAnonMiB'), 1)} | {f(r.get('peakRssFileMiB'), 1)} | {f(r['writtenMiBPerMiB'], 1)} | {f(r.get('deviceWrittenMiBPerMiB'), 1)} | {f(r['storeMiB'])} | {r['jobStatus']} |")
    return "\n".join(out)


def scaling(report):
    out = ["| workers | items | work µs / item | s | items/s | cores used |",
           "|---:|---:|---:|---:|---:|---:|"]
    for r in report["scaling"]:
        out.append(f"| {r['workers']} | {f(r['items'])} | {f(r['workMicrosecondsPerItem'])} | {f(r['seconds'], 2)} | "
                   f"{f(r['itemsPerSecond'])} | {f(r['coresUsed'], 2)} |")
    return "\n".join(out)


def targets(runs):
    names = []
    for _, report in runs:
        for t in report["targets"]:
            if t["target"] not in names:
                names.append(t["target"])
    header = "| target | " + " | ".join(label(p, r) for p, r in runs) + " |"
    out = [header, "|---|" + "---|" * len(runs)]
    for name in names:
        cells = []
        for _, report in runs:
            t = next((t for t in report["targets"] if t["target"] == name), None)
            if t is None:
                cells.append("not run")
            else:
                met = {True: "**met**", False: "**missed**", None: "info"}[t.get("met")]
                note = f" ({t['note']})" if t.get("note") else ""
                cells.append(f"{met}: {t['measured']}{note}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def syncs(rows):
    out = ["| variant | W | updates | commits | fdatasync | fsync | baseline (0 updates) | syncs / update | syncs / commit |",
           "|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        base = ", ".join(f"{k} {v}" for k, v in sorted(r["syncCallsBaseline"].items()))
        out.append(f"| {r['variant']} | {r['writers']} | {r['updates']} | {r['commits']} | {r['syncCalls'].get('fdatasync', 0)} | "
                   f"{r['syncCalls'].get('fsync', 0)} | {base} | {r['syncsPerUpdate']:.3f} | {r['syncsPerCommit']:.2f} |")
    return "\n".join(out)


def main(argv):
    sync_file = None
    if "--syncs" in argv:
        index = argv.index("--syncs")
        sync_file = argv[index + 1]
        argv = argv[:index] + argv[index + 2:]
    runs = [(path, json.load(open(path))) for path in argv]
    path, main_run = runs[0]
    m = main_run["machine"]
    print(f"<!-- generated by tools/bench/summarize.py from {', '.join(p for p, _ in runs)} -->")
    print(f"Machine: {m['cpuModel']}, {m['cores']} cores, {m['memoryGiB']:.1f} GiB, Linux {m['kernel']}; data directory "
          f"{m['dataDirectory']} on {m['fileSystem']} {m['device']} ({m['mountOptions']}); {m['swiftVersion']}.")
    for p, r in runs:
        print(f"- {label(p, r)}: `{r['command']}`, {r['totalSeconds']:.0f} s, load average at start {r['machine']['loadAverageAtStart']}, at end {r['loadAverageAtEnd']}")
    # A run made with --only has some sections empty: those are left out.
    if main_run.get("durable"):
        print("\n### 1. Durable progress updates\n")
        print(durable(main_run))
        print()
        print(best_ratios(main_run))
        table = committer(main_run)
        if table:
            print("\nThe committer thread of the grouped rows, per commit (µs, over all rounds):\n")
            print(table)
    if sync_file:
        print("\n#### Syncs per update (strace)\n")
        print(syncs(json.load(open(sync_file))))
    if main_run.get("pointReads") or main_run.get("cliReads"):
        print("\n### 2. Reads\n")
        print(reads(main_run))
    if main_run.get("resume"):
        print("\n### 3. Resume at scale\n")
        print(resume(main_run))
    if main_run.get("ingestion"):
        print("\n### 4. End-to-end ingestion\n")
        print(ingestion(main_run))
    for p, r in runs[1:]:
        if r.get("ingestion"):
            print(f"\n{label(p, r)}:\n")
            print(ingestion(r))
    for p, r in runs:
        if r.get("scaling"):
            print(f"\n### 5. Runner scaling, a work-bound host job ({label(p, r)})\n")
            print(scaling(r))
    print("\n### Targets, run by run\n")
    print(targets(runs))


if __name__ == "__main__":
    main(sys.argv[1:])
