"""Traces end to end: `spikemesh run` with `trace:` writes run.vcd, run.gtkw and trace.h5; the
per-timestep counters in trace.h5 sum to report.json's totals; the same config gives the same bytes; an
oversize trace and bad trace keys are refused with messages that say what to change; scripts/inspect
makes every picture from a stimulus run and from an FSDDIM loop run."""
import json
import os
import subprocess

import h5py
import numpy as np
import pytest

from vcd_declarations import declared_signals

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSPECT = os.path.join(ROOT, "scripts", "inspect")
CORE_COUNTERS = ["synops_dense", "synops_sparse", "synops_conv", "words_read", "updates_active", "updates_inactive",
                 "spikes", "messages_out", "messages_in", "sweep_cycles", "dendrite_cycles", "output_cycles", "busy_cycles"]
ROUTER_COUNTERS = ["flits", "hops_ew", "hops_ns", "hops_chip", "injected", "ejected", "stall_cycles"]


def run(binary, *args, check=True):
    r = subprocess.run([binary, *args], capture_output=True, text=True, cwd=ROOT)
    if check and r.returncode != 0:
        raise AssertionError(f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture(scope="module")
def example(binary, tmp_path_factory):
    d = tmp_path_factory.mktemp("example")
    run(binary, "example", "--out", str(d))
    return d


def traced_run(binary, example, out, *sets):
    args = ["run", "configs/example_run.yaml", "--set", f"network={example}/network.h5", "--set",
            f"stimulus={example}/stimulus.h5", "--set", "trace.vcd=true", "--set", "trace.hdf5=true",
            "--set", "trace.probes=" + probe_spec(example), *sets, "--out", str(out)]
    return run(binary, *args)


def probe_spec(example):
    """The first non-input population of the example network, neurons 0-2."""
    with h5py.File(os.path.join(example, "network.h5"), "r") as f:
        for k in sorted(f["/populations"].keys(), key=int):
            g = f[f"/populations/{k}"]
            kind, name = g["kind"][()], g["name"][()]
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            name = name.decode() if isinstance(name, bytes) else str(name)
            if kind.lower() != "input":
                return f"{name}:0-2"
    raise AssertionError("the example network has no non-input population")


@pytest.fixture(scope="module")
def traced(binary, example, tmp_path_factory):
    out = tmp_path_factory.mktemp("traced")
    traced_run(binary, example, out)
    return out


def test_hdf5_counters_summed_over_time_equal_the_report_totals(traced):
    rep = json.load(open(traced / "report.json"))
    with h5py.File(traced / "trace.h5", "r") as f:
        assert f.attrs["format"] == "spikemesh-trace"
        names = f["/counters/cores"].attrs["names"].split("\n")
        for c in CORE_COUNTERS:
            per_step = f[f"/counters/cores/{c}"][()]
            assert per_step.shape == (rep["timesteps"], len(names))
            for k, name in enumerate(names):
                assert per_step[:, k].sum() == rep["counters"][name][c], (name, c)
        rnames = f["/counters/routers"].attrs["names"].split("\n")
        for c in ROUTER_COUNTERS:
            per_step = f[f"/counters/routers/{c}"][()]
            for k, name in enumerate(rnames):
                assert per_step[:, k].sum() == rep["counters"][name][c], (name, c)
        assert list(f["/timesteps/cycles"][()]) == rep["counters"]["chip"]["timestep_cycles"]
        # Raster: the whole run (default window), and it is the run's spikes.h5.
        with h5py.File(traced / "spikes.h5", "r") as s:
            for pop in s["/populations"].keys():
                np.testing.assert_array_equal(f[f"/raster/{pop}"][()], s[f"/populations/{pop}/spikes"][()])
        assert f["/probes/u"].shape == (rep["timesteps"], 3)
        check_critical_path(f, rep, rep["chip"]["barrier_cycles"])


def check_critical_path(f, rep, barrier_cycles):
    """trace.h5's per-timestep attribution adds up to each timestep's cycles and to report.json's sums; every
    timestep has the same barrier (`barrier_cycles`)."""
    g = f["/critical_path"]
    phases = g.attrs["phases"].split("\n")
    assert phases[:3] == ["management_compute", "management_write", "barrier"] and "dendrite" in phases
    per_step = sum(g[p][()] for p in phases)
    assert list(per_step) == rep["counters"]["chip"]["timestep_cycles"]
    cp = rep["critical_path"]
    assert cp["timesteps"] == rep["timesteps"] and cp["cycles"] == sum(rep["counters"]["chip"]["timestep_cycles"])
    assert {p: int(g[p][()].sum()) for p in phases} == cp["cycles_by_phase"]
    assert list(g["barrier"][()]) == [barrier_cycles] * len(per_step)
    bound = g["bounding_core"][()]
    names = f["/counters/cores"].attrs["names"].split("\n")
    top = cp["top_bounding_cores"][0]
    mine = [k for k in range(len(bound)) if names[bound[k]] == top["core"]]
    assert top["timesteps"] == len(mine) > 0 and top["cycles"] == int(per_step[mine].sum())
    units = g.attrs["bounding_units"].split("\n")
    assert sum(cp["timesteps_by_bounding_unit"].values()) == len(bound)
    for u, name in enumerate(units):
        assert cp["timesteps_by_bounding_unit"][name] == int((g["bounding_unit"][()] == u).sum())


def test_the_vcd_is_deterministic_and_the_gtkw_names_declared_signals(binary, example, traced, tmp_path):
    traced_run(binary, example, tmp_path)
    a = (traced / "run.vcd").read_bytes()
    assert a == (tmp_path / "run.vcd").read_bytes()
    assert (traced / "run.gtkw").read_bytes() == (tmp_path / "run.gtkw").read_bytes()
    text = a.decode()
    assert "$date" not in text
    declared = set(declared_signals(traced / "run.vcd"))
    for name in ["chip.timestep", "chip.barrier", "chip.core_0.spike_out", "chip.core_0.input_fifo",
                 "chip.noc.router_0_0.in_E_occupancy", "chip.noc.router_0_0.out_E_busy"]:
        assert name in declared, name
    gtkw = (traced / "run.gtkw").read_text()
    assert '[dumpfile] "run.vcd"' in gtkw
    shown = [l.split("[")[0] for l in gtkw.splitlines() if l.startswith("chip.")]
    assert set(shown) == declared
    groups = [l[1:] for l in gtkw.splitlines() if l.startswith("-")]
    assert "chip" in groups and "chip.core_0" in groups and "chip.noc.router_1_1" in groups


def test_a_window_and_patterns_narrow_the_vcd(binary, example, traced, tmp_path):
    traced_run(binary, example, tmp_path, "--set", "trace.signals=chip.core_1.*,chip.timestep",
               "--set", "trace.timestep_first=3", "--set", "trace.timestep_count=2")
    text = (tmp_path / "run.vcd").read_text()
    names = [l.split()[4] for l in text.splitlines() if l.startswith("$var")]
    assert {"timestep", "spike_out", "sweep_busy", "output_busy", "dendrite_busy", "input_fifo"} <= set(names)
    assert "barrier" not in names and "in_E_occupancy" not in names
    assert len(text) < len((traced / "run.vcd").read_text())
    times = [int(l[1:]) for l in text.splitlines() if l.startswith("#")]
    rep = json.load(open(tmp_path / "report.json"))
    step = rep["counters"]["chip"]["timestep_cycles"]
    assert min(times) == sum(step[:3]) and max(times) <= sum(step[:5]) + 1   # timesteps 3 and 4 only
    with h5py.File(tmp_path / "trace.h5", "r") as f:
        assert list(f["/raster/rows"][()]) == [3, 4]


def test_an_oversize_trace_is_refused_before_the_run_naming_the_cap_and_how_to_narrow(binary, example, tmp_path):
    r = run(binary, "run", "configs/example_run.yaml", "--set", f"network={example}/network.h5", "--set",
            f"stimulus={example}/stimulus.h5", "--set", "trace.vcd=true", "--set", "trace.max_vcd_bytes=5000",
            "--out", str(tmp_path), check=False)
    assert r.returncode != 0
    assert "trace.max_vcd_bytes = 5000" in r.stderr
    assert "trace.signals" in r.stderr and "trace.timestep_count" in r.stderr
    assert not (tmp_path / "run.vcd").exists() and not (tmp_path / "report.json").exists()


@pytest.mark.parametrize("key,value,words", [
    ("trace.probes", "nope:1", ["trace.probes", "'nope' is not in the network"]),
    ("trace.probes", "hidden", ["trace.probes", "expected 'population:indices'"]),
    ("trace.timestep_first", "99", ["trace.timestep_first = 99", "16 timesteps"]),
    ("trace.signals", "chip.core_0.*,,x", ["trace.signals", "empty pattern"]),
])
def test_bad_trace_settings_name_the_key(binary, example, tmp_path, key, value, words):
    r = run(binary, "run", "configs/example_run.yaml", "--set", f"network={example}/network.h5", "--set",
            f"stimulus={example}/stimulus.h5", "--set", "trace.hdf5=true", "--set", f"{key}={value}",
            "--out", str(tmp_path), check=False)
    assert r.returncode != 0
    for w in words:
        assert w in r.stderr, (w, r.stderr)


def check_pngs(folder, names):
    for n in names:
        p = folder / "inspect" / n
        assert p.exists(), n
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", n
        assert p.stat().st_size > 5000, n   # a picture, not an empty canvas


def test_inspect_draws_every_picture_of_a_stimulus_run(traced):
    r = subprocess.run(["/usr/bin/python3", INSPECT, str(traced)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    check_pngs(traced, ["raster.png", "firing_rate.png", "link_utilisation.png", "core_energy.png", "energy_breakdown.png",
                        "critical_path.png"])


def test_inspect_draws_every_picture_of_an_fsddim_run(binary, tmp_path):
    # The bundled model, one image, two DDIM steps, traced over the second DDIM step only.
    r = run(binary, "run", "configs/fsddim_fmnist.yaml", "--set", "fsddim.images=1", "--set", "fsddim.steps=2",
            "--set", "fsddim.trajectory=true", "--set", "fsddim.check_reference=false",
            "--set", "chip.core.output_axons=1000000", "--set", "chip.core.input_axons=1000000",
            "--set", "chip.core.synapse_words=10000000", "--set", "trace.hdf5=true", "--set", "trace.vcd=true",
            "--set", "trace.signals=chip.timestep,chip.ddim_step,chip.management.*,chip.barrier,chip.core_0.*",
            "--set", "trace.ddim_step_first=1", "--set", "trace.max_vcd_bytes=0", "--out", str(tmp_path))
    rep = json.load(open(tmp_path / "report.json"))
    with h5py.File(tmp_path / "trace.h5", "r") as f:
        steps = f["/timesteps/ddim_step"][()]
        per_call = rep["fsddim"]["timesteps_per_ddim_step"]
        assert list(steps) == [0] * per_call + [1] * per_call
        assert list(f["/raster/rows"][()]) == list(range(per_call, 2 * per_call))
        for c in ["spikes", "synops_conv", "messages_in"]:
            per_step = f[f"/counters/cores/{c}"][()]
            names = f["/counters/cores"].attrs["names"].split("\n")
            for k, name in enumerate(names):
                assert per_step[:, k].sum() == rep["counters"][name][c]
        # The bundled job's mesh, 2 x 2 chips of 8 x 4 routers (16 x 8): the barrier's wavefront crosses 15 links
        # east (one a chip link) and 7 south (one a chip link), each plus 26 router cycles, out and back:
        # 226 + 2 x (14 x (8 + 26) + (200 + 26) + 6 x (13 + 26) + (200 + 26)) = 2550 (barrier_latency_cycles).
        check_critical_path(f, rep, 2550)
        assert rep["chip"]["barrier_cycles"] == 2550
    # Per image and per DDIM step: the DDIM steps' timesteps and cycles add up to the image's, the image's
    # to the run's; a hosted timestep has the management core's phases.
    cp = rep["critical_path"]
    image = cp["per_image"][0]
    assert len(image["ddim_steps"]) == 2
    assert sum(d["timesteps"] for d in image["ddim_steps"]) == image["timesteps"] == 2 * per_call
    assert sum(d["cycles"] for d in image["ddim_steps"]) == image["cycles"] == cp["cycles"]
    for p, v in image["cycles_by_phase"].items():
        assert sum(d["cycles_by_phase"][p] for d in image["ddim_steps"]) == v
    assert image["cycles_by_phase"]["management_write"] > 0 and image["cycles_by_phase"]["management_read"] > 0
    assert image["ddim_steps"][1]["cycles_by_phase"]["management_compute"] > 0  # the first step's DDIM update
    vcd = (tmp_path / "run.vcd").read_text()
    assert " ddim_step $end" in vcd and " busy $end" in vcd
    p = subprocess.run(["/usr/bin/python3", INSPECT, str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    check_pngs(tmp_path, ["raster.png", "firing_rate.png", "link_utilisation.png", "core_energy.png",
                          "energy_breakdown.png", "trajectory.png", "critical_path.png"])
