"""Cluster sweeps on a real Slurm: scripts/slurm-local starts a one-node cluster from Debian's slurm-wlm
(slurmctld, slurmd, munged) in a temporary folder, and `spikemesh sweep --profile configs/sweeps/slurm`
runs through it exactly as on a site's cluster (sbatch, scontrol, scancel; only SLURM_CONF differs).

- the four-point sweep of the example network gives the same results.csv rows as the same sweep run
  locally (apart from wall_s and the Slurm columns), every point one COMPLETED job in the controller's
  job-completion log and log file;
- a failing point's row carries its Slurm job id and the job's log file;
- Ctrl-C on the submitting side cancels the queued and running jobs;
- slurmd killed while points run and restarted: every point finishes exactly once.

Needs root and the packages slurmctld slurmd slurm-client munge (scripts/lib/setup.sh installs them);
without them the tests fail, saying so.

    SPIKEMESH_BIN=build/spikemesh /usr/bin/python3 -m pytest tests/python/test_slurm.py
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLURM_LOCAL = ROOT / "scripts" / "slurm-local"
PROFILE = ROOT / "configs" / "sweeps" / "slurm"
BIN = Path(os.environ.get("SPIKEMESH_BIN", ROOT / "build" / "spikemesh")).resolve()
ENV = {**os.environ, "SPIKEMESH_BIN": str(BIN), "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE": "1"}
TOOLS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol", "squeue", "scancel", "sinfo"]

pytestmark = pytest.mark.skipif(not BIN.is_file(), reason=f"no spikemesh binary at {BIN} (set SPIKEMESH_BIN)")

# The columns that may differ between a local and a cluster run of the same point: host time and the job.
NOT_COMPARED = {"wall_s", "slurm_job_id", "slurm_log"}
AXES = {"chip.mesh.cores_per_router": [2, 4], "chip.router.input_buffer_flits": [2, 16]}


def _which(tool: str) -> bool:
    return shutil.which(tool) is not None or Path("/usr/sbin", tool).is_file()


def gone(pid: int) -> bool:
    """The process has exited (a zombie counts: a daemon's parent is pid 1, which in a container may never
    reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A running one-node cluster: yields (environment with SLURM_CONF, its folder); stops it afterwards
    and checks that none of its daemons is left."""
    missing = [t for t in TOOLS if not _which(t)]
    if missing:
        pytest.fail(f"Slurm is not installed: missing {', '.join(missing)}; install Debian's slurmctld slurmd "
                    "slurm-client munge (scripts/lib/setup.sh does)", pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the local Slurm cluster runs its daemons as root (SlurmUser=root): run as root",
                    pytrace=False)
    d = tmp_path_factory.mktemp("slurm")
    res = subprocess.run([str(SLURM_LOCAL), "start", "--dir", str(d)], capture_output=True, text=True, timeout=60)
    try:
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.strip() == f"SLURM_CONF={d}/slurm.conf"
        # CI=true: Snakemake 7 then looks at its cluster jobs every second instead of every 10 s (the only
        # thing it changes in Snakemake), which takes most of the waiting out of these tests.
        yield {**ENV, "SLURM_CONF": str(d / "slurm.conf"), "CI": "true"}, d
    finally:
        pids = {f: int(f.read_text()) for f in [d / "slurmctld.pid", d / "slurmd.pid", d / "munge" / "munged.pid"]
                if f.is_file()}
        res = subprocess.run([str(SLURM_LOCAL), "stop", "--dir", str(d)], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        alive = [f.name for f, pid in pids.items() if not gone(pid)]
        assert not alive, f"daemons left running after stop: {alive}"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("base")
    subprocess.run([str(BIN), "example", "--out", str(d / "example")], check=True, env=ENV, capture_output=True)
    cfg = d / "run.yaml"
    cfg.write_text(
        f"network: {d}/example/network.h5\n"   # absolute: the jobs run wherever Slurm starts them
        "stimulus: random\n"
        "timesteps: 400\n"
        "seed: 3\n"
        "chip:\n"
        f"  base: {ROOT}/configs/chip_loihi2.yaml\n"
        "  mesh: {routers_x: 2, routers_y: 2}\n"
        "  core: {compartments: 64}\n"
        f"energy: {ROOT}/configs/energy/davies2018.yaml\n")
    return cfg


def write_sweep(d: Path, base: Path, text: str) -> Path:
    p = d / "sweep.yaml"
    p.write_text(f"base: {base}\n" + text)
    return p


def sweep_cmd(sweep: Path, out: Path, *extra: str) -> list:
    return [str(BIN), "sweep", str(sweep), "--out", str(out), "--no-plots", *extra]


def on_slurm(sweep: Path, out: Path) -> list:
    return sweep_cmd(sweep, out, "--profile", str(PROFILE))


def read_csv(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def jobcomp(d: Path) -> dict:
    """Slurm's job-completion log (jobcomp/filetxt): job id -> {field: value} of every ended job."""
    jobs = {}
    log = d / "jobcomp.log"
    for line in (log.read_text().splitlines() if log.is_file() else []):
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        jobs[fields["JobId"]] = fields
    return jobs


def attempts(out: Path) -> list:
    log = out / "attempts.log"
    return [tuple(line.split()[1:3]) for line in log.read_text().splitlines()] if log.is_file() else []


def squeue(env) -> list[str]:
    res = subprocess.run(["squeue", "-h", "-o", "%i %T"], env=env, capture_output=True, text=True, timeout=20)
    assert res.returncode == 0, res.stderr
    return res.stdout.split("\n")[:-1]


def wait_for(what: str, cond, timeout: float, proc=None):
    deadline = time.monotonic() + timeout
    while not cond():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"ended before {what}:\n{proc.stdout.read() if proc.stdout else ''}")
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def test_sweep_on_slurm_matches_local_run(tmp_path, cluster, base):
    env, d = cluster
    sweep = write_sweep(tmp_path, base, "product:\n" + "".join(f"  {k}: {v}\n" for k, v in AXES.items()))
    local = subprocess.run(sweep_cmd(sweep, tmp_path / "local", "--cores", "2"), env=ENV, capture_output=True,
                           text=True, timeout=120)
    assert local.returncode == 0, local.stdout + local.stderr
    res = subprocess.run(on_slurm(sweep, tmp_path / "slurm"), env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stdout + res.stderr + (tmp_path / "slurm" / "snakemake.log").read_text()

    loc, clu = read_csv(tmp_path / "local" / "results.csv"), read_csv(tmp_path / "slurm" / "results.csv")
    assert len(clu) == 4 and all(r["status"] == "ok" for r in clu)
    assert list(clu[0]) == list(loc[0]) + ["slurm_job_id", "slurm_log"]
    assert "slurm_job_id" not in loc[0]   # a local sweep's CSV is as before
    for a, b in zip(loc, clu):
        assert {k: v for k, v in a.items() if k not in NOT_COMPARED} == \
               {k: v for k, v in b.items() if k not in NOT_COMPARED}
    # Every point was one Slurm job, named after it, that completed; its log is where the CSV says.
    jobs = jobcomp(d)
    ctld = (d / "slurmctld.log").read_text()
    ids = [r["slurm_job_id"] for r in clu]
    assert len(set(ids)) == 4
    for r in clu:
        job = jobs[r["slurm_job_id"]]
        assert job["Name"] == f"spikemesh-{r['point']}" and job["JobState"] == "COMPLETED", job
        assert f"Allocate JobId={r['slurm_job_id']} " in ctld
        assert r["slurm_log"] == str(tmp_path / "slurm" / ".snakemake" / "log" / f"slurm-{r['slurm_job_id']}.out")
        assert f"points/{r['point']}/.snakemake_done" in Path(r["slurm_log"]).read_text()
    assert sorted(attempts(tmp_path / "slurm")) == sorted([(r["point"], e) for r in clu for e in ("start", "done")])
    # The profile's status command, asked as Snakemake asks it: the finished jobs succeeded; a job the
    # controller never had (and no accounting to ask) is failed, not waited for.
    status = [sys.executable, str(PROFILE / "slurm_status.py")]
    for r in clu:
        res = subprocess.run(status + [r["slurm_job_id"]], env=env, capture_output=True, text=True, timeout=60)
        assert (res.returncode, res.stdout) == (0, "success\n"), res.stderr
    res = subprocess.run(status + ["999999"], env=env, capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stdout) == (0, "failed\n"), res.stderr


def test_failing_point_reports_its_job_and_log(tmp_path, cluster, base):
    # One cores-per-router value too small for the example network on a 1x1 mesh: that point fails at
    # mapping; its job fails, and the row names the job and its log. The other point completes.
    env, d = cluster
    sweep = write_sweep(tmp_path, base, "set: {chip.mesh.routers_x: 1, chip.mesh.routers_y: 1, timesteps: 4}\n"
                                        "product:\n  chip.mesh.cores_per_router: [1, 16]\n")
    out = tmp_path / "out"
    res = subprocess.run(on_slurm(sweep, out), env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 1, res.stdout + res.stderr
    rows = {int(r["chip.mesh.cores_per_router"]): r for r in read_csv(out / "results.csv")}
    assert rows[16]["status"] == "ok"
    bad = rows[1]
    assert bad["status"] == "failed" and "needs 7 cores" in bad["error"], bad
    jobs = jobcomp(d)
    assert jobs[bad["slurm_job_id"]]["JobState"] == "FAILED"
    assert jobs[bad["slurm_job_id"]]["Name"] == f"spikemesh-{bad['point']}"
    assert jobs[rows[16]["slurm_job_id"]]["JobState"] == "COMPLETED"
    log = Path(bad["slurm_log"])
    assert log.parent == out / ".snakemake" / "log" and log.name == f"slurm-{bad['slurm_job_id']}.out"
    assert "Error in rule point" in log.read_text()


def test_ctrl_c_cancels_the_queued_jobs(tmp_path, cluster, base):
    # Six points of a few seconds each on a node with 2 CPUs: 2 run, 4 wait. Ctrl-C (SIGINT to the sweep's
    # process group, as a terminal sends it) cancels every one of them through the profile's cluster-cancel.
    env, d = cluster
    sweep = write_sweep(tmp_path, base, "set: {timesteps: 30000}\nproduct:\n  chip.router.input_buffer_flits: "
                                        "[2, 3, 4, 5, 6, 7]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(on_slurm(sweep, out), env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_for("six jobs queued and a point started", lambda: len(squeue(env)) == 6
                 and any(e == "start" for _, e in attempts(out)), 90, proc)
        queued = {j.split()[0] for j in squeue(env)}
        os.killpg(proc.pid, signal.SIGINT)
        text, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, text
    wait_for("the queue empty", lambda: not squeue(env), 30)
    jobs = jobcomp(d)
    states = {j: jobs[j]["JobState"] for j in queued if j in jobs}
    assert set(states) == queued, f"jobs that never ended: {queued - set(states)}"
    # All cancelled, unless one finished in the moment between the look at the queue and the cancel.
    assert sum(s == "CANCELLED" for s in states.values()) >= 5, states
    events = attempts(out)
    done = [p for p, e in events if e == "done"]
    assert len(done) <= 1
    # The running points got SIGTERM from scancel: each stopped its simulator, removed its scratch folder
    # and logged the interruption; the points still queued never started.
    started = [p for p, e in events if e == "start"]
    assert 1 <= len(started) <= 3, events
    assert sorted(started) == sorted(done + [p for p, e in events if e == "interrupted"]), events
    assert not list((out / "points").glob(".*partial*"))
    rows = read_csv(out / "results.csv")
    assert sum(r["status"] == "ok" for r in rows) == len(done)


def test_slurmd_killed_and_restarted_every_point_finishes_once(tmp_path, cluster, base):
    # slurmd dies (SIGKILL) while two points run and comes back 3 s later. The jobs' slurmstepd processes
    # do not depend on slurmd: they run on, slurmd reattaches to them from its spool folder when it
    # restarts, and the controller keeps the jobs RUNNING meanwhile (the node is only declared down after
    # SlurmdTimeout). So nothing is requeued or rerun: every point starts once and finishes once.
    env, d = cluster
    sweep = write_sweep(tmp_path, base, "set: {timesteps: 30000}\nproduct:\n  chip.router.input_buffer_flits: "
                                        "[2, 3, 4]\n")
    out = tmp_path / "out"
    proc = subprocess.Popen(on_slurm(sweep, out), env=env, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_for("two points running", lambda: sum(e == "start" for _, e in attempts(out)) == 2, 90, proc)
        slurmd = int((d / "slurmd.pid").read_text())
        os.kill(slurmd, signal.SIGKILL)
        wait_for("slurmd gone", lambda: gone(slurmd), 10)
        running_while_down = squeue(env)
        time.sleep(3)
        res = subprocess.run([str(SLURM_LOCAL), "slurmd", "--dir", str(d)], capture_output=True, text=True,
                             timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        text, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, text
    assert sum(j.endswith("RUNNING") for j in running_while_down) == 2, running_while_down
    rows = read_csv(out / "results.csv")
    assert [r["status"] for r in rows] == ["ok"] * 3
    events = attempts(out)
    for r in rows:
        assert events.count((r["point"], "start")) == 1 and events.count((r["point"], "done")) == 1, events
        job = jobcomp(d)[r["slurm_job_id"]]
        assert job["JobState"] == "COMPLETED" and job["Name"] == f"spikemesh-{r['point']}"
    assert len(events) == 6


def test_slurm_local_run_tears_the_cluster_down_on_ctrl_c(tmp_path):
    # `slurm-local run -- COMMAND` with the command still running: Ctrl-C stops the command and every daemon.
    if not all(_which(t) for t in TOOLS) or os.geteuid() != 0:
        pytest.fail("needs root and Slurm (slurmctld slurmd slurm-client munge; scripts/lib/setup.sh installs them)",
                    pytrace=False)
    d = tmp_path / "c"
    proc = subprocess.Popen([str(SLURM_LOCAL), "run", "--dir", str(d), "--", "sleep", "120"], start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        pidfiles = [d / "slurmctld.pid", d / "slurmd.pid", d / "munge" / "munged.pid"]
        wait_for("the cluster up", lambda: all(f.is_file() for f in pidfiles) and
                 subprocess.run(["sinfo", "-h", "-o", "%T"], env={**ENV, "SLURM_CONF": str(d / "slurm.conf")},
                                capture_output=True, text=True).stdout.strip() == "idle", 30, proc)
        pids = [int(f.read_text()) for f in pidfiles]
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert all(gone(p) for p in pids), pids
    assert not any(f.exists() for f in pidfiles)


@pytest.mark.parametrize("state, verdict", [
    ("COMPLETED", "success"), ("FAILED", "failed"), ("CANCELLED by 0", "failed"), ("CANCELLED+", "failed"),
    ("TIMEOUT", "failed"), ("NODE_FAIL", "failed"), ("OUT_OF_MEMORY", "failed"), ("PENDING", "running"),
    ("RUNNING", "running"), ("COMPLETING", "running"), ("REQUEUED", "running"), ("SUSPENDED", "running"),
    ("", "running"),
])
def test_status_command_maps_slurm_job_states(state, verdict):
    # What the profile's cluster-status command tells Snakemake for each Slurm job state (scontrol's
    # JobState, sacct's State): a job still in Slurm's hands is `running`; only COMPLETED is success.
    sys.path.insert(0, str(PROFILE))
    from slurm_status import verdict as status_of
    assert status_of(state) == verdict
