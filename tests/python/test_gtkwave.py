"""run.gtkw as GTKWave itself reads it: the real GTKWave (Debian's gtkwave, under xvfb-run) loads a traced run's
run.vcd with run.gtkw and a Tcl script lists what it displays; every signal the run selected must be on screen
in its format, probed u and v read back through GTKWave must equal trace.h5's, and the view opens on the run."""
import math
import os
import shutil
import subprocess

import h5py
import pytest

from vcd_declarations import declared_signals

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Populations of the example network whose u and v go negative (conv1, up, readout) and one that stays >= 0.
PROBES = "conv1:0-1;up:0;hidden1:0;readout:0-1"
TR_DEC, TR_BIN, TR_SIGNED = 0x4, 0x8, 0x400   # GTKWave trace flags (analyzer.h)


def run(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"


@pytest.fixture(scope="module")
def gtkwave():
    missing = [p for p in ("gtkwave", "xvfb-run") if shutil.which(p) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: install the Debian packages gtkwave and xvfb "
                    "(scripts/lib/setup.sh installs them with the other dependencies)")
    return shutil.which("gtkwave")


@pytest.fixture(scope="module")
def traced(binary, tmp_path_factory):
    ex = tmp_path_factory.mktemp("example")
    run(binary, "example", "--out", str(ex))
    out = tmp_path_factory.mktemp("traced")
    run(binary, "run", "configs/example_run.yaml", "--set", f"network={ex}/network.h5", "--set",
        f"stimulus={ex}/stimulus.h5", "--set", "trace.vcd=true", "--set", "trace.hdf5=true", "--set",
        f"trace.probes={PROBES}", "--out", str(out))
    return out


def in_gtkwave(run_dir, tcl_body, tmp_path):
    """Runs GTKWave on run_dir's run.vcd and run.gtkw under a virtual X server with a Tcl script that writes
    `puts $out ...` lines; returns those lines."""
    result = tmp_path / "gtkwave_out.txt"
    script = tmp_path / "query.tcl"
    script.write_text(f"set out [open {{{result}}} w]\n{tcl_body}\nclose $out\ngtkwave::/File/Quit\n")
    env = dict(os.environ, HOME=str(tmp_path))   # no user ~/.gtkwaverc
    r = subprocess.run(["xvfb-run", "-a", "gtkwave", "-S", str(script), "run.vcd", "run.gtkw"], cwd=run_dir,
                       env=env, capture_output=True, text=True, timeout=120)
    assert result.exists(), f"GTKWave wrote nothing (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return result.read_text().splitlines()


def test_every_selected_signal_is_displayed_in_its_format(gtkwave, traced, tmp_path):
    declared = declared_signals(traced / "run.vcd")
    lines = in_gtkwave(traced, """
foreach s [gtkwave::getDisplayedSignals] { puts $out "$s [gtkwave::getTraceFlagsFromName $s]" }
""", tmp_path)
    flags = {name: int(f) for name, f in (line.split() for line in lines)}
    assert len(declared) > 100 and "chip.timestep" in declared
    assert sorted(set(declared) - set(flags)) == [], "selected but not displayed"
    assert set(flags) == set(declared)
    for name, kind in declared.items():
        f = flags[name]
        if kind == "wire":
            assert f & TR_BIN, (name, hex(f))
        elif ".probe_" in name:
            assert f & TR_DEC and f & TR_SIGNED, (name, hex(f))
        else:
            assert f & TR_DEC and not f & TR_SIGNED, (name, hex(f))


def test_probe_values_read_through_gtkwave_equal_trace_h5(gtkwave, traced, tmp_path):
    with h5py.File(traced / "trace.h5", "r") as f:
        start = f["/timesteps/start_cycle"][()]
        cycles = f["/timesteps/cycles"][()]
        rows = f["/raster/rows"][()]
        names = f["/probes"].attrs["names"].split("\n")
        u, v = f["/probes/u"][()], f["/probes/v"][()]
    core_of = {}
    for name in declared_signals(traced / "run.vcd"):
        parts = name.split(".")
        if len(parts) == 4 and parts[2].startswith("probe_"):
            core_of[parts[2][len("probe_"):]] = ".".join(parts[:2])
    assert sorted(core_of) == sorted(names)
    # The value at the last cycle of each window timestep: the state after that timestep's update.
    ends = [int(start[r] + cycles[r] - 1) for r in rows]
    queries = []
    for k, t in enumerate(ends):
        queries.append(f"gtkwave::setMarker {t}")
        queries.append(f'puts $out "{k} chip.timestep [gtkwave::getTraceValueAtMarkerFromName chip.timestep]"')
        for p in names:
            for var in ("u", "v"):
                sig = f"{core_of[p]}.probe_{p}.{var}"
                queries.append(f'puts $out "{k} {sig} [gtkwave::getTraceValueAtMarkerFromName {sig}]"')
    got = {}
    for line in in_gtkwave(traced, "\n".join(queries), tmp_path):
        k, sig, *value = line.split()
        got[(int(k), sig)] = value[0] if value else "(not displayed)"
    negative = 0
    for k, r in enumerate(rows):
        assert got[(k, "chip.timestep")] == str(r)
        for i, p in enumerate(names):
            for var, data in (("u", u), ("v", v)):
                sig = f"{core_of[p]}.probe_{p}.{var}"
                assert got[(k, sig)] == str(int(data[k, i])), (sig, int(start[r]), ends[k])
                negative += data[k, i] < 0
    assert negative > 0   # the comparison covered signed values


def test_the_view_opens_on_the_run_with_a_named_marker_at_each_timestep(gtkwave, traced, tmp_path):
    with h5py.File(traced / "trace.h5", "r") as f:
        start = f["/timesteps/start_cycle"][()]
        cycles = f["/timesteps/cycles"][()]
    assert len(start) <= 26
    markers = " ".join(chr(ord("A") + k) for k in range(len(start)))
    lines = in_gtkwave(traced, f"""
puts $out "view [gtkwave::getWindowStartTime] [gtkwave::getZoomFactor]"
foreach m {{{markers}}} {{ puts $out "marker $m [gtkwave::getNamedMarker $m]" }}
""", tmp_path)
    view = lines[0].split()
    assert int(view[1]) == int(start[0])
    # GTKWave shows 2^-zoom cycles per 200 pixels; the save file asks for the run's span in 760 pixels, so
    # the whole run fits a 1400-pixel-wide window (about 800 pixels of waves) and fills most of it.
    span = int(start[-1] + cycles[-1] - start[0])
    shown = 2 ** -float(view[2]) * 760 / 200
    assert math.isclose(shown, span, rel_tol=1e-3), (shown, span)
    got = {m: int(t) for _, m, t in (line.split() for line in lines[1:])}
    assert got == {chr(ord("A") + k): int(s) for k, s in enumerate(start)}
    gtkw = (traced / "run.gtkw").read_text()
    assert "[markername] At0\n" in gtkw and f"[markername] {chr(ord('A') + len(start) - 1)}t{len(start) - 1}\n" in gtkw
