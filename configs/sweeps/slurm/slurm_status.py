#!/usr/bin/python3
"""Snakemake `cluster-status` command for the Slurm profile: prints `running`, `success` or `failed` for
one Slurm job id (what `sbatch --parsable` printed).

Without it Snakemake learns that a job ended only from marker files the job script writes as it exits, so a
job that Slurm ends from outside (time limit, memory limit, `scancel`, a node failure) would be waited for
forever. The state comes from `scontrol show job` (the controller keeps ended jobs for MinJobAge, 300 s by
default), then from `sacct` (the accounting database, where a site has one). A controller that does not
answer, or a job state in between (pending, running, completing, requeued, suspended), is `running`: the
question is asked again a moment later. Ctrl-C meant for Snakemake must not kill this script (Snakemake
then stops with an error instead of cancelling the jobs): it ignores SIGINT and asks Slurm in a session of
its own.
"""
import signal
import subprocess
import sys

SUCCESS = {"COMPLETED"}
FAILED = {"FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED",
          "REVOKED", "SPECIAL_EXIT"}


def verdict(state: str) -> str:
    state = state.split()[0].rstrip("+") if state.split() else ""
    if state in SUCCESS:
        return "success"
    if state in FAILED:
        return "failed"
    return "running"


def ask(cmd: list[str]) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20, start_new_session=True)
    except (OSError, subprocess.TimeoutExpired):
        return None


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if len(sys.argv) != 2:
        print("usage: slurm_status.py JOBID", file=sys.stderr)
        return 2
    # `sbatch --parsable` prints `jobid` or `jobid;cluster`.
    jobid = sys.argv[1].split(";")[0]
    res = ask(["scontrol", "show", "job", "--oneliner", jobid])
    if res is not None and res.returncode == 0:
        for field in res.stdout.split():
            if field.startswith("JobState="):
                print(verdict(field[len("JobState="):]))
                return 0
    known_gone = res is not None and "Invalid job id" in res.stderr
    res = ask(["sacct", "--jobs", jobid, "--allocations", "--noheader", "--parsable2", "--format=State"])
    if res is not None and res.returncode == 0 and res.stdout.strip():
        print(verdict(res.stdout.strip().splitlines()[-1]))
        return 0
    # The controller no longer knows the job and there is no accounting to ask: it ended more than MinJobAge
    # ago, unseen. Report it failed so that Snakemake does not wait forever; a point that did finish keeps
    # its report.json (results.csv says ok) and a rerun of the sweep runs only the unfinished points.
    print("failed" if known_gone else "running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
