"""Image pipelining on the bundled model (models/fsddim_small, T = 4, D = 33: P = 40 timesteps per DDIM step,
up to 10 images in flight) with the reference sampler: the pipelined loop gives exactly the sequential
loop's payloads. Kept small for CI: S = 2, 3 images."""
import os
import subprocess

import h5py
import numpy as np

from conftest import ROOT

NET = os.path.join(ROOT, "models", "fsddim_small", "network.h5")


def _sample(binary, out, *extra):
    res = subprocess.run([binary, "sample", NET, "--steps", "2", "--images", "3", "--seed", "4", "--trajectory",
                          "--out", str(out), *extra], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    with h5py.File(out / "samples.h5", "r") as f:
        return f["payloads"][()], f["trajectory"][()], res.stdout


def test_pipelined_reference_sampler_equals_the_sequential_one_on_the_bundled_model(binary, tmp_path):
    seq, seq_traj, _ = _sample(binary, tmp_path / "seq")
    piped, piped_traj, stdout = _sample(binary, tmp_path / "piped", "--pipeline", "0")
    assert "3 images (3 in flight)" in stdout
    np.testing.assert_array_equal(piped, seq)
    np.testing.assert_array_equal(piped_traj, seq_traj)
    assert np.count_nonzero(seq) > seq.size // 2  # real images, not zeros


def test_pipeline_beyond_what_fits_is_refused_with_the_largest_value(binary, tmp_path):
    res = subprocess.run([binary, "sample", NET, "--steps", "1", "--images", "1", "--pipeline", "11",
                          "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert res.returncode != 0
    assert "--pipeline: 11 images in flight do not fit" in res.stderr, res.stderr
    assert "one DDIM step takes 40 timesteps, one image per T = 4 of them: the largest value that fits is 10" in res.stderr
    assert not (tmp_path / "o" / "samples.h5").exists()
