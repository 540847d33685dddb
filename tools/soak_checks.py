"""soak_checks: what tools/soak checks, as pure functions of what it observed.

No I/O here: the driver (tools/soak) runs the processes and hands in parsed JSON, journal
lines, process records and log lines; these functions say what does not add up.

Rules quoted from DESIGN.md ("The model"):
  job status: any failed -> failed; all completed -> completed; any running or paused ->
  running; all not started -> pending; otherwise running.
  current phase: the first running or paused; else the first not completed; None when all
  are completed.
  progress: sum of weight * fraction; fraction 1 for completed, processed/total for
  running, paused and failed (0 while total is unknown), 0 for not started.
  transitions: not_started->running|paused, running->paused|completed|failed,
  paused->running|failed, failed->running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

PHASE_STATUSES = {"not_started", "running", "paused", "completed", "failed"}
JOB_STATUSES = {"pending", "running", "completed", "failed"}
ACTIVITIES = {"active", "interrupted", "queued", "held", "idle"}
ALLOWED_TRANSITIONS = {
    ("not_started", "running"), ("not_started", "paused"),
    ("running", "paused"), ("running", "completed"), ("running", "failed"),
    ("paused", "running"), ("paused", "failed"),
    ("failed", "running"),
}
STATUS_KEYS = ("id", "status", "activity", "held", "progress", "currentPhase", "phases", "itemsFailed",
               "attempts", "createdAt", "updatedAt")
PHASE_KEYS = ("name", "status", "processed", "total", "pauseReason", "attempts", "lastError", "itemsFailed")
RUNNER = re.compile(r"pid (\d+) \(boot (\w+), start (\d+)\)")


def derived_status(statuses: list[str]) -> str:
    if "failed" in statuses:
        return "failed"
    if all(s == "completed" for s in statuses):
        return "completed"
    if any(s in ("running", "paused") for s in statuses):
        return "running"
    if all(s == "not_started" for s in statuses):
        return "pending"
    return "running"


def derived_current_phase(phases: list[dict]) -> str | None:
    for phase in phases:
        if phase["status"] in ("running", "paused"):
            return phase["name"]
    for phase in phases:
        if phase["status"] != "completed":
            return phase["name"]
    return None


def derived_progress(phases: list[dict]) -> float:
    # The built-in plan weighs its four phases equally.
    weight = 1.0 / len(phases) if phases else 0.0
    total = 0.0
    for phase in phases:
        if phase["status"] == "completed":
            fraction = 1.0
        elif phase["status"] in ("running", "paused", "failed") and phase.get("total"):
            fraction = min(1.0, phase["processed"] / phase["total"])
        else:
            fraction = 0.0
        total += weight * fraction
    return min(1.0, max(0.0, total))


def job_problems(job: object) -> list[str]:
    """What is wrong with one object of `status ID --json` or `list --json`."""
    if not isinstance(job, dict):
        return [f"not a JSON object: {str(job)[:80]}"]
    missing = [key for key in STATUS_KEYS if key not in job]
    if missing:
        return [f"missing keys {missing}"]
    name = job["id"]
    problems: list[str] = []
    phases = job["phases"]
    if not isinstance(phases, list) or not phases:
        return [f"{name}: no phases"]
    for phase in phases:
        lacking = [key for key in PHASE_KEYS if key not in phase]
        if lacking:
            return [f"{name}: a phase lacks {lacking}"]
        label = f"{name}/{phase['name']}"
        if phase["status"] not in PHASE_STATUSES:
            problems.append(f"{label}: unknown status {phase['status']!r}")
        if (phase["pauseReason"] is not None) != (phase["status"] == "paused"):
            problems.append(f"{label}: status {phase['status']} with pause reason {phase['pauseReason']}")
        total = phase["total"]
        if total is not None and phase["processed"] > total:
            problems.append(f"{label}: processed {phase['processed']} is more than its total {total}")
        if phase["status"] == "completed" and total != phase["processed"]:
            problems.append(f"{label}: completed with processed {phase['processed']} of {total}")
    statuses = [phase["status"] for phase in phases]
    want = derived_status(statuses)
    if job["status"] != want:
        problems.append(f"{name}: status {job['status']} but its phases {statuses} make it {want}")
    current = derived_current_phase(phases)
    if job["currentPhase"] != current:
        problems.append(f"{name}: current phase {job['currentPhase']} but its phases make it {current}")
    progress = derived_progress(phases)
    if abs(job["progress"] - progress) > 1e-5:
        problems.append(f"{name}: progress {job['progress']} but its phases make it {progress:.6f}")
    if job["itemsFailed"] != sum(phase["itemsFailed"] for phase in phases):
        problems.append(f"{name}: itemsFailed {job['itemsFailed']} is not the sum over its phases")
    activity, held, terminal = job["activity"], job["held"], want in ("completed", "failed")
    if activity not in ACTIVITIES:
        problems.append(f"{name}: unknown activity {activity!r}")
    elif terminal != (activity == "idle"):
        problems.append(f"{name}: activity {activity} for a {want} job")
    elif activity == "held" and not held:
        problems.append(f"{name}: activity held but not held")
    elif held and activity not in ("held", "active"):
        problems.append(f"{name}: held but activity {activity}")
    elif activity == "queued" and want != "pending":
        problems.append(f"{name}: activity queued for a {want} job")
    # A user pause pauses every running phase in the same transaction, and no runner
    # starts a phase of a held job: held and running never meet.
    if held and "running" in statuses:
        problems.append(f"{name}: held, yet phase(s) {[p['name'] for p in phases if p['status'] == 'running']} running")
    # `ingest resume` clears the hold and sets the user-paused phases running in one
    # transaction, so a phase paused by the user in a job that is not held means a resume
    # was overwritten: the job would wait for a resume the user already gave.
    user_paused = [p["name"] for p in phases if p["pauseReason"] == "user"]
    if user_paused and not held:
        problems.append(f"{name}: phase(s) {user_paused} paused by the user, but the job is not held (a resume was lost)")
    return problems


def summary_problems(summary: object, at_least: int, at_most: int) -> list[str]:
    """What is wrong with `status --json` (no id): the counts must add up, to the number
    of jobs submitted (`at_least` before the call, `at_most` after it)."""
    if not isinstance(summary, dict) or not {"jobs", "byStatus", "byActivity"} <= summary.keys():
        return [f"summary lacks jobs/byStatus/byActivity: {str(summary)[:120]}"]
    problems = []
    if not at_least <= summary["jobs"] <= at_most:
        problems.append(f"summary counts {summary['jobs']} jobs, the soak had submitted {at_least}…{at_most}")
    for key in ("byStatus", "byActivity"):
        if sum(summary[key].values()) != summary["jobs"]:
            problems.append(f"summary {key} {summary[key]} does not add up to {summary['jobs']}")
    return problems


@dataclass
class Monotonic:
    """One reader's view over time: what was committed never goes back."""
    seen: dict = field(default_factory=dict)

    def observe(self, job: dict) -> list[str]:
        problems = []
        previous = self.seen.get(job["id"])
        current = {phase["name"]: (phase["processed"], phase["status"]) for phase in job["phases"]}
        if previous:
            for name, (processed, status) in current.items():
                before, status_before = previous.get(name, (0, "not_started"))
                if processed < before:
                    problems.append(f"{job['id']}/{name}: processed went back from {before} to {processed}")
                if status_before == "completed" and status != "completed":
                    problems.append(f"{job['id']}/{name}: was completed, now {status}")
        self.seen[job["id"]] = current
        return problems


def parse_time(text: str) -> float:
    """A journal time ("2024-05-01T10:00:00.123Z") as seconds since 1970."""
    for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise ValueError(f"not a journal time: {text!r}")


def journal_problems(job_id: str, entries: object, phase_names: list[str]) -> list[str]:
    """Replays `history ID --json`: contiguous sequence numbers, `submitted` first, and
    every transition legal and starting from the status the replay has for its phase."""
    if not isinstance(entries, list) or not entries:
        return [f"{job_id}: history is not a non-empty array"]
    problems = []
    states = {name: "not_started" for name in phase_names}
    for index, entry in enumerate(entries):
        if entry.get("sequence") != index:
            problems.append(f"{job_id}: journal line {index} has sequence {entry.get('sequence')}")
            break
        event = entry.get("event")
        if index == 0 and event != "submitted":
            problems.append(f"{job_id}: the journal starts with {event}, not submitted")
        if event == "claimed" and not RUNNER.fullmatch(entry.get("runner") or ""):
            problems.append(f"{job_id}: line {index} claimed by {entry.get('runner')!r}")
        if event != "transition":
            continue
        phase, source, target = entry.get("phase"), entry.get("from"), entry.get("to")
        if phase not in states:
            problems.append(f"{job_id}: line {index} names phase {phase!r}")
            continue
        if states[phase] != source:
            problems.append(f"{job_id}: line {index} moves {phase} from {source}, but it was {states[phase]}")
        # A user pause also marks phases already paused (budget, shutdown) as paused by the
        # user, in one line "paused -> paused, reason user" (StoreBatch.hold): a change of
        # reason, not of status.
        relabel = (source, target) == ("paused", "paused") and entry.get("reason") == "user"
        if (source, target) not in ALLOWED_TRANSITIONS and not relabel:
            problems.append(f"{job_id}: line {index} moves {phase} {source} -> {target}, which is not allowed")
        if (entry.get("reason") is not None) != (target == "paused"):
            problems.append(f"{job_id}: line {index} moves {phase} to {target} with reason {entry.get('reason')}")
        states[phase] = target
    return problems


# ---------------------------------------------------------------------------------------
# No job run twice at the same time


@dataclass
class Holder:
    """What the soak knows about one `ingest run` process."""
    pid: int
    start_ticks: int | None
    killed_by: int | None    # the soak's signal it died of (SIGKILL, or SIGTERM before its handlers)
    kill_sent: float | None  # wall time just before that signal was sent
    exited: float | None     # wall time the soak saw it exit (reaped)
    # job id -> journal positions of its "releasing the lease" log lines
    releases: dict = field(default_factory=dict)

    @property
    def killed(self) -> bool:
        return self.killed_by is not None


@dataclass
class Claim:
    job: str
    sequence: int
    pid: int
    start_ticks: int
    time: float  # the journal line's time: taken before its transaction began


@dataclass
class Overlaps:
    pairs: int = 0               # (earlier claim, later claim by another runner) pairs checked
    released_before: int = 0     # the earlier holder's release precedes the claim in the journal
    dead_before: int = 0         # the earlier holder was killed (or exited) before the claim began
    proven: list = field(default_factory=list)  # both held the job at once
    unresolved: int = 0          # neither shown: timing too close to call
    unknown_runners: list = field(default_factory=list)
    takeovers: dict = field(default_factory=dict)  # job -> claims that took a dead holder's lease
    # job -> claims that may have: the holder logged its release and was SIGKILLed, maybe
    # before the release committed (when its last transaction journals nothing, the two
    # cannot be told apart, and either way it was dead before the claim)
    possible_takeovers: dict = field(default_factory=dict)


def claims_of(job_id: str, entries: list[dict]) -> list[Claim]:
    claims = []
    for entry in entries:
        if entry.get("event") != "claimed":
            continue
        match = RUNNER.fullmatch(entry.get("runner") or "")
        if match:
            claims.append(Claim(job_id, entry["sequence"], int(match.group(1)), int(match.group(3)),
                                parse_time(entry["time"])))
    return claims


def find_overlaps(claims: list[Claim], holders: dict, upper_bounds: dict) -> Overlaps:
    """Checks that no job was held by two runners at once.

    A runner holds a job from its `claimed` journal line until it releases the lease or dies.
    Journal sequence numbers are commit order. The runner logs "releasing the lease" with
    the journal length inside its final transaction, before the commit: so a release at
    position E precedes a claim at sequence s when E <= s. A runner killed without that log
    line never released; it was alive until `kill_sent`. A claim committed no earlier than
    its journal time, and no later than the end of any reader's `history` call that showed
    it (`upper_bounds[job]`: (end wall time, highest sequence seen) pairs).

    For every claim by B after a claim by A (another process):
      - A's release at E <= s_B: fine. A logs it holding the write lock, so B's claim
        committed after A's last transaction ended — committed (released) or cut off by
        A's death;
      - A not killed, release at E > s_B: proven overlap (commit order alone);
      - A killed (or exited without a release line): fine if B's journal time is past A's
        kill (or exit); proven if a reader saw B's claim before A was sent its kill;
        unresolved otherwise.
    `holders` maps (pid, start ticks) to `Holder`.
    """
    result = Overlaps()
    by_job: dict[str, list[Claim]] = {}
    for claim in claims:
        by_job.setdefault(claim.job, []).append(claim)
    for job, job_claims in by_job.items():
        job_claims.sort(key=lambda c: c.sequence)
        seen = sorted(upper_bounds.get(job, []))
        for later_index, later in enumerate(job_claims):
            if (later.pid, later.start_ticks) not in holders:
                result.unknown_runners.append(f"{job}: line {later.sequence} by pid {later.pid}")
            took_dead_lease = False
            for earlier in job_claims[:later_index]:
                if (earlier.pid, earlier.start_ticks) == (later.pid, later.start_ticks):
                    continue
                holder = holders.get((earlier.pid, earlier.start_ticks))
                if holder is None:
                    continue
                result.pairs += 1
                released = [e for e in holder.releases.get(job, []) if e > earlier.sequence]
                release = min(released) if released else None
                if release is not None and release <= later.sequence:
                    result.released_before += 1
                    if earlier is job_claims[later_index - 1] and holder.killed_by == 9:
                        result.possible_takeovers[job] = result.possible_takeovers.get(job, 0) + 1
                    continue
                if earlier is job_claims[later_index - 1]:
                    took_dead_lease = True
                if release is not None and not holder.killed:
                    result.proven.append(
                        f"{job}: pid {later.pid} claimed it at journal line {later.sequence} while pid "
                        f"{earlier.pid} (claimed at line {earlier.sequence}) still held it until line {release}")
                    continue
                alive_until = holder.kill_sent if holder.killed else holder.exited
                if alive_until is not None and later.time >= alive_until:
                    result.dead_before += 1
                    continue
                reader_saw = next((end for end, highest in seen if highest >= later.sequence), None)
                if holder.killed and reader_saw is not None and reader_saw < alive_until:
                    result.proven.append(
                        f"{job}: pid {later.pid} claimed it at journal line {later.sequence}, seen by a reader "
                        f"{alive_until - reader_saw:.3f}s before pid {earlier.pid} (holding it since line "
                        f"{earlier.sequence}, no release) was killed")
                    continue
                result.unresolved += 1
            if took_dead_lease:
                result.takeovers[job] = result.takeovers.get(job, 0) + 1
    return result


def unreleased_claims(claims: list[Claim], holders: dict) -> list[str]:
    """Claims by runners that were not SIGKILLed and logged no release after them: a run
    that ends in any other way (done, budget, SIGTERM, user pause) releases its lease in
    its last transaction."""
    found = []
    for claim in claims:
        holder = holders.get((claim.pid, claim.start_ticks))
        if holder is None or holder.killed_by == 9:
            continue
        if not any(e > claim.sequence for e in holder.releases.get(claim.job, [])):
            how = "died of SIGTERM" if holder.killed else "exited"
            found.append(f"{claim.job}: pid {claim.pid} claimed it at journal line {claim.sequence}, {how}, "
                         "and logged no release")
    return found


def parse_releases(log_text: str) -> dict:
    """job id -> journal positions of the "releasing the lease" lines in a JSON log.

    The line is logged inside the run's last transaction; when that transaction then fails
    (the runner logs "cannot record the end of the run"), the release did not happen, and
    the job's lines are dropped: the run held the job until it exited."""
    import json
    releases: dict[str, list[int]] = {}
    failed: set[str] = set()
    for line in log_text.splitlines():
        if "releasing the lease" not in line and "cannot record the end of the run" not in line:
            continue
        try:
            record = json.loads(line)
            if record["message"] == "releasing the lease":
                releases.setdefault(record["job"], []).append(int(record["journal"]))
            elif record["message"] == "cannot record the end of the run":
                failed.add(record["job"])
        except (ValueError, KeyError, TypeError):
            continue
    return {job: positions for job, positions in releases.items() if job not in failed}


# ---------------------------------------------------------------------------------------
# Reader slots


READER_LINE = re.compile(r"^\s*(\d+)\s+([0-9a-fA-F]+)\s+(\S+)\s*$")


def reader_pids(mdb_stat_output: str) -> list[int]:
    """The pids in `mdb_stat -r`'s reader table ("(no active readers)" gives none)."""
    pids = []
    for line in mdb_stat_output.splitlines():
        match = READER_LINE.match(line)
        if match:
            pids.append(int(match.group(1)))
    return pids
