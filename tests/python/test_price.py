"""`spikemesh price`: re-pricing a finished run's counters with another energy table honours the power
gating report.json saved (chip.power_gating, chip.cores_powered), reproduces the run's own energy with its
own table, and rejects reports that do not add up, naming the key.

    SPIKEMESH_BIN=build/spikemesh /usr/bin/python3 -m pytest tests/python/test_price.py
"""
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAVIES = ROOT / "configs" / "energy" / "davies2018.yaml"


def run(binary, *args, check=True):
    r = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=120,
                       env={"SYSTEMC_DISABLE_COPYRIGHT_MESSAGE": "1", "PATH": "/usr/bin:/bin"})
    if check:
        assert r.returncode == 0, r.stderr
    return r


@pytest.fixture(scope="module")
def runs(binary, tmp_path_factory):
    """The example network on a 2 x 2-router corner of the Loihi 2-like chip (16 core slots, 7 used), run
    with and without power gating."""
    d = tmp_path_factory.mktemp("price")
    run(binary, "example", "--out", d / "ex")
    (d / "run.yaml").write_text(
        f"network: ex/network.h5\nstimulus: ex/stimulus.h5\nenergy: {DAVIES}\ntimesteps: 16\n"
        f"chip:\n  base: {ROOT / 'configs' / 'chip_loihi2.yaml'}\n  mesh: {{routers_x: 2, routers_y: 2}}\n"
        "  core: {compartments: 64}\n")
    run(binary, "run", d / "run.yaml", "--set", "chip.power_gating=true", "--out", d / "gated")
    run(binary, "run", d / "run.yaml", "--out", d / "powered")
    # Another table: Davies 2018 with 2 mW per core and 0.5 mW per router of static power.
    text = DAVIES.read_text().replace("core: 0.8125", "core: 2.0").replace("router: 0.0", "router: 0.5")
    (d / "table.yaml").write_text(text.replace("name: davies2018", "name: davies2018_static_x"))
    return d


def price(binary, report, table, out):
    run(binary, "price", report, "--energy", table, "--out", out)
    return json.loads(Path(out).read_text())


def test_report_saves_power_gating(runs):
    g = json.loads((runs / "gated" / "report.json").read_text())["chip"]
    p = json.loads((runs / "powered" / "report.json").read_text())["chip"]
    assert (g["power_gating"], g["cores_powered"], g["cores"]) == (True, 7, 16)
    assert (p["power_gating"], p["cores_powered"], p["cores"]) == (False, 16, 16)
    # The last keys of the chip object, after the ones that were there before.
    assert list(g)[-2:] == ["power_gating", "cores_powered"]


def test_same_table_reproduces_the_runs_energy(binary, runs):
    for d in ("gated", "powered"):
        report = json.loads((runs / d / "report.json").read_text())
        out = price(binary, runs / d / "report.json", DAVIES, runs / f"{d}_same.json")
        assert out["energy_j"] == report["energy_j"]


def test_a_deeper_input_fifo_is_saved_priced_per_entry_and_repriced(binary, runs, tmp_path):
    """A 1024-entry input FIFO: 1008 entries beyond the table's 16 on each of the 16 powered cores, at
    1.24e-5 mW each (docs/sources.md#input-fifo); `spikemesh price` reads the depth back."""
    run(binary, "run", runs / "run.yaml", "--set", "chip.core.input_fifo_depth=1024", "--out", tmp_path / "deep")
    report = json.loads((tmp_path / "deep" / "report.json").read_text())
    assert report["chip"]["input_fifo_depth"] == 1024
    fifo = 16 * 1008 * 1.24e-5 * 1e-3 * report["latency_s"]
    assert report["energy_j"]["breakdown"]["core"]["static_input_fifo"] == pytest.approx(fifo, rel=1e-12)
    assert report["energy_j"]["breakdown"]["core"]["static"] == pytest.approx(16 * 0.8125e-3 * report["latency_s"] + fifo,
                                                                              rel=1e-12)
    out = price(binary, tmp_path / "deep" / "report.json", DAVIES, tmp_path / "same.json")
    assert out["energy_j"] == report["energy_j"]
    shallow = json.loads((runs / "powered" / "report.json").read_text())
    assert shallow["chip"]["input_fifo_depth"] == 16
    assert shallow["energy_j"]["breakdown"]["core"]["static_input_fifo"] == 0.0


def test_new_table_prices_static_power_of_the_powered_cores_only(binary, runs):
    report = json.loads((runs / "gated" / "report.json").read_text())
    out = price(binary, runs / "gated" / "report.json", runs / "table.yaml", runs / "gated_new.json")
    seconds = report["latency_s"]
    assert out["cores_powered"] == 7
    # 7 powered cores x 2 mW + 4 routers x 0.5 mW, over the run's latency; not 16 cores.
    assert out["energy_j"]["static"] == pytest.approx((7 * 2.0 + 4 * 0.5) * 1e-3 * seconds, rel=1e-12)
    assert out["energy_j"]["breakdown"]["core"]["static"] == pytest.approx(7 * 2.0e-3 * seconds, rel=1e-12)
    # Dynamic energy is the same table's event prices: unchanged.
    assert out["energy_j"]["dynamic"] == pytest.approx(report["energy_j"]["dynamic"], rel=1e-12)
    # A gated core costs nothing; a used one its dynamic energy (as in the run) plus the new static share.
    used = {c["core"] for c in report["mapping"]["per_core"]}
    for k in range(16):
        name = f"chip.core_{k}"
        e = out["energy_j"]["per_core"][name]
        if k not in used:
            assert e == 0.0 and report["energy_j"]["per_core"][name] == 0.0
        else:
            was = report["energy_j"]["per_core"][name]
            assert e == pytest.approx(was - 0.8125e-3 * seconds + 2.0e-3 * seconds, rel=1e-9)


def test_a_report_without_saved_gating_is_priced_all_powered_and_says_so(binary, runs, tmp_path):
    report = json.loads((runs / "gated" / "report.json").read_text())
    del report["chip"]["power_gating"], report["chip"]["cores_powered"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(report))
    r = run(binary, "price", old, "--energy", runs / "table.yaml")
    assert "has no chip.power_gating (written before it was saved): every core is priced as powered" in r.stderr
    out = json.loads(r.stdout)
    assert out["cores_powered"] == 16
    assert out["energy_j"]["static"] == pytest.approx((16 * 2.0 + 4 * 0.5) * 1e-3 * report["latency_s"], rel=1e-12)


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["chip"].__setitem__("cores_powered", 9),
     "chip.cores_powered is 9 but 7 cores are powered (chip.power_gating true, mapping.per_core)"),
    (lambda r: r["counters"]["chip.core_3"].pop("synops_dense"), "no key 'counters.chip.core_3.synops_dense'"),
    (lambda r: r.__setitem__("format", "something-else"), "'format' is not \"spikemesh-report\""),
])
def test_reports_that_do_not_add_up_are_errors_naming_the_key(binary, runs, tmp_path, edit, message):
    report = json.loads((runs / "gated" / "report.json").read_text())
    edit(report)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(report))
    r = run(binary, "price", bad, "--energy", DAVIES, check=False)
    assert r.returncode != 0
    assert str(bad) in r.stderr and message in r.stderr, r.stderr
