"""Sweep plots: energy against latency per image, coloured by quality (or, in a sweep without a quality
metric, by the first axis), with the Pareto front ringed (scripts/sweep/pareto.py: in energy, latency and
quality when the sweep measures quality, else in energy and latency); and each metric against each swept
axis, one line per combination of the other axes. Writes PNGs into the sweep folder and returns their paths.

    /usr/bin/python3 scripts/sweep/plots.py DIR      (re-plot DIR/results.csv)
"""
import csv
import json
import sys
import math
from pathlib import Path

import matplotlib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pareto import sweep_front  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# (column, label, lower is better?)
METRICS = [
    ("latency_s_per_image", "latency per image (s)"),
    ("energy_j_per_image", "energy per image (J)"),
    ("cycles_per_timestep", "cycles per timestep"),
    ("spikes_per_image", "spikes per image"),
    ("busy_fraction", "busy fraction of used cores"),
    ("psnr_db", "PSNR vs exported model (dB)"),
    ("psnr_db_vs_float", "PSNR vs float model (dB)"),
]
QUALITY = [("psnr_db", "PSNR vs exported model (dB)", "viridis"),
           ("psnr_db_vs_float", "PSNR vs float model (dB)", "viridis")]


def _num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x


def _value(r, axis):
    """A row's value on an axis: one key, or a tuple of zipped keys shown as "a x b"."""
    if isinstance(axis, (tuple, list)):
        return " x ".join(str(r.get(k)) for k in axis)
    return str(r.get(axis))


def _short(axis):
    keys = axis if isinstance(axis, (tuple, list)) else [axis]
    return "/".join(k.split(".")[-1] for k in keys)


def _name(axis):
    if isinstance(axis, (tuple, list)):
        return " x ".join(axis)
    return axis


def plot_sweep(out: Path, rows: list, axes: list) -> list:
    ok = [r for r in rows if r.get("status") == "ok" and _num(r.get("energy_j_per_image")) is not None
          and _num(r.get("latency_s_per_image")) is not None]
    pngs = []
    if not ok:
        return pngs
    e = [_num(r["energy_j_per_image"]) for r in ok]
    lat = [_num(r["latency_s_per_image"]) for r in ok]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    quality = next(((c, lab, cm) for c, lab, cm in QUALITY if all(_num(r.get(c)) is not None for r in ok)), None)
    if quality:
        # An infinite PSNR (images identical to the reference) is drawn 3 dB above the best finite one and
        # labelled.
        qv = [_num(r[quality[0]]) for r in ok]
        finite = [v for v in qv if math.isfinite(v)]
        top = max(finite) + 3.0 if finite else 0.0
        sc = ax.scatter(lat, e, c=[v if math.isfinite(v) else top for v in qv], cmap=quality[2], zorder=3)
        for k, v in enumerate(qv):
            if not math.isfinite(v):
                ax.annotate("identical", (lat[k], e[k]), textcoords="offset points", xytext=(5, -10), fontsize=7)
        fig.colorbar(sc, ax=ax, label=quality[1] + ("; identical at +3 dB" if len(finite) < len(qv) else ""))
    elif axes:
        cats = list(dict.fromkeys(_value(r, axes[0]) for r in ok))
        cmap = plt.get_cmap("tab10")
        for i, c in enumerate(cats):
            sel = [k for k, r in enumerate(ok) if _value(r, axes[0]) == c]
            ax.scatter([lat[k] for k in sel], [e[k] for k in sel], color=cmap(i % 10), zorder=3,
                       label=f"{_name(axes[0])} = {c}")
    names, front_rows = sweep_front(ok)
    front = [next(k for k, r in enumerate(ok) if r is f) for f in front_rows]  # by latency
    n = f"{len(front)} point{'s' if len(front) != 1 else ''}"
    if len(names) == 3:  # a front in three objectives is no line in this plane: ring its points
        ax.plot([lat[i] for i in front], [e[i] for i in front], "o", ms=11, mfc="none", mec="r", zorder=4,
                label=f"Pareto front in energy, latency and {names[2]} ({n})")
    else:
        ax.plot([lat[i] for i in front], [e[i] for i in front], "r--", lw=1, marker="o", ms=11, mfc="none", zorder=4,
                label=f"Pareto front in energy and latency ({n})")
    ax.set_xlabel("latency per image (s)")
    ax.set_ylabel("energy per image (J)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"energy vs latency ({len(ok)} points)" + ("" if quality else ", no quality metric in this sweep"),
                 fontsize=9)
    fig.tight_layout()
    p = out / "pareto.png"
    fig.savefig(p, dpi=100)
    plt.close(fig)
    pngs.append(p)

    metrics = [(m, lab) for m, lab in METRICS if any(_num(r.get(m)) is not None for r in ok)]
    for axis in axes:
        others = [a for a in axes if a != axis]
        cats = list(dict.fromkeys(_value(r, axis) for r in ok))
        groups = list(dict.fromkeys(tuple(_value(r, a) for a in others) for r in ok))
        fig, subs = plt.subplots(1, len(metrics), figsize=(3.0 * len(metrics), 3.2), squeeze=False)
        for ax, (m, lab) in zip(subs[0], metrics):
            for g in groups:
                sel = [r for r in ok if tuple(_value(r, a) for a in others) == g and _num(r.get(m)) is not None]
                sel.sort(key=lambda r: cats.index(_value(r, axis)))
                name = ", ".join(f"{_short(a)}={v}" for a, v in zip(others, g))
                ax.plot([cats.index(_value(r, axis)) for r in sel], [_num(r[m]) for r in sel], "o-", ms=3,
                        lw=0.8, label=name)
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats)
            ax.set_xlabel(_name(axis), fontsize=7)
            ax.set_title(lab, fontsize=8)
            ax.tick_params(labelsize=7)
        if others and len(groups) <= 12:
            subs[0][-1].legend(fontsize=6, loc="best")
        fig.tight_layout()
        p = out / f"by_{'_x_'.join(axis if isinstance(axis, (tuple, list)) else [axis]).replace('.', '_')}.png"
        fig.savefig(p, dpi=90)
        plt.close(fig)
        pngs.append(p)
    return pngs


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    plan = json.loads((out / "sweep.json").read_text())
    axes = list(plan["product"]) + ([tuple(plan["zip"])] if plan["zip"] else [])
    for p in plot_sweep(out, rows, axes):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
