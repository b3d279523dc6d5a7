"""The sweeps' Pareto front (scripts/sweep/pareto.py) on a small hand-made results table: with a quality
column the front has three objectives (energy and latency per image lower, PSNR higher is better), and a
point is on it when no other point is at least as good in all three and better in one.

    /usr/bin/python3 -m pytest tests/python/test_pareto.py
"""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "sweep"))
from pareto import pareto_front, quality_column, sweep_front  # noqa: E402

# point: (energy J, latency s, PSNR dB as results.csv writes it); H failed.
TABLE = {
    "A": ("0.10", "0.30", "30"),
    "B": ("0.12", "0.25", "30"),
    "C": ("0.12", "0.30", "30"),   # A is as good in all three and better in energy
    "D": ("0.20", "0.40", "inf"),  # slowest and dearest, but its images are identical: best quality
    "E": ("0.10", "0.30", "25"),   # A's energy and latency, worse images
    "F": ("0.09", "0.35", "20"),   # the least energy
    "G": ("0.12", "0.25", "30"),   # B again: equal points do not dominate each other
    "I": ("0.11", "0.26", "29"),
    "J": ("0.13", "0.26", "29"),   # I is better in energy, equal in the rest
}


def rows(with_quality=True):
    out = [{"point": p, "status": "ok", "energy_j_per_image": e, "latency_s_per_image": l,
            **({"psnr_db": q} if with_quality else {})} for p, (e, l, q) in TABLE.items()]
    out.append({"point": "H", "status": "failed", "energy_j_per_image": "", "latency_s_per_image": "",
                "psnr_db": ""})
    return out


def test_three_objective_front_keeps_quality_trade_offs():
    names, front = sweep_front(rows())
    assert names == ["energy_j_per_image", "latency_s_per_image", "psnr_db"]
    # By latency, then energy: B and G (0.25 s), I, A, F, D.
    assert [r["point"] for r in front] == ["B", "G", "I", "A", "F", "D"]


def test_without_quality_the_front_is_energy_and_latency():
    names, front = sweep_front(rows(with_quality=False))
    assert names == ["energy_j_per_image", "latency_s_per_image"]
    # D drops out (A beats it on both), E joins (A's twin on both), the rest as above.
    assert [r["point"] for r in front] == ["B", "G", "I", "A", "E", "F"]


def test_quality_counts_only_when_every_point_has_it():
    r = rows()
    r[0]["psnr_db"] = ""
    assert quality_column([x for x in r if x["status"] == "ok"]) is None
    assert len(sweep_front(r)[0]) == 2
    # The PSNR against the float model serves when the one against the exported model is missing.
    r = rows()
    for x in r:
        x["psnr_db_vs_float"] = x.pop("psnr_db")
    assert sweep_front(r)[0][2] == "psnr_db_vs_float"


@pytest.mark.parametrize("points, hi, want", [
    ([(1, 1), (1, 1)], [False, False], [0, 1]),             # ties: both stay
    ([(1, 2), (2, 1), (2, 2)], [False, False], [0, 1]),     # (2, 2) is dominated by both
    ([(1, 5), (1, 6)], [False, True], [1]),                 # same first, higher second wins when higher is better
    ([(1, 5), (1, 6)], [False, False], [0]),
])
def test_pareto_front_directions(points, hi, want):
    assert pareto_front(points, hi) == want
