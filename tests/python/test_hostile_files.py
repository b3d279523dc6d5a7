"""Hostile network and stimulus files: every one gives a clear error naming the file (and the dataset), fast,
with no crash, hang or silent acceptance. The fuzzer-found files are in tests/data/fuzz-network/ (README
there); the rest are made here with h5py, each small."""
import glob
import os
import subprocess

import h5py
import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = sorted(glob.glob(os.path.join(HERE, "..", "data", "fuzz-network", "*-*")))


def reference(binary, net, tmp_path, *extra):
    """Runs `spikemesh reference` with a 5 s limit; returns (exit code, combined output)."""
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = subprocess.run([binary, "reference", str(net), "--timesteps", "2", "--out", str(tmp_path / "r.h5"), *extra],
                       capture_output=True, text=True, timeout=5, env=env)
    return r.returncode, r.stdout + r.stderr


# What each file gets: the seven shared findings corrupt the global heap; crash-67b55f8e, found by this
# repository's own campaign (tests/fuzz/), has a /projections group that libhdf5 cannot read.
EXPECTED = {"crash-67b55f8e": "/projections: cannot read the group (corrupt file?)"}


def test_fuzz_corpus_is_present():
    assert len(FUZZ) == 8


@pytest.mark.parametrize("path", FUZZ, ids=os.path.basename)
def test_fuzzer_found_file_is_a_clear_error_within_5s(binary, path, tmp_path):
    rc, out = reference(binary, path, tmp_path)
    assert rc == 1, out  # an error exit, not a signal (negative) and not success
    assert path in out
    assert EXPECTED.get(os.path.basename(path)[:14], "corrupt global heap") in out


@pytest.fixture
def example(binary, tmp_path):
    """The network `spikemesh example` writes: a valid base to corrupt one dataset at a time."""
    subprocess.run([binary, "example", "--out", str(tmp_path)], check=True, capture_output=True,
                   env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
    p = tmp_path / "network.h5"
    rc, out = reference(binary, p, tmp_path)
    assert rc == 0, out
    return p


def replace(path, ds, **kw):
    with h5py.File(path, "r+") as f:
        del f[ds]
        f.create_dataset(ds, **kw)


def test_huge_never_written_chunked_weights_refused_before_allocating(binary, example, tmp_path):
    ds = "/projections/4/weights"  # a sparse projection: the weights are read before their shape is checked
    replace(example, ds, shape=(2**31,), dtype="i2", chunks=(4096,))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert str(example) in out and ds in out
    assert "declares shape (2147483648,)" in out and "stores only 0 bytes" in out


def test_contiguous_dataset_stored_short_refused(binary, example, tmp_path):
    replace(example, "/populations/0/shape", shape=(3,), dtype="i8")  # created, never written: fill values 0
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "/populations/0/shape" in out and "(24 bytes) but the file stores only 0 bytes" in out


def test_shape_product_overflow_is_named_not_read_as_empty(binary, example, tmp_path):
    replace(example, "/populations/0/shape", data=np.array([2**26, 2**26, 2**26], dtype="i8"))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "/populations/0/shape" in out and "more than 2^32 neurons" in out


def test_bias_table_overflowing_shape_is_an_error_not_dropped(binary, example, tmp_path):
    with h5py.File(example, "r+") as f:
        del f["/populations/4/bias_table"]  # hidden0: 19 neurons
        f.create_dataset("/populations/4/bias_table", shape=(2**32, 2**32, 19), dtype="i2", chunks=(1, 1, 19))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "/populations/4/bias_table" in out and "overflows a 64-bit element count" in out


def test_huge_metadata_array_in_a_small_file_refused(binary, example, tmp_path):
    with h5py.File(example, "r+") as f:
        f.create_dataset("/metadata/big", shape=(2**28,), dtype="i1", chunks=(2**20,), compression="gzip")
        f["/metadata/big"][: 2**20] = 1  # one chunk written: 1 KB stored for 256 MiB declared
    assert os.path.getsize(example) < 300_000
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "/metadata/big" in out and "at most 1032:1 compression" in out


def test_huge_never_written_stimulus_refused(binary, example, tmp_path):
    stim = tmp_path / "stim.h5"
    with h5py.File(example, "r") as f:
        name = f["/populations/0/name"][()].decode()
    with h5py.File(stim, "w") as f:
        f.create_dataset(f"/inputs/{name}", shape=(2**31, 72), dtype="i4", chunks=(1024, 72))
    rc, out = reference(binary, example, tmp_path, "--stimulus", str(stim))
    assert rc == 1, out
    assert str(stim) in out and f"/inputs/{name}" in out and "stores only 0 bytes" in out


def test_check_refuses_two_to_the_30_timesteps_before_allocating(binary, example, tmp_path):
    """--check runs the memory estimate before the stimulus is made: a 1.4 TiB run is refused in seconds."""
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: {example}\nstimulus: random\nenergy: {os.path.join(HERE, '..', '..', 'configs', 'energy', 'davies2018.yaml')}\n"
                   "timesteps: 1073741824\n")
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    r = subprocess.run([binary, "run", str(cfg), "--check"], capture_output=True, text=True, timeout=10, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"{cfg}: the run needs about 1412.0 GiB" in r.stderr
    assert "timesteps (1073741824) 1412.0 GiB of raster and stimulus" in r.stderr and "Lower timesteps" in r.stderr


def _trace_check(binary, example, tmp_path, trace_yaml, *args):
    cfg = tmp_path / "trace.yaml"
    cfg.write_text(f"network: {example}\nstimulus: random\n"
                   f"energy: {os.path.join(HERE, '..', '..', 'configs', 'energy', 'davies2018.yaml')}\n"
                   f"timesteps: 4\nchip:\n  base: {os.path.join(HERE, '..', '..', 'configs', 'chip_loihi2.yaml')}\n  mesh:\n    routers_x: 2\n    routers_y: 2\n  core:\n    compartments: 64\n"
                   f"trace:\n  vcd: true\n{trace_yaml}")
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    return cfg, subprocess.run([binary, "run", str(cfg), *args], capture_output=True, text=True, timeout=60, env=env)


def test_trace_signals_matching_nothing_is_refused_by_check_and_run(binary, example, tmp_path):
    for args in (["--check"], ["--out", str(tmp_path / "out")]):
        cfg, r = _trace_check(binary, example, tmp_path, "  signals: 'chip.no_such_*'\n", *args)
        assert r.returncode == 1, r.stdout
        assert f"{cfg}: trace.signals = 'chip.no_such_*' selects none of the chip's" in r.stderr
        assert "(for example 'chip.timestep'" in r.stderr
    assert not (tmp_path / "out" / "run.vcd").exists()
    cfg, r = _trace_check(binary, example, tmp_path, "  signals: 'chip.timestep'\n", "--check")
    assert r.returncode == 0 and "config OK" in r.stdout, r.stderr


def test_check_refuses_a_vcd_above_its_cap(binary, example, tmp_path):
    cfg, r = _trace_check(binary, example, tmp_path, "  max_vcd_bytes: 1000\n", "--check")
    assert r.returncode == 1, r.stdout
    assert f"{cfg}: trace: the VCD could reach" in r.stderr and "above the cap trace.max_vcd_bytes = 1000" in r.stderr
