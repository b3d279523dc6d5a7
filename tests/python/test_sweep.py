"""`spikemesh sweep` end to end: a four-point sweep of the example network runs, is killed part-way
and resumed (only the unfinished points run again), results.csv has exactly one row per point and the
documented columns, and bad sweep files are rejected before anything runs, naming the key.

    SPIKEMESH_BIN=build/spikemesh /usr/bin/python3 -m pytest tests/python/test_sweep.py
"""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ROOT / "scripts" / "sweep" / "sweep.py"
BIN = Path(os.environ.get("SPIKEMESH_BIN", ROOT / "build" / "spikemesh")).resolve()
ENV = {**os.environ, "SPIKEMESH_BIN": str(BIN), "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE": "1"}

pytestmark = pytest.mark.skipif(not BIN.is_file(), reason=f"no spikemesh binary at {BIN} (set SPIKEMESH_BIN)")

# Four points: 2 cores-per-router x 2 buffer depths. 12,000 random-stimulus timesteps make a point take about
# a second on an idle machine, long enough to interrupt the sweep between points. (With 400, 0.14 s, CI once saw
# all four points finish before Snakemake stopped launching them after the interrupt.)
TIMESTEPS = 12000
AXES = {"chip.mesh.cores_per_router": [2, 4], "chip.router.input_buffer_flits": [2, 16]}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("base")
    subprocess.run([str(BIN), "example", "--out", str(d / "example")], check=True, env=ENV, capture_output=True)
    cfg = d / "run.yaml"
    cfg.write_text(
        "network: example/network.h5\n"
        "stimulus: random\n"
        f"timesteps: {TIMESTEPS}\n"
        "seed: 3\n"
        "chip:\n"
        "  base: " + str(ROOT / "configs" / "chip_loihi2.yaml") + "\n"
        "  mesh: {routers_x: 2, routers_y: 2}\n"
        "  core: {compartments: 64}\n"
        "energy: " + str(ROOT / "configs" / "energy" / "davies2018.yaml") + "\n")
    return cfg


def write_sweep(d: Path, base: Path, text: str) -> Path:
    p = d / "sweep.yaml"
    p.write_text(f"base: {base}\n" + text)
    return p


def sweep_cmd(sweep: Path, out: Path, *extra: str) -> list:
    return [sys.executable, str(SWEEP), str(sweep), "--out", str(out), "--cores", "1", *extra]


def attempts(out: Path) -> list:
    """(point, event) per line of DIR/attempts.log."""
    log = out / "attempts.log"
    return [tuple(line.split()[1:3]) for line in log.read_text().splitlines()] if log.is_file() else []


def test_sweep_interrupted_and_resumed(tmp_path, base):
    sweep = write_sweep(tmp_path, base, "product:\n" + "".join(f"  {k}: {v}\n" for k, v in AXES.items()))
    out = tmp_path / "out"
    # Start the sweep in its own process group, wait for the first finished point, interrupt the group.
    proc = subprocess.Popen(sweep_cmd(sweep, out, "--no-plots"), env=ENV, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while not [p for p in out.glob("points/*/report.json") if not p.parent.name.startswith(".")]:   # not scratch
        assert proc.poll() is None, f"sweep ended before the first point finished:\n{proc.stdout.read()}"
        assert time.monotonic() < deadline, "no point finished within 60 s"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGTERM)
    first_out, _ = proc.communicate(timeout=60)
    plan = json.loads((out / "sweep.json").read_text())
    ids = [p["id"] for p in plan["points"]]
    assert len(ids) == 4
    finished = {i for i in ids if (out / "points" / i / "report.json").is_file()}
    assert 1 <= len(finished) < 4, f"interrupt came too late to test resuming: {first_out}"
    assert proc.returncode != 0
    mtimes = {i: (out / "points" / i / "report.json").stat().st_mtime_ns for i in finished}
    # Nothing half-written survives: unfinished points have no report.json and no scratch folders remain
    # once the rerun has cleaned them.
    n_before = len(attempts(out))

    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"{len(finished)} already finished, {4 - len(finished)} to run" in res.stdout
    rerun = [p for p, ev in attempts(out)[n_before:] if ev == "start"]
    assert sorted(rerun) == sorted(set(ids) - finished), "the rerun must run exactly the unfinished points"
    for i in finished:   # finished results untouched
        assert (out / "points" / i / "report.json").stat().st_mtime_ns == mtimes[i]
    assert all((out / "points" / i / "report.json").is_file() for i in ids)
    assert not list((out / "points").glob(".*partial*"))

    # A third run has nothing to do.
    n_before = len(attempts(out))
    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "4 already finished, 0 to run" in res.stdout, res.stdout + res.stderr
    assert len(attempts(out)) == n_before

    # results.csv: one row per point in plan order, with the swept values and the results of its report.
    with (out / "results.csv").open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        columns = reader.fieldnames
    assert [r["point"] for r in rows] == ids
    assert columns[:4] == ["point", "status", *AXES]
    for c in ["latency_s_per_image", "energy_j_per_image", "energy_j_dynamic_per_image", "energy_j_static_per_image",
              "cycles_per_timestep", "spikes", "core_utilisation", "busy_fraction", "energy_j_per_image.core.total",
              "energy_j_per_image.router.total", "wall_s", "error"]:
        assert c in columns, c
    assert "psnr_db" not in columns and "fid" not in columns   # the sweep did not ask for quality
    assert len(columns) == len(set(columns))
    combos = {(int(r["chip.mesh.cores_per_router"]), int(r["chip.router.input_buffer_flits"])) for r in rows}
    assert combos == {(c, b) for c in AXES["chip.mesh.cores_per_router"] for b in AXES["chip.router.input_buffer_flits"]}
    for r, i in zip(rows, ids):
        rep = json.loads((out / "points" / i / "report.json").read_text())
        over = json.loads((out / "points" / i / "overrides.json").read_text())
        assert r["status"] == "ok" and r["error"] == ""
        assert int(r["chip.mesh.cores_per_router"]) == over["chip.mesh.cores_per_router"] == rep["chip"]["cores_per_router"]
        assert float(r["latency_s_per_image"]) == pytest.approx(rep["latency_s"], rel=1e-5)
        assert float(r["energy_j_per_image"]) == pytest.approx(rep["energy_j"]["total"], rel=1e-5)
        assert float(r["cycles_per_timestep"]) == pytest.approx(rep["cycles"] / TIMESTEPS, rel=1e-5)
        assert int(r["spikes"]) == rep["counters"]["chip"]["spikes"]
        assert float(r["core_utilisation"]) == pytest.approx(rep["mapping"]["cores_used"] / rep["chip"]["cores"], rel=1e-5)
        parts = sum(float(r[c]) for c in columns if c.startswith("energy_j_per_image.") and c.count(".") == 2
                    and c.endswith(".total"))
        assert parts == pytest.approx(float(r["energy_j_per_image"]), rel=1e-4)
    # Deeper buffers never cost stall cycles here: a sanity check that the axis reached the chip.
    by = {(int(r["chip.mesh.cores_per_router"]), int(r["chip.router.input_buffer_flits"])): r for r in rows}
    assert any(by[(c, 2)]["cycles"] != by[(c, 16)]["cycles"] or by[(c, 2)]["stall_cycles"] != by[(c, 16)]["stall_cycles"]
               for c in AXES["chip.mesh.cores_per_router"])


def test_failing_point_recorded_others_continue(tmp_path, base):
    # One cores-per-router value too small for the example network on a 1x1 mesh: that point fails at
    # mapping, records its error, and the other point still runs.
    sweep = write_sweep(tmp_path, base, "set: {chip.mesh.routers_x: 1, chip.mesh.routers_y: 1, timesteps: 4}\n"
                                        "product:\n  chip.mesh.cores_per_router: [1, 16]\n")
    out = tmp_path / "out"
    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 1, res.stdout + res.stderr
    with (out / "results.csv").open() as f:
        rows = {int(r["chip.mesh.cores_per_router"]): r for r in csv.DictReader(f)}
    assert rows[16]["status"] == "ok" and rows[16]["error"] == ""
    assert rows[1]["status"] == "failed" and rows[1]["error"] != "" and rows[1]["latency_s_per_image"] == ""
    pid = rows[1]["point"]
    assert (out / "points" / pid / "error.txt").read_text().strip().splitlines()[-1] == rows[1]["error"]
    assert not (out / "points" / pid / "report.json").exists()


@pytest.mark.parametrize("text, key", [
    ("product:\n  chip.mesh.cores_per_rooter: [1, 2]\n", "chip.mesh.cores_per_rooter"),   # unknown config key
    ("product:\n  chip.mesh.cores_per_router: []\n", "product.chip.mesh.cores_per_router"),   # empty axis
    ("zip:\n  chip.mesh.routers_x: []\n", "zip.chip.mesh.routers_x"),
    ("product:\n  chip.router.input_buffer_flits: [4, 0]\n", "chip.router.input_buffer_flits"),   # out of range
    ("prodcut:\n  chip.mesh.cores_per_router: [1, 2]\n", "prodcut"),   # unknown sweep-file key
    ("zip:\n  chip.mesh.routers_x: [1, 2]\n  chip.mesh.routers_y: [1]\n", "chip.mesh.routers_y"),
    ("product:\n  chip.mesh.cores_per_router: 4\n", "product.chip.mesh.cores_per_router"),   # not a list
    ("product:\n  network: [{dir}/example/network.h5, {dir}/example/no_such.h5]\n", "no_such.h5"),   # no file
])
def test_bad_sweep_rejected_before_running(tmp_path, base, text, key):
    sweep = write_sweep(tmp_path, base, text.replace("{dir}", str(base.parent)))
    out = tmp_path / "out"
    res = subprocess.run(sweep_cmd(sweep, out), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2, res.stdout + res.stderr
    assert key in res.stderr and "error" in res.stderr, res.stderr
    assert not out.exists(), "nothing may run (or be created) for a rejected sweep"


def test_spikemesh_sweep_command_runs_the_script(tmp_path, base):
    # `spikemesh sweep` execs scripts/sweep/sweep.py of the source tree it was built from.
    sweep = write_sweep(tmp_path, base, "product:\n  chip.mesh.cores_per_rooter: [1]\n")
    res = subprocess.run([str(BIN), "sweep", str(sweep), "--out", str(tmp_path / "o")], env=ENV,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "chip.mesh.cores_per_rooter" in res.stderr, res.stdout + res.stderr


def test_per_image_columns_from_an_fsddim_report():
    # A report of the FSDDIM loop: the per-image columns are the means over `fsddim.per_image`, breakdown
    # included, and spikes are divided by the images; whole-run keys give cycles per timestep.
    sys.path.insert(0, str(SWEEP.parent))
    from sweep import point_results
    img = [{"image": 0, "cycles": 400, "latency_s": 2e-7,
            "energy_j": {"total": 4.0, "dynamic": 3.0, "static": 1.0, "breakdown": {"synaptic_ops": 2.0, "static": 1.0}}},
           {"image": 1, "cycles": 600, "latency_s": 3e-7,
            "energy_j": {"total": 6.0, "dynamic": 4.0, "static": 2.0, "breakdown": {"synaptic_ops": 3.0, "static": 2.0}}}]
    report = {"cycles": 1000, "timesteps": 40, "latency_s": 5e-7,
              "energy_j": {"total": 10.0, "dynamic": 7.0, "static": 3.0, "breakdown": {"core": {"total": 10.0}}},
              "chip": {"cores": 16}, "mapping": {"cores_used": 4},
              "counters": {"chip": {"spikes": 90}, "chip.core_0": {"busy_cycles": 600}, "chip.core_1": {"busy_cycles": 200}},
              "fsddim": {"images": 2, "per_image_mean": {"latency_s": 2.5e-7}, "per_image": img}}
    r = point_results(report)
    assert r["images"] == 2
    assert r["latency_s_per_image"] == pytest.approx(2.5e-7)
    assert (r["energy_j_per_image"], r["energy_j_dynamic_per_image"], r["energy_j_static_per_image"]) == (5.0, 3.5, 1.5)
    assert r["energy_j_per_image.synaptic_ops"] == 2.5 and r["energy_j_per_image.static"] == 1.5
    assert "energy_j_per_image.core.total" not in r   # the whole-run breakdown is not per image
    assert r["cycles_per_timestep"] == 25 and r["spikes_per_image"] == 45
    assert r["core_utilisation"] == 0.25 and r["busy_fraction"] == pytest.approx(800 / (4 * 1000))
    # Without per-image results the whole run is the one image.
    del report["fsddim"]
    r = point_results(report)
    assert (r["images"], r["latency_s_per_image"], r["energy_j_per_image"]) == (1, 5e-7, 10.0)
    assert r["energy_j_per_image.core.total"] == 10.0


def test_changed_base_settings_refuse_an_existing_folder(tmp_path, base):
    # Finished points are reused by their swept values, so a rerun into the same folder with other fixed
    # settings would mix results: refused, naming the key. Adding an axis value is fine: one new point runs.
    out = tmp_path / "out"
    sweep = write_sweep(tmp_path, base, "set: {timesteps: 4}\nproduct:\n  chip.mesh.cores_per_router: [4]\n")
    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    sweep = write_sweep(tmp_path, base, "set: {timesteps: 4}\nproduct:\n  chip.mesh.cores_per_router: [4, 8]\n")
    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "1 already finished, 1 to run" in res.stdout, res.stdout + res.stderr
    sweep = write_sweep(tmp_path, base, "set: {timesteps: 5}\nproduct:\n  chip.mesh.cores_per_router: [4, 8]\n")
    res = subprocess.run(sweep_cmd(sweep, out, "--no-plots"), env=ENV, capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "set differs" in res.stderr, res.stdout + res.stderr
