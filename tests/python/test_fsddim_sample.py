"""scripts/fsddim sample: N images in one .npy for outside scoring, the same file whatever the worker count."""
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import ROOT
from fsddim.sample import pieces, to_unit


def run_sample(args, env_bin):
    env = dict(os.environ, SPIKEMESH_BIN=env_bin)
    return subprocess.run([os.path.join(ROOT, "scripts", "fsddim"), "sample", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def test_pieces_cover_every_image_once_in_order():
    assert pieces(10, 3) == [(0, 4), (4, 3), (7, 3)]
    assert pieces(2, 8) == [(0, 1), (1, 1)]
    assert pieces(5, 1) == [(0, 5)]


def test_to_unit_maps_minus_one_one_to_zero_one_as_float32():
    x = to_unit(np.array([[[[-1.0, 0.0], [0.5, 1.0]]]]))
    assert x.dtype == np.float32 and x.shape == (1, 2, 2)
    assert x.tolist() == [[[0.0, 0.5], [0.75, 1.0]]]


def test_network_images_equal_the_reference_samplers_whatever_the_workers(binary, tiny_run, tmp_path):
    _, _, net = tiny_run
    one, two = tmp_path / "one.npy", tmp_path / "two.npy"
    r1 = run_sample(["--network", net, "--steps", "2", "--samples", "3", "--seed", "4", "--workers", "1",
                     "--out", str(one)], binary)
    assert r1.returncode == 0, r1.stderr
    r2 = run_sample(["--network", net, "--steps", "2", "--samples", "3", "--seed", "4", "--workers", "2",
                     "--out", str(two)], binary)
    assert r2.returncode == 0, r2.stderr
    assert "3.0/3 images" in r2.stderr  # the progress bar reached the end
    a, b = np.load(one), np.load(two)
    assert a.dtype == np.float32 and a.shape == (3, 28, 28)
    assert np.array_equal(a, b)
    # The same images as one `spikemesh sample` run of the three (image k: noise stream (seed, k)).
    out = tmp_path / "ref"
    subprocess.run([binary, "sample", net, "--steps", "2", "--images", "3", "--seed", "4", "--out", str(out)],
                   check=True, capture_output=True)
    with h5py.File(out / "samples.h5", "r") as f:
        ref = f["images"][()]
    assert np.array_equal(a, np.clip((ref[:, 0] + 1) / 2, 0, 1).astype(np.float32))
    assert not np.array_equal(a[0], a[1])  # independent noise per image


def test_checkpoint_images_are_the_evaluators_sampler(tiny_run, tmp_path):
    import torch
    from fsddim.evaluate import sample_model
    from fsddim.train import load_checkpoint
    run, _, _ = tiny_run
    ck_path = os.path.join(run, "float.pt")
    out = tmp_path / "f.npy"
    r = run_sample(["--checkpoint", ck_path, "--steps", "2", "--samples", "2", "--seed", "9", "--batch", "1",
                    "--out", str(out)], "/nonexistent")
    assert r.returncode == 0, r.stderr
    ck = load_checkpoint(ck_path)
    torch.set_num_threads(1)
    want = sample_model(ck["model"], ck["config"], 2, 2, 9, batch=1).numpy()[:, 0]
    got = np.load(out)
    assert got.shape == (2, 28, 28)
    np.testing.assert_allclose(got, want.astype(np.float32), atol=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--network", "/no/such.h5", "--steps", "2", "--samples", "1", "--out", "x.npy"],
     "/no/such.h5: network file not found"),
    (["--network", "n.h5", "--steps", "2", "--samples", "1", "--out", "x.png"], "expected a .npy file name"),
    (["--network", "n.h5", "--steps", "2", "--samples", "0", "--out", "x.npy"], "--samples: expected at least 1"),
])
def test_bad_arguments_are_one_line_errors(args, message, tmp_path):
    r = subprocess.run([sys.executable, "-m", "fsddim.sample", *args], capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "model")), timeout=60)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.npy").exists()
