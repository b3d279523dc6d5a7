"""sanafe-case1 (tests/data/sanafe-case1/): the SANA-FE-calibrated Loihi 1 profile against SANA-FE's own
outputs, step by step (docs/results.md#sanafe-case1). Bounds are the agreement reached, a little rounded up:
a change to the profile or to the timing model that moves any step shows here."""
import importlib.util
import json
import os
import subprocess

import pytest

from conftest import ROOT

ENV = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")


def load_compare():
    spec = importlib.util.spec_from_file_location("compare_case1",
                                                  os.path.join(ROOT, "scripts", "sanafe", "compare_case1.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def report(binary, tmp_path_factory):
    out = tmp_path_factory.mktemp("case1")
    subprocess.run([binary, "run", os.path.join(ROOT, "configs", "sanafe_case1.yaml"), "--out", str(out)],
                   check=True, env=ENV, capture_output=True, timeout=300)
    with open(out / "report.json") as f:
        return json.load(f)


def test_events_equal_sanafe_totals(report):
    chip = report["counters"]["chip"]
    # sanafe_detailed_summary.yaml: total_neurons_fired, total_messages_sent, total_spikes (synaptic events).
    assert chip["spikes"] == 265193
    assert chip["messages_sent"] == 749848
    assert chip["synaptic_events"] == 1664144


def test_latency_per_step_agrees_with_sanafe(report):
    steps, s = load_compare().compare(report)
    # Steps with no spike anywhere: 1024 soma accesses and updates (9.7 ns) on a firing core, plus the 1.4 us
    # barrier = 11.3328 us, as SANA-FE's detailed model to the 0.1 ns grid.
    fired = {int(r["timestep"]): int(r["fired"]) for r in load_compare().read_perf("sanafe_detailed_perf.csv")}
    quiet = [x for x in steps if fired[x["timestep"]] == 0]
    assert [x["timestep"] for x in quiet] == [1, 2, 3, 4, 5, 59, 94, 95]
    for x in quiet:
        assert x["spikemesh_s"] == pytest.approx(11.3328e-6, abs=1e-12)
        assert x["vs_detailed"] == pytest.approx(0.0, abs=1e-9)
    # 30 steps where SANA-FE's detailed and cycle models disagree by more than 5 % (the network decides).
    assert len(s["congested_steps"]) == 30
    unc = [x for x in steps if not x["congested"]]
    # The issue asks 5 % on every uncongested step: 69 of 70 are within 1.2 %; step 55 (where SANA-FE's own
    # two models differ by 4.9 %) is 5.1 % below the detailed model and 0.5 % from the cycle model.
    assert sum(abs(x["vs_detailed"]) <= 0.012 for x in unc) == 69
    assert abs(steps[54]["vs_detailed"]) <= 0.052 and abs(steps[54]["vs_cycle"]) <= 0.006
    # Every step within 25 % of the cycle model (reached: 19.7 %), the mean step within 5 % (reached: 1.4 %).
    assert s["worst_vs_cycle"] <= 0.20
    assert abs(s["mean_step_vs_cycle"]) <= 0.015
    assert abs(s["mean_step_vs_detailed"]) <= 0.003


def test_energy_per_component_agrees_with_sanafe(report):
    _, s = load_compare().compare(report)
    # Synapse and network energy are the same event counts at the same prices; soma differs by 0.06 %.
    assert abs(s["energy_vs_sanafe"]["synapse"]) < 1e-6
    assert abs(s["energy_vs_sanafe"]["network"]) < 1e-6
    assert abs(s["energy_vs_sanafe"]["soma"]) < 0.001
    # Static power only for the 40 cores in use (power gating): 40 x 0.8125 mW over the run.
    assert report["energy_j"]["static"] == pytest.approx(40 * 0.8125e-3 * report["latency_s"], rel=1e-9)


def test_compare_rejects_a_report_of_another_length(report):
    short = json.loads(json.dumps(report))
    short["counters"]["chip"]["timestep_cycles"] = short["counters"]["chip"]["timestep_cycles"][:10]
    with pytest.raises(SystemExit, match="report has 10 timesteps, SANA-FE 100 / 100"):
        load_compare().compare(short)


def test_default_profile_keeps_its_own_cost_model(binary, tmp_path):
    # The default Loihi 1 profile (Davies 2018 reading on every option) on the same network: the figures the
    # comparison started from (0.874x SANA-FE's run, 0.455x to 1.444x per step, soma energy +1.06 %).
    subprocess.run([binary, "run", os.path.join(ROOT, "configs", "sanafe_case1_default.yaml"), "--out",
                    str(tmp_path)], check=True, env=ENV, capture_output=True, timeout=300)
    with open(tmp_path / "report.json") as f:
        steps, s = load_compare().compare(json.load(f))
    assert s["mean_step_vs_detailed"] == pytest.approx(-0.126, abs=0.001)
    ratios = [x["spikemesh_s"] / x["detailed_s"] for x in steps]
    assert min(ratios) == pytest.approx(0.455, abs=0.001) and max(ratios) == pytest.approx(1.444, abs=0.001)
    assert s["energy_vs_sanafe"]["soma"] == pytest.approx(0.0106, abs=0.0001)
