"""Shared fixtures: the package path, the spikemesh binary, and one tiny model trained, QAT'd and exported
once per session (a few seconds on 2 cores)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "model"))


def spikemesh_bin():
    b = os.environ.get("SPIKEMESH_BIN", os.path.join(ROOT, "build", "spikemesh"))
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


@pytest.fixture(scope="session")
def binary():
    b = spikemesh_bin()
    if not os.path.exists(b):
        pytest.skip(f"spikemesh binary not found at {b} (build it, or set SPIKEMESH_BIN); scripts/test builds it first")
    os.environ["SPIKEMESH_BIN"] = b
    return b


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A tiny model: 60 float iterations, 10 QAT iterations, exported. Returns (run dir, cfg, network path)."""
    import torch
    from fsddim.config import load_config
    from fsddim.export import export_checkpoint
    from fsddim.train import train

    torch.set_num_threads(1)
    run = str(tmp_path_factory.mktemp("tiny"))
    over = ["train.iterations=60", "qat.iterations=10", "train.subset=512", "train.device=cpu"]
    cfg = load_config("tiny", over)
    train(cfg, run, quiet=True)
    train(cfg, run, qat=True, quiet=True)
    net = os.path.join(run, "network.h5")
    export_checkpoint(os.path.join(run, "qat.pt"), net)
    return run, cfg, net


def pytest_configure(config):
    # One thread: CI and developer machines have 2 cores shared with compilers, and OpenMP thread pools
    # slow down by orders of magnitude when oversubscribed.
    import torch
    torch.set_num_threads(1)
