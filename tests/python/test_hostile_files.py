"""Hostile network and stimulus files: every one gives a clear error naming the file (and the dataset), fast,
with no crash, hang or silent acceptance. The fuzzer-found files are in tests/data/fuzz-network/ (README
there); the rest are made here with h5py, each small."""
import glob
import os
import struct
import subprocess
import zlib

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
# repository's own campaign (tests/fuzz/), has a /projections group that libhdf5 cannot read; crash-0c9c8b8d's
# 'producer' attribute names object 131072 of a valid global heap collection that holds objects 1 to 4;
# crash-35600981's deflated chunk of /projections/4/post is marked as stored unfiltered, 178 of its 492 bytes
# (libhdf5 copied the whole chunk out of the short buffer); oom-a0c9d472's root-group object header declares a
# size that made libhdf5 ask for 12 GiB inside H5Fopen, which then fails: the file does not open; crash-823e90ab's
# and crash-a2bb1e2d's 'producer' declare a variable-length type of 5 and 32 bytes where a reference takes 16
# (libhdf5 copied the declared size out of the message's 16 bytes); crash-9cb7f16c's /projections/4/pre is
# chunked with a chunk size of 0 (libhdf5 divided by it opening the dataset: SIGFPE); oom-ed1c7845's 'format'
# is a variable-length string over 117440513-byte characters (libhdf5 allocated 1.9 GB to convert it);
# crash-37681eff's /populations/1/name has an enum type whose member names run past the message (libhdf5's
# strdup read past its buffer opening the dataset).
ATTR = "/: object header at byte 96: attribute 'producer': a variable-length datatype of size {} (a reference takes 16 bytes)"
EXPECTED = {"oom-a0c9d472f2": "cannot open as HDF5",
            "crash-823e90ab": ATTR.format(5),
            "crash-a2bb1e2d": ATTR.format(32),
            "oom-ed1c78454d": "/: object header at byte 96: attribute 'format': a variable-length type over "
                              "117440513-byte elements (spikemesh reads variable-length strings of bytes only)",
            "crash-37681eff": "/populations/1/name: object header at byte 32696: an enum datatype of size 16 over a "
                              "1-byte integer: corrupt or unsupported file; refusing to read it",
            "crash-9cb7f16c": "/projections/4/pre: object header at byte 170024: a chunk size of 0 in dimension 0: "
                              "corrupt or unsupported file; refusing to read it",
            "crash-67b55f8e": "/projections: cannot read the group (corrupt file?)",
            "crash-0c9c8b8d": "/ attribute 'producer': variable-length string (reference at byte 1016: length 31, "
                              "global heap at address 2048, object 131072) names an object that collection does not "
                              "hold: corrupt file",
            "crash-35600981": "/projections/4/post: chunk at (0,): stores 178 bytes, not the 492 of a whole chunk"}


def test_fuzz_corpus_is_present():
    assert len(FUZZ) == 16


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
    assert "/populations/4/bias_table" in out and "a dataspace whose element count overflows 64 bits" in out


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


# The example's root attribute 'format' = "spikemesh-network" (17 bytes) is stored as a reference to object 1
# of the global heap collection at byte 2048: a 4-byte length, an 8-byte address and a 4-byte index.
FORMAT_REF = struct.pack("<IQI", 17, 2048, 1)


@pytest.mark.parametrize("ref, why", [
    (struct.pack("<IQI", 17, 2048, 4000), "object 4000) names an object that collection does not hold"),
    (struct.pack("<IQI", 4096, 2048, 1), "states a length other than the object's 17 bytes"),
    (struct.pack("<IQI", 17, 1024, 1), "global heap at address 1024, object 1) points where no global heap"),
], ids=["index-not-held", "length-not-the-object's", "no-collection-there"])
def test_string_reference_outside_a_valid_heap_is_refused(binary, example, tmp_path, ref, why):
    """libhdf5 follows a variable-length string's reference unchecked (an index past the collection's object
    table read out of bounds and crashed); each part of the reference is checked against the validated heap."""
    data = example.read_bytes()
    assert data.count(FORMAT_REF) == 1
    example.write_bytes(data.replace(FORMAT_REF, ref))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert f"{example}: / attribute 'format': variable-length string (reference at byte" in out
    assert why in out and "corrupt file; refusing to read it" in out


def test_string_dataset_reference_outside_a_valid_heap_is_refused(binary, example, tmp_path):
    """A string dataset's reference lies at its contiguous storage address; an index the collection does not
    hold is refused before libhdf5 follows it."""
    with h5py.File(example, "r") as f:
        at = f["/populations/0/name"].id.get_offset()
    data = bytearray(example.read_bytes())
    length, addr, idx = struct.unpack_from("<IQI", data, at)
    assert (length, addr) == (5, 2048)  # "input", in the collection at byte 2048
    struct.pack_into("<I", data, at + 12, 4000)
    example.write_bytes(bytes(data))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert (f"{example}: /populations/0/name: variable-length string (reference at byte {at}: length 5, global heap "
            "at address 2048, object 4000) names an object that collection does not hold") in out


def _rewrite_chunk(path, ds, raw, filter_mask):
    """Replaces the first chunk of `ds` by `raw` bytes, stored with the given filter mask (bit i: filter i skipped)."""
    with h5py.File(path, "r+") as f:
        f[ds].id.write_direct_chunk((0,) * f[ds].ndim, raw, filter_mask)


@pytest.mark.parametrize("raw, mask, why", [
    (b"\0" * 100, 1, "stores 100 bytes, not the 492 of a whole chunk"),
    (zlib.compress(b"\0" * 200), 0, "inflates to 200 bytes, not the 492 of a whole chunk"),
    (zlib.compress(b"\0" * 600), 0, "inflates to more than 492 bytes, not the 492 of a whole chunk"),
    (b"not deflate at all", 0, "not a valid deflate stream"),
], ids=["unfiltered-short", "inflates-short", "inflates-long", "not-deflate"])
def test_chunk_not_exactly_one_chunk_long_is_refused(binary, example, tmp_path, raw, mask, why):
    """libhdf5 copies a whole chunk out of whatever its filters returned: a short one was read past its end."""
    ds = "/projections/4/post"  # 123 int32 in one deflated chunk: 492 bytes
    with h5py.File(example, "r") as f:
        assert f[ds].chunks == (123,) and f[ds].dtype == np.int32 and f[ds].compression == "gzip"
    _rewrite_chunk(example, ds, raw, mask)
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert f"{example}: {ds}: chunk at (0,): {why}" in out


def test_chunk_filters_other_than_deflate_and_shuffle_are_refused(binary, example, tmp_path):
    replace(example, "/projections/4/post", data=np.arange(123, dtype="i4"), chunks=(123,), fletcher32=True)
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "/projections/4/post: filter 3 at position 0 of the pipeline: only deflate (gzip), optionally after shuffle" in out


def rewrite_with_libver_latest(src, dst, extra_root_attrs=0, track_order=False):
    """Copies a network file into one with version-2 object headers (h5py's libver='latest'), the root's
    attributes (plus `extra_root_attrs` integers) included."""
    with h5py.File(src, "r") as s, h5py.File(dst, "w", libver="latest", track_order=track_order) as d:
        for k in s:
            s.copy(s[k], d, name=k)
        for k, v in s.attrs.items():
            d.attrs[k] = v
        for i in range(extra_root_attrs):
            d.attrs[f"extra_{i}"] = i


@pytest.mark.parametrize("track_order", [False, True], ids=["plain", "creation-order-tracked"])
def test_version_2_object_headers_are_read(binary, example, tmp_path, track_order):
    """The attribute check walks version-2 headers ('OHDR', optional creation-order field per message) as well
    as version 1: the same network written with libver='latest' runs, with the same spikes."""
    v2 = tmp_path / "v2.h5"
    rewrite_with_libver_latest(example, v2, extra_root_attrs=3, track_order=track_order)
    with h5py.File(v2, "r") as f:
        root = h5py.h5o.get_info(f["/"].id).addr
    assert v2.read_bytes()[root:root + 4] == b"OHDR"
    rc, out = reference(binary, v2, tmp_path)
    assert rc == 0, out
    assert "timesteps 2, spikes 251, synaptic events 3315" in out


def test_attributes_in_dense_storage_are_refused_with_the_way_out(binary, example, tmp_path):
    """More than 8 attributes on one object in a version-2 file go to a fractal heap, which the check cannot
    walk: refused, saying how to write the file instead."""
    dense = tmp_path / "dense.h5"
    rewrite_with_libver_latest(example, dense, extra_root_attrs=9)
    rc, out = reference(binary, dense, tmp_path)
    assert rc == 1, out
    assert f"{dense}: /: object header at byte" in out
    assert "attributes in dense storage (a fractal heap), which spikemesh cannot check" in out


# The example's root attribute 'format' is a version-1 attribute message: a version byte 1, a reserved 0, the
# name's length 7 ("format" and its NUL), the datatype's and the dataspace's lengths, then "format\0" padded to 8.
def format_message(data):
    at = data.index(b"format\0") - 8
    assert data[at] == 1 and struct.unpack_from("<H", data, at + 2)[0] == 7
    return at


@pytest.mark.parametrize("patch, why", [
    (lambda d, at: struct.pack_into("<H", d, at + 2, 5), "an attribute name that is not one NUL-terminated string"),
    (lambda d, at: struct.pack_into("<H", d, at + 4, 60000), "overrun its"),
    (lambda d, at: d.__setitem__(at + 16, (d[at + 16] & 0xf0) | 6), "a datatype of class compound, which spikemesh "
                                                                     "does not read"),
    (lambda d, at: d.__setitem__(at + 0, 7), "attribute message version 7"),
], ids=["name-not-its-length", "datatype-overruns-message", "compound-type", "unknown-version"])
def test_malformed_attribute_message_is_refused_before_libhdf5_decodes_it(binary, example, tmp_path, patch, why):
    """libhdf5 decodes an attribute message trusting the sizes in it (a fuzzer-found overflow, crash-a2bb1e2d);
    each part must decode within the message's bytes first."""
    data = bytearray(example.read_bytes())
    patch(data, format_message(data))
    example.write_bytes(bytes(data))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert f"{example}: /: object header at byte 96: " in out
    assert why in out and "refusing to read it" in out


def test_chunk_size_of_zero_is_refused_before_libhdf5_opens_the_dataset(binary, example, tmp_path):
    """libhdf5 divides a chunked dataset's extent by its chunk sizes when it opens it (a zero one raised
    SIGFPE: crash-9cb7f16c); the data layout message is checked from the file's bytes first."""
    ds = "/projections/4/weights"
    with h5py.File(example, "r") as f:
        w = f[ds][()]
    replace(example, ds, data=w, chunks=(61,))
    data = bytearray(example.read_bytes())
    sizes = struct.pack("<II", 61, w.dtype.itemsize)  # version-3 chunked layout: ..., address, sizes
    at = data.index(sizes)
    assert data[at - 11:at - 8] == bytes([3, 2, 2])  # version 3, class chunked, 2 sizes
    data[at:at + 4] = struct.pack("<I", 0)
    example.write_bytes(bytes(data))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert f"{example}: {ds}: object header at byte" in out
    assert "a chunk size of 0 in dimension 0: corrupt or unsupported file; refusing to read it" in out


def test_filter_name_without_its_nul_is_refused_before_libhdf5_copies_it(binary, example, tmp_path):
    """libhdf5 copies each filter's name in a dataset's pipeline message with strdup; the example's deflated
    datasets name their filter "deflate\\0" (padded to 8): without the NUL it would read on past the message."""
    data = example.read_bytes()
    assert data.count(b"deflate\0") > 10
    example.write_bytes(data.replace(b"deflate\0", b"deflateX"))
    rc, out = reference(binary, example, tmp_path)
    assert rc == 1, out
    assert "filter 0 of the pipeline has a name without its terminating NUL: corrupt or unsupported file; " \
           "refusing to read it" in out
