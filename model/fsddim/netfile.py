"""The spikemesh network file (docs/network-format.md) in Python: an in-memory form, writer and reader.

The writer is deterministic (same network -> same bytes: no timestamps, fixed dataset order, fixed
compression) and atomic (temporary file in the target directory, then rename). The reader checks what
the fixed-point forward relies on and names the file and dataset in its errors; the C++ loader
(model/network_file.cpp) remains the reference for validity.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import h5py
import numpy as np

from .errors import FsddimError
from .files import atomic_output

FORMAT = "spikemesh-network"
VERSION = 1
NEURON_FIELDS = ("du", "dv", "vth_mant", "bias_mant", "bias_exp", "refract_delay", "vmin_exp", "vmax_exp")
NEURON_DEFAULTS = {"du": 0, "dv": 0, "vth_mant": 0, "bias_mant": 0, "bias_exp": 0, "refract_delay": 0, "vmin_exp": 23, "vmax_exp": 7}


@dataclass
class Population:
    name: str
    kind: str                                   # cuba | input | readout | sdnn
    shape: tuple                                # (N,) or (C, H, W)
    neuron: dict = field(default_factory=dict)  # field -> int scalar or int array (N,)
    bias_table: np.ndarray = None               # (K, P, M) int
    bias_start: int = 0
    payload_bits: int = 1
    payload_frac_bits: int = 0
    sdnn: dict = None                           # sdnn only: role, activation (str), state_exp, spike_exp (int)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def param(self, key):
        return self.neuron.get(key, NEURON_DEFAULTS[key])


@dataclass
class Projection:
    name: str
    source: str
    target: str
    encoding: str                               # dense | sparse | conv | one_to_one
    weights: np.ndarray
    weight_exp: int = 0
    num_weight_bits: int = 8
    sign_mode: str = "mixed"
    delays: object = 0                          # int or array
    stride: tuple = (1, 1)
    padding: tuple = (0, 0)
    groups: int = 1
    upsample: int = 1
    pre: np.ndarray = None
    post: np.ndarray = None
    dilation: tuple = (1, 1)                    # conv: written only when not 1 (as the C++ writer)


@dataclass
class Network:
    populations: list
    projections: list
    attributes: dict = field(default_factory=dict)    # /metadata string/int attributes
    arrays: dict = field(default_factory=dict)        # /metadata numeric datasets
    producer: str = "fsddim"

    def population(self, name):
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(name)


def _int_dtype(a):
    a = np.asarray(a)
    lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
    for dt in (np.int8, np.int16, np.int32):
        if np.iinfo(dt).min <= lo and hi <= np.iinfo(dt).max:
            return dt
    return np.int64


def _ds(g, name, data, compress=True):
    a = np.asarray(data)
    if a.dtype.kind in "iub":
        a = a.astype(_int_dtype(a))
    kw = {}
    if compress and a.ndim >= 1 and a.size >= 64:
        kw = dict(compression="gzip", compression_opts=6, shuffle=True, chunks=True)
    g.create_dataset(name, data=a, track_times=False, **kw)


def write(net: Network, path):
    """Writes `net` to `path` atomically."""
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = np.int64(VERSION)
            f.attrs["producer"] = net.producer
            gp = f.create_group("populations")
            for i, p in enumerate(net.populations):
                g = gp.create_group(str(i))
                g.create_dataset("name", data=p.name, track_times=False)
                g.create_dataset("kind", data=p.kind, track_times=False)
                _ds(g, "shape", np.array(p.shape, dtype=np.int64), compress=False)
                ng = g.create_group("neuron")
                for k in NEURON_FIELDS:
                    if k in p.neuron:
                        v = np.asarray(p.neuron[k])
                        if v.ndim and v.size > 1 and np.all(v == v.flat[0]):
                            v = v.flat[0]
                        _ds(ng, k, np.asarray(v).reshape(()) if np.asarray(v).size == 1 else v)
                if p.bias_table is not None:
                    _ds(g, "bias_table", p.bias_table)
                if p.bias_start:
                    _ds(g, "bias_start", np.int64(p.bias_start), compress=False)
                if p.kind in ("input", "sdnn"):
                    _ds(g, "payload_bits", np.int64(p.payload_bits), compress=False)
                    _ds(g, "payload_frac_bits", np.int64(p.payload_frac_bits), compress=False)
                if p.kind == "sdnn":
                    sg = g.create_group("sdnn")
                    for k in ("role", "activation"):
                        sg.create_dataset(k, data=p.sdnn[k], track_times=False)
                    for k in ("state_exp", "spike_exp"):
                        _ds(sg, k, np.int64(p.sdnn[k]), compress=False)
            gj = f.create_group("projections")
            for i, pr in enumerate(net.projections):
                g = gj.create_group(str(i))
                for k, v in (("name", pr.name), ("source", pr.source), ("target", pr.target), ("encoding", pr.encoding),
                             ("sign_mode", pr.sign_mode)):
                    g.create_dataset(k, data=v, track_times=False)
                _ds(g, "weight_exp", np.int64(pr.weight_exp), compress=False)
                _ds(g, "num_weight_bits", np.int64(pr.num_weight_bits), compress=False)
                _ds(g, "weights", pr.weights)
                _ds(g, "delays", pr.delays, compress=np.asarray(pr.delays).ndim > 0)
                if pr.encoding == "conv":
                    _ds(g, "stride", np.array(pr.stride, dtype=np.int64), compress=False)
                    _ds(g, "padding", np.array(pr.padding, dtype=np.int64), compress=False)
                    if tuple(pr.dilation) != (1, 1):  # optional, absent means 1 (as the C++ writer)
                        _ds(g, "dilation", np.array(pr.dilation, dtype=np.int64), compress=False)
                    _ds(g, "groups", np.int64(pr.groups), compress=False)
                    _ds(g, "upsample", np.int64(pr.upsample), compress=False)
                if pr.encoding == "sparse":
                    _ds(g, "pre", pr.pre)
                    _ds(g, "post", pr.post)
            gm = f.create_group("metadata")
            for k in sorted(net.attributes):
                v = net.attributes[k]
                gm.attrs[k] = np.int64(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else str(v)
            for k in sorted(net.arrays):
                _ds(gm, k, net.arrays[k])


def _str(f, path):
    v = f[path][()]
    return v.decode() if isinstance(v, bytes) else str(v)


def _int(f, path, default=None):
    if path not in f:
        if default is None:
            raise FsddimError(f"{f.filename}: {path}: missing dataset")
        return default
    v = f[path][()]
    a = np.asarray(v)
    if a.dtype.kind not in "iu":
        raise FsddimError(f"{f.filename}: {path}: expected an integer dataset, got {a.dtype}")
    return a.astype(np.int64)


def read(path):
    """Reads a network file (any version-1 file the C++ loader accepts, for what the forward needs)."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FsddimError(f"{path}: cannot open as HDF5: {e}") from None
    with f:
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != FORMAT:
            raise FsddimError(f"{path}: /: attribute 'format' is {fmt!r}, expected '{FORMAT}'")
        if int(f.attrs.get("version", -1)) != VERSION:
            raise FsddimError(f"{path}: /: unsupported version {f.attrs.get('version')}")
        pops, projs = [], []
        n = len(f["populations"]) if "populations" in f else 0
        for i in range(n):
            at = f"/populations/{i}"
            if at not in f:
                raise FsddimError(f"{path}: /populations: missing group '{i}'")
            neuron = {k: _int(f, f"{at}/neuron/{k}") for k in NEURON_FIELDS if f"{at}/neuron/{k}" in f}
            p = Population(_str(f, at + "/name"), _str(f, at + "/kind"), tuple(int(v) for v in _int(f, at + "/shape")), neuron)
            if at + "/bias_table" in f:
                p.bias_table = _int(f, at + "/bias_table")
            p.bias_start = int(_int(f, at + "/bias_start", np.int64(0)))
            if p.kind in ("input", "sdnn"):
                p.payload_bits = int(_int(f, at + "/payload_bits", np.int64(1)))
                p.payload_frac_bits = int(_int(f, at + "/payload_frac_bits", np.int64(0)))
            if p.kind == "sdnn":
                p.sdnn = {k: _str(f, f"{at}/sdnn/{k}") for k in ("role", "activation")}
                p.sdnn.update({k: int(_int(f, f"{at}/sdnn/{k}", np.int64(0))) for k in ("state_exp", "spike_exp")})
            pops.append(p)
        n = len(f["projections"]) if "projections" in f else 0
        for i in range(n):
            at = f"/projections/{i}"
            enc = _str(f, at + "/encoding")
            pr = Projection(_str(f, at + "/name") if at + "/name" in f else "", _str(f, at + "/source"), _str(f, at + "/target"),
                            enc, _int(f, at + "/weights"), int(_int(f, at + "/weight_exp")), int(_int(f, at + "/num_weight_bits")),
                            _str(f, at + "/sign_mode"), _int(f, at + "/delays", np.int64(0)))
            if enc == "conv":
                st = _int(f, at + "/stride", np.int64(1))
                pd = _int(f, at + "/padding", np.int64(0))
                pr.stride = tuple(int(v) for v in (st if st.ndim else [st, st]))
                pr.padding = tuple(int(v) for v in (pd if pd.ndim else [pd, pd]))
                dl = _int(f, at + "/dilation", np.int64(1))
                pr.dilation = tuple(int(v) for v in (dl if dl.ndim else [dl, dl]))
                pr.groups = int(_int(f, at + "/groups", np.int64(1)))
                pr.upsample = int(_int(f, at + "/upsample", np.int64(1)))
            if enc == "sparse":
                pr.pre, pr.post = _int(f, at + "/pre"), _int(f, at + "/post")
            projs.append(pr)
        attrs, arrays = {}, {}
        if "metadata" in f:
            for k, v in f["metadata"].attrs.items():
                attrs[k] = v.decode() if isinstance(v, bytes) else (int(v) if np.asarray(v).dtype.kind in "iu" else v)
            for k, v in f["metadata"].items():
                if isinstance(v, h5py.Dataset) and v.dtype.kind in "iuf":
                    arrays[k] = v[()]
        prod = f.attrs.get("producer", "")
        return Network(pops, projs, attrs, arrays, prod.decode() if isinstance(prod, bytes) else str(prod))
