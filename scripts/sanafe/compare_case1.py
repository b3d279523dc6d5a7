#!/usr/bin/python3
"""Compare a spikemesh run of sanafe-case1 with SANA-FE's outputs (tests/data/sanafe-case1/).

Latency per timestep against SANA-FE's detailed model and its cycle model (BookSim 2 NoC); energy per
component (synapse, soma, network) against the detailed summary. A step is "congested" when SANA-FE's own
two models disagree on it by more than 5 %: there the network's contention decides the step, which the
detailed model only approximates.

    build/spikemesh run configs/sanafe_case1.yaml --out out/sanafe_case1
    /usr/bin/python3 scripts/sanafe/compare_case1.py out/sanafe_case1/report.json [--json OUT] [--steps]
        [--plot docs/img/sanafe_case1_latency.png --baseline DEFAULT_PROFILE_REPORT]
"""
import argparse
import csv
import json
import pathlib
import sys

DATA = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "sanafe-case1"
CONGESTED = 0.05  # SANA-FE detailed vs cycle model disagree by more than this: a congested step


def read_perf(name):
    path = DATA / name
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "sim_time" not in rows[0]:
        sys.exit(f"{path}: expected a perf.csv with a sim_time column")
    return rows


def read_summary_energy():
    # The summary's energy block is written as 'key:value' lines (not valid YAML maps): parse them by hand.
    path = DATA / "sanafe_detailed_summary.yaml"
    out = {}
    for line in open(path):
        s = line.strip().replace(" ", "")
        for key in ("synapse", "dendrite", "soma", "network", "total"):
            if s.startswith(key + ":"):
                out[key] = float(s.split(":", 1)[1])
    if set(out) != {"synapse", "dendrite", "soma", "network", "total"}:
        sys.exit(f"{path}: expected energy lines synapse, dendrite, soma, network, total")
    return out


def compare(report):
    cycles = report["counters"]["chip"]["timestep_cycles"]
    clock_hz = report["clock_mhz"] * 1e6
    detailed, cycle = read_perf("sanafe_detailed_perf.csv"), read_perf("sanafe_cycle_perf.csv")
    if len(cycles) != len(detailed) or len(cycles) != len(cycle):
        sys.exit(f"report has {len(cycles)} timesteps, SANA-FE {len(detailed)} / {len(cycle)}: expected equal")
    steps = []
    for k, c in enumerate(cycles):
        ours = c / clock_hz
        d, y = float(detailed[k]["sim_time"]), float(cycle[k]["sim_time"])
        steps.append({"timestep": k + 1, "spikemesh_s": ours, "detailed_s": d, "cycle_s": y,
                      "vs_detailed": ours / d - 1, "vs_cycle": ours / y - 1,
                      "congested": abs(d / y - 1) > CONGESTED})
    unc = [s for s in steps if not s["congested"]]
    mean = lambda xs: sum(xs) / len(xs)
    summary = {
        "steps": len(steps),
        "congested_steps": [s["timestep"] for s in steps if s["congested"]],
        "worst_uncongested_vs_detailed": max((abs(s["vs_detailed"]) for s in unc), default=0.0),
        "worst_vs_cycle": max(abs(s["vs_cycle"]) for s in steps),
        "mean_step_vs_cycle": mean([s["spikemesh_s"] for s in steps]) / mean([s["cycle_s"] for s in steps]) - 1,
        "mean_step_vs_detailed": mean([s["spikemesh_s"] for s in steps]) / mean([s["detailed_s"] for s in steps]) - 1,
    }
    ev = report["energy_j"]["breakdown"]
    core, router = ev["core"]["events"], ev["router"]["events"]
    ours = {"synapse": sum(core.get(k, 0.0) for k in ("synop_dense", "synop_sparse", "synop_conv")),
            "soma": sum(core.get(k, 0.0) for k in ("update_active", "update_inactive", "spike")),
            "network": core.get("message_out", 0.0) + core.get("message_in", 0.0) + sum(router.values())}
    theirs = read_summary_energy()
    summary["energy_vs_sanafe"] = {k: ours[k] / theirs[k] - 1 for k in ours}
    summary["dynamic_energy_vs_sanafe"] = report["energy_j"]["dynamic"] / theirs["total"] - 1
    return steps, summary


def plot(steps, baseline, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = [s["timestep"] for s in steps]
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.plot(t, [s["detailed_s"] * 1e6 for s in steps], "k-", lw=1.5, label="SANA-FE detailed")
    ax.plot(t, [s["cycle_s"] * 1e6 for s in steps], "k--", lw=1, label="SANA-FE cycle (BookSim 2)")
    if baseline:
        ax.plot(t, [s["spikemesh_s"] * 1e6 for s in baseline], "-", color="tab:orange", lw=1,
                label="spikemesh, chip_loihi1.yaml (default)")
    ax.plot(t, [s["spikemesh_s"] * 1e6 for s in steps], "-", color="tab:blue", lw=1,
            label="spikemesh, chip_loihi1_sanafe.yaml")
    for s in steps:
        if s["congested"]:
            ax.axvspan(s["timestep"] - 0.5, s["timestep"] + 0.5, color="0.9", lw=0)
    ax.set_xlabel("timestep (grey: congested, SANA-FE's two models differ by > 5 %)")
    ax.set_ylabel("latency of the step (us)")
    ax.set_title("sanafe-case1: latency per timestep")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("report", help="report.json of `spikemesh run configs/sanafe_case1.yaml`")
    ap.add_argument("--json", help="write the per-step comparison and the summary here")
    ap.add_argument("--steps", action="store_true", help="print every step")
    ap.add_argument("--plot", help="write a PNG of latency per step: SANA-FE detailed and cycle, this report "
                    "and, with --baseline, another spikemesh report")
    ap.add_argument("--baseline", help="report.json of a second spikemesh run for the plot (e.g. the default "
                    "Loihi 1 profile)")
    a = ap.parse_args()
    steps, summary = compare(json.load(open(a.report)))
    if a.plot:
        plot(steps, compare(json.load(open(a.baseline)))[0] if a.baseline else None, a.plot)
    if a.steps:
        print("step  spikemesh_us  detailed_us  cycle_us  vs_detailed  vs_cycle  congested")
        for s in steps:
            print(f"{s['timestep']:4d}  {s['spikemesh_s'] * 1e6:12.3f}  {s['detailed_s'] * 1e6:11.3f}  "
                  f"{s['cycle_s'] * 1e6:8.3f}  {s['vs_detailed']:+10.1%}  {s['vs_cycle']:+8.1%}  "
                  f"{'yes' if s['congested'] else ''}")
    print(json.dumps(summary, indent=2))
    if a.json:
        json.dump({"steps": steps, "summary": summary}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
