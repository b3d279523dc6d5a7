"""Pareto fronts of a sweep's points: energy and latency per image (lower is better) and, when the sweep
measures it, image quality (higher is better). A point is on the front when no other point is at least as
good in every objective and better in one. Pure Python: the sweep's summary and plots.py use it.
"""
import math

# The quality columns of results.csv, in order of preference (scripts/sweep/sweep.py QUALITY_COLUMNS):
# psnr_db is report.json's fsddim.quality.psnr_db (PSNR of the point's images against the exported
# model's, `fsddim.quality: psnr`), psnr_db_vs_float its fsddim.quality.psnr_db_vs_float (against the
# float model's). Higher is better; inf means every image is identical to the ones compared against.
QUALITY_COLUMNS = ("psnr_db", "psnr_db_vs_float")
ENERGY, LATENCY = "energy_j_per_image", "latency_s_per_image"


def number(v):
    """A CSV cell as a float ('inf' included), or None when it holds no number."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def pareto_front(points, higher_is_better):
    """Indices of the points (tuples of objective values) that no other point dominates: at least as good in
    every objective and better in one. higher_is_better[k] says the direction of objective k. Equal points
    do not dominate each other, so duplicates are all on the front."""
    def at_least(a, b, hi):
        return a >= b if hi else a <= b

    def better(a, b, hi):
        return a > b if hi else a < b

    front = []
    for i, p in enumerate(points):
        dominated = any(
            all(at_least(q[k], p[k], hi) for k, hi in enumerate(higher_is_better))
            and any(better(q[k], p[k], hi) for k, hi in enumerate(higher_is_better))
            for j, q in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return front


def quality_column(rows):
    """The first quality column every row has a number in, or None (a sweep without `quality:`)."""
    return next((c for c in QUALITY_COLUMNS if rows and all(number(r.get(c)) is not None for r in rows)), None)


def sweep_front(rows):
    """The front of the rows that ran (status ok, with energy and latency): (objective names, the rows on the
    front sorted by latency). With a quality column the front has three objectives, else two."""
    ok = [r for r in rows if r.get("status") == "ok" and number(r.get(ENERGY)) is not None
          and number(r.get(LATENCY)) is not None]
    q = quality_column(ok)
    names = [ENERGY, LATENCY] + ([q] if q else [])
    points = [tuple(number(r[n]) for n in names) for r in ok]
    front = pareto_front(points, [False, False] + ([True] if q else []))
    return names, sorted((ok[i] for i in front), key=lambda r: (number(r[LATENCY]), number(r[ENERGY])))
