#!/usr/bin/python3
"""Runs one sweep point: `spikemesh run BASE --set ... --out` into a scratch folder, then moves the result
into DIR/points/<id>/, report.json last and in one rename, so a point either finished (report.json there) or
did not, whatever interrupts it. On failure it writes DIR/points/<id>/error.txt (command, exit status, error
output; the last line is the error) and exits 1. Every attempt appends one line to DIR/attempts.log.
Run as a Slurm job (SLURM_JOB_ID set), it also writes DIR/points/<id>/slurm.json: the job id and the job's
log file, for the point's row in results.csv.

    run_point.py --plan DIR/sweep.json --point ID
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path


def log_attempt(sweep_dir: Path, point: str, what: str) -> None:
    # One short O_APPEND write per line: lines from parallel points do not interleave.
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {point} {what} pid={os.getpid()}\n"
    fd = os.open(sweep_dir / "attempts.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def slurm_job() -> dict | None:
    """{"job_id", "log"} of the Slurm job this attempt runs in, or None outside Slurm. The log is the job's
    StdOut as the controller expanded it (the profile's --output); empty if the controller cannot be asked."""
    job_id = os.environ.get("SLURM_JOB_ID")
    if not job_id:
        return None
    log = ""
    try:
        res = subprocess.run(["scontrol", "show", "job", "--oneliner", job_id], capture_output=True, text=True,
                             timeout=20)
        log = next((f[len("StdOut="):] for f in res.stdout.split() if f.startswith("StdOut=")), "")
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"job_id": job_id, "log": log}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", type=Path, required=True, help="the sweep's sweep.json")
    ap.add_argument("--point", required=True, help="point id")
    a = ap.parse_args()
    plan = json.loads(a.plan.read_text())
    point = next((p for p in plan["points"] if p["id"] == a.point), None)
    if point is None:
        print(f"run_point: {a.plan}: no point {a.point}", file=sys.stderr)
        return 2
    sweep_dir = a.plan.resolve().parent
    points = sweep_dir / "points"
    out = points / a.point
    out.mkdir(parents=True, exist_ok=True)
    if (out / "report.json").is_file():
        return 0   # finished by an earlier attempt
    (out / "error.txt").unlink(missing_ok=True)
    job = slurm_job()
    if job is not None:   # the latest attempt's job; written whole so a reader never sees half of it
        (out / "slurm.json.tmp").write_text(json.dumps(job) + "\n")
        os.replace(out / "slurm.json.tmp", out / "slurm.json")
    for stale in points.glob(f".{a.point}.partial.*"):   # left by an interrupted attempt
        shutil.rmtree(stale, ignore_errors=True)
    scratch = points / f".{a.point}.partial.{os.getpid()}"
    scratch.mkdir()

    cmd = [plan["spikemesh"], "run", plan["base"], "--out", str(scratch)]
    for k, v in point["run_overrides"].items():
        v = ("true" if v else "false") if isinstance(v, bool) else (v if isinstance(v, str) else json.dumps(v))
        cmd += ["--set", f"{k}={v}"]
    log_attempt(sweep_dir, a.point, "start" + (f" slurm_job={job['job_id']}" if job else ""))
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stop(signum, _frame):   # take the simulator down with us; the point stays unfinished
        child.terminate()
        child.wait()
        shutil.rmtree(scratch, ignore_errors=True)
        log_attempt(sweep_dir, a.point, f"interrupted signal={signum}")
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t0 = time.monotonic()
    stdout, stderr = child.communicate()
    wall = time.monotonic() - t0
    # The run printed its scratch folder; name the folder its files end up in.
    stdout, stderr = stdout.replace(str(scratch), str(out)), stderr.replace(str(scratch), str(out))
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    if child.returncode != 0 or not (scratch / "report.json").is_file():
        last = stderr.strip().splitlines()[-1] if stderr.strip() else (
            f"exit status {child.returncode}" if child.returncode != 0 else "no report.json written")
        if child.returncode < 0:
            last = f"spikemesh run killed by signal {-child.returncode}"
        (out / "error.txt").write_text(f"command: {' '.join(cmd)}\nexit status: {child.returncode}\n"
                                       f"{stderr}{stdout[-2000:]}\n{last}\n")
        shutil.rmtree(scratch, ignore_errors=True)
        log_attempt(sweep_dir, a.point, f"failed exit={child.returncode}")
        return 1
    (scratch / "overrides.json").write_text(json.dumps(point["overrides"], indent=1, sort_keys=True) + "\n")
    (scratch / "stdout.txt").write_text(stdout)
    (scratch / "timing.json").write_text(json.dumps({"wall_s": round(wall, 3)}) + "\n")
    for f in sorted(scratch.iterdir()):
        if f.name != "report.json":
            os.replace(f, out / f.name)
    os.replace(scratch / "report.json", out / "report.json")   # the point is finished from here on
    shutil.rmtree(scratch, ignore_errors=True)
    log_attempt(sweep_dir, a.point, "done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
