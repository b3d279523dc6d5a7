"""Training that continues across sessions: a run stopped by --deadline-s and rerun ends where an
uninterrupted run ends, bit for bit (float and QAT phases); the lineage (images seen, CPU-hours, starting
point) adds up over the sessions; no optimiser state is committed."""
import json
import os
import subprocess

import torch

from conftest import ROOT
from fsddim.config import load_config
from fsddim.train import read_checkpoint_raw, train

OVER = ["train.iterations=5", "qat.iterations=3", "train.subset=64", "train.device=cpu", "train.checkpoint_every=1000",
        "train.batch_size=16", "qat.batch_size=16", "qat.calib_images=32"]


def assert_same_state(a, b, where):
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            assert_same_state(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


def run_in_sessions(cfg, run, qat):
    """Reruns the same command, each session stopping at a deadline that has passed after one iteration."""
    target = cfg["qat" if qat else "train"]["iterations"]
    sessions = 0
    while not (os.path.exists(os.path.join(run, "qat.pt" if qat else "float.pt")) and
               read_checkpoint_raw(os.path.join(run, "qat.pt" if qat else "float.pt"))["iteration"] == target):
        train(cfg, run, qat=qat, deadline_s=1e-9, quiet=True)
        sessions += 1
        assert sessions <= target
    return sessions


def test_deadline_and_rerun_end_where_an_uninterrupted_run_ends(tmp_path):
    torch.set_num_threads(1)
    cfg = load_config("tiny", OVER)
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    train(cfg, whole, quiet=True)
    train(cfg, whole, qat=True, quiet=True)
    assert run_in_sessions(cfg, parts, qat=False) == 5
    assert run_in_sessions(cfg, parts, qat=True) == 3
    for phase in ("float", "qat"):
        a = read_checkpoint_raw(os.path.join(whole, f"{phase}.pt"))
        b = read_checkpoint_raw(os.path.join(parts, f"{phase}.pt"))
        for key in ("iteration", "model", "ema", "optimizer", "scales"):
            assert_same_state(a[key], b[key], f"{phase}.{key}")

    # lineage: the same images over 5 (3) sessions as over one
    lin_whole = json.load(open(os.path.join(whole, "metrics.json")))["lineage"]
    lin_parts = json.load(open(os.path.join(parts, "metrics.json")))["lineage"]
    for lin, sessions in ((lin_whole, (1, 1)), (lin_parts, (5, 3))):
        f, q = lin["float"], lin["qat"]
        assert (f["iterations"], f["images_seen"], f["sessions"]) == (5, 5 * 16, sessions[0])
        assert (q["iterations"], q["images_seen"], q["sessions"]) == (3, 3 * 16, sessions[1])
        assert f["started_from"] == {"kind": "random initialisation", "seed": 0}
        assert q["started_from"]["kind"] == "checkpoint" and q["started_from"]["iteration"] == 5
        assert q["started_from"]["lineage"]["images_seen"] == 80      # the float phase it started from
        assert q["totals"]["images_seen"] == 80 + 48
        assert f["cpu_hours"] > 0 and q["totals"]["cpu_hours"] > q["cpu_hours"] > 0
        assert f["devices"] == ["cpu"]
    # the checkpoint carries the same lineage as metrics.json
    ck = read_checkpoint_raw(os.path.join(parts, "float.pt"))
    assert ck["lineage"]["images_seen"] == 80 and ck["lineage"]["sessions"] == 5


def test_no_committed_checkpoint_holds_an_optimiser_state():
    files = subprocess.run(["git", "ls-files", "*.pt"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert "models/fsddim_small/float.pt" in files
    for f in files:
        ck = read_checkpoint_raw(os.path.join(ROOT, f))
        assert ck.get("optimizer") is None, f
    # run directories are ignored
    res = subprocess.run(["git", "check-ignore", "-q", "runs/small/float.pt"], cwd=ROOT)
    assert res.returncode == 0
