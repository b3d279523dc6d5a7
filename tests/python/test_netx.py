"""lava-dl netx import (`spikemesh netx`): the imported registers, lava-dl's own tiny.net ground truth on the
reference simulator and on the chip, and the errors for what the importer does not support (docs/netx.md)."""
import gzip
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data", "lava-dl")
TINY = os.path.join(DATA, "tiny.net")
OXFORD = os.path.join(DATA, "tutorials", "oxford", "network.net")
ENV = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")


def netx(binary, src, dst):
    return subprocess.run([binary, "netx", src, dst], capture_output=True, text=True, env=ENV)


@pytest.fixture(scope="module")
def tiny(binary, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("netx") / "tiny.h5")
    r = netx(binary, TINY, out)
    assert r.returncode == 0, r.stderr
    return out


def test_tiny_net_registers(tiny):
    with h5py.File(tiny) as f:
        pops = [f[f"populations/{i}"] for i in range(3)]
        assert [p["name"][()].decode() for p in pops] == ["layer0", "layer1", "layer2"]
        assert [list(p["shape"][()]) for p in pops] == [[3, 16, 16], [24, 6, 6], [36, 1, 1]]
        for p in pops:
            n = p["neuron"]
            # iDecay 4096 -> du 4095 (Lava's LIF adds its ds_offset 1 back: current factor 0); vDecay 1024.
            assert int(n["du"][()]) == 4095 and int(n["dv"][()]) == 1024
            assert int(n["vth_mant"][()]) == 25 and int(n["bias_exp"][()]) == 6
            assert int(n["refract_delay"][()]) == 0
            assert p["arithmetic"][()].decode() == "lava"  # Lava's fixed-point LIF (docs/netx.md)
        # Input layer: the file's scalar bias 34; conv layers: one bias per channel, repeated over the map.
        assert int(pops[0]["neuron/bias_mant"][()]) == 34
        b1 = pops[1]["neuron/bias_mant"][()]
        with h5py.File(TINY) as src:
            assert np.array_equal(b1.reshape(24, 36)[:, 0], src["layer/1/bias"][()].astype(int))
            assert np.all(b1.reshape(24, 36) == b1.reshape(24, 36)[:, :1])
            w_src = src["layer/2/weight"][()][..., 0].astype(int)
        pr = f["projections/1"]
        assert pr["encoding"][()].decode() == "conv" and pr["sign_mode"][()].decode() == "mixed"
        assert list(np.atleast_1d(pr["stride"][()])) in ([2, 2], [2]) and int(pr["weight_exp"][()]) == 0
        assert np.array_equal(pr["weights"][()], w_src)  # even mantissas: stored as they are


def with_ground_truth_stimulus(tiny, dst):
    """lava-dl's test_tinynet setup in our terms: the input layer's bias from input_bias.npy (x, y, c ->
    c, y, x), and layer i's u and v reset after timestep i - 1, which for the first 17 steps is a layer that
    starts integrating its bias at timestep i (bias_start = i)."""
    shutil.copy(tiny, dst)
    bias = np.load(os.path.join(DATA, "tinynet", "input_bias.npy")).transpose(2, 1, 0).reshape(-1)
    with h5py.File(dst, "a") as f:
        del f["populations/0/neuron/bias_mant"]
        f["populations/0/neuron/bias_mant"] = bias.astype(np.int64)
        for i in range(3):
            f[f"populations/{i}/bias_start"] = i
    return dst


def tiny_bias_stimulus(tmp_path):
    """lava-dl's tinynet input bias (x, y, c -> c, y, x) as a stimulus's bias input for layer0."""
    bias = np.load(os.path.join(DATA, "tinynet", "input_bias.npy")).transpose(2, 1, 0).reshape(-1)
    stim = str(tmp_path / "bias.h5")
    with h5py.File(stim, "w") as f:
        f["biases/layer0"] = bias.astype(np.int16)
    return stim


def input_ground_truth():
    """tinynet/input.npy[0] (C, H, W, T) as (T, neurons); 6783 spikes over steps 1..15."""
    x = np.load(os.path.join(DATA, "tinynet", "input.npy"))[0].reshape(768, 16).T.astype(np.uint8)
    assert int(x[1:].sum()) == 6783
    return x


def ground_truth():
    return np.load(os.path.join(DATA, "tinynet", "output.npy"))[0].reshape(36, 16).T.astype(np.uint8)


def test_tiny_net_reference_matches_lava_ground_truth(binary, tiny, tmp_path):
    net = with_ground_truth_stimulus(tiny, str(tmp_path / "net.h5"))
    out = str(tmp_path / "ref.h5")
    r = subprocess.run([binary, "reference", net, "--timesteps", "17", "--out", out], capture_output=True,
                       text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        spikes = f["populations/layer2/spikes"][()]
        input_spikes = f["populations/layer0/spikes"][()]
    gt = ground_truth()
    assert int(gt[1:].sum()) == 92
    assert np.array_equal(spikes[2:17], gt[1:])
    # lava-dl's test_input: the input layer on that bias spikes as input.npy[0][..., 1:] at steps 0..14.
    assert np.array_equal(input_spikes[0:15], input_ground_truth()[1:16])


def test_tiny_net_chip_matches_lava_ground_truth(binary, tiny, tmp_path):
    net = with_ground_truth_stimulus(tiny, str(tmp_path / "net.h5"))
    with h5py.File(run_with_stimulus(binary, net, None, 17, tmp_path, on_chip=True)) as f:
        spikes = f["populations/layer2/spikes"][()]
        input_spikes = f["populations/layer0/spikes"][()]
    assert np.array_equal(spikes[2:17], ground_truth()[1:])
    assert np.array_equal(input_spikes[0:15], input_ground_truth()[1:16])


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_tiny_net_periodic_reset_repeats_the_ground_truth_every_period(binary, tmp_path, on_chip):
    """lava-dl's test_tinynet resets layer i after timestep t with t % 17 == (i - 1) % 17; `spikemesh netx
    --reset-interval 17` gives layer k the reset of lava-dl's Network(reset_interval=17, reset_offset=0), before
    the update of t with t % 17 == k: the same resets. Over 34 steps (no bias_start) the output equals output.npy
    in both periods, at steps 2..16 and again at 19..33, and the input layer repeats input.npy."""
    net = str(tmp_path / "tiny_reset.h5")
    r = subprocess.run([binary, "netx", TINY, net, "--reset-interval", "17"], capture_output=True, text=True,
                       env=ENV)
    assert r.returncode == 0, r.stderr
    assert "layer2       cuba   36x1x1                   36  every 17 from t = 2" in r.stdout
    out = run_with_stimulus(binary, net, tiny_bias_stimulus(tmp_path), 34, tmp_path, on_chip)
    with h5py.File(out) as f:
        spikes = f["populations/layer2/spikes"][()]
        input_spikes = f["populations/layer0/spikes"][()]
    gt = ground_truth()
    assert np.array_equal(spikes[2:17], gt[1:]) and np.array_equal(spikes[19:34], gt[1:])
    assert np.array_equal(input_spikes[0:15], input_ground_truth()[1:16])
    assert np.array_equal(input_spikes[17:32], input_ground_truth()[1:16])


def test_a_run_config_sets_the_reset_of_a_net_it_loads(binary, tmp_path):
    """`netx: reset_interval` in a run config does for a .net loaded directly what `spikemesh netx
    --reset-interval` does: tiny.net's ground truth holds in both periods on the chip."""
    out = run_with_stimulus(binary, TINY, tiny_bias_stimulus(tmp_path), 34, tmp_path, on_chip=True,
                            config="netx:\n  reset_interval: 17\n")
    with h5py.File(out) as f:
        spikes = f["populations/layer2/spikes"][()]
    gt = ground_truth()
    assert np.array_equal(spikes[2:17], gt[1:]) and np.array_equal(spikes[19:34], gt[1:])


@pytest.mark.parametrize("netx_keys, network, expected", [
    ("  reset_interval: 17\n", "h5", "netx.reset_interval applies to a lava-dl .net network"),
    ("  reset_offset: 3\n", "net", "netx.reset_offset = 3 needs netx.reset_interval (0: no reset)"),
    ("  axonal_delays: drop\n", "net", "netx.axonal_delays: expected 'apply' (as slayer trained them) or 'ignore'"),
    ("  axonal_delays: ignore\n", "h5", "netx.axonal_delays applies to a lava-dl .net network"),
], ids=["not-a-net", "offset-alone", "delays-bad-value", "delays-not-a-net"])
def test_bad_netx_config_keys_are_errors_naming_the_file(binary, tiny, tmp_path, netx_keys, network, expected):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: {tiny if network == 'h5' else TINY}\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                   f"netx:\n{netx_keys}chip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
    r = subprocess.run([binary, "run", str(cfg), "--check"], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1
    assert f"{cfg}: {expected}" in r.stderr


@pytest.mark.parametrize("args, expected", [
    (["--reset-interval", "70000"], "--reset-interval 70000: expected 0 to 65535 timesteps"),
    (["--reset-offset", "3"], "--reset-offset = 3 needs --reset-interval (0: no reset)"),
], ids=["interval-too-long", "offset-alone"])
def test_netx_reset_option_errors(binary, tmp_path, args, expected):
    r = subprocess.run([binary, "netx", TINY, str(tmp_path / "o.h5"), *args], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1 and expected in r.stderr, r.stderr


def test_netx_reset_of_a_sigma_delta_network_is_an_error(binary, tmp_path):
    src = tmp_path / "sdnn.net"
    with gzip.open(os.path.join(DATA, "pilotnet_sdnn", "network.net.gz")) as g:
        src.write_bytes(g.read())
    r = subprocess.run([binary, "netx", str(src), str(tmp_path / "o.h5"), "--reset-interval", "9"],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 1
    assert "reset interval 9: Lava does not reset sigma-delta neurons (lava-dl ignores the reset with a warning)" \
        in r.stderr


def edited(tmp_path, edit):
    dst = str(tmp_path / "edited.net")
    shutil.copy(TINY, dst)
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


def replace(f, path, value):
    del f[path]
    f[path] = value


@pytest.mark.parametrize("edit, expected", [
    (lambda f: replace(f, "layer/2/type", np.array([b"pool"], dtype="S10")),
     "layer 2 (/layer/2/type): unsupported layer type 'pool' (supported: input, conv, dense, flatten)"),
    (lambda f: (replace(f, "layer/2/type", np.array([b"flatten"], dtype="S10")), f.__delitem__("layer/2/neuron")),
     "layer 2 (/layer/2/shape): flattens 36 values, the layer before has 864"),
    (lambda f: f.create_dataset("layer/2/delay", data=np.ones(36)),
     "layer 2 (/layer/2/delay): axonal delays on the last layer: its spikes leave the network"),
    (lambda f: f.create_dataset("layer/1/delay", data=np.ones(5)),
     "layer 1 (/layer/1/delay): expected 864 values (one per neuron) or 24 (one per channel), found shape"),
    (lambda f: f.create_dataset("layer/1/delay", data=np.full(24, 63.0)),
     "layer 1 (/layer/1/delay): value 63 out of range 0..62"),
    (lambda f: f.create_dataset("layer/0/delay", data=np.arange(768) % 2),
     "layer 0 (/layer/0/delay): per-neuron delays differ within channel 0, which feeds a conv layer"),
    (lambda f: f.create_dataset("layer/1/neuron/gradedSpike", data=np.array([2, 3])),
     "/layer/1/neuron/gradedSpike: expected a single boolean (0 or 1)"),
    (lambda f: f.create_dataset("layer/1/neuron/messageBits", data=30),
     "layer 1 (/layer/1/neuron/messageBits): value 30 out of range 0..24"),
    (lambda f: replace(f, "layer/1/neuron/type", "ALIF"),
     "layer 1 (/layer/1/neuron/type): unsupported neuron type 'ALIF' (supported: LOIHI, CUBA, SDNN)"),
    (lambda f: replace(f, "layer/1/neuron/type", "SDNN"),
     "layer 1 (/layer/1/neuron/type): an SDNN layer after a LIF layer: mixed networks are not supported "
     "(supported: all SDNN or all LOIHI/CUBA)"),
    (lambda f: replace(f, "layer/1/dilation", np.array([0, 1])),
     "layer 1 (/layer/1/dilation): value 0 out of range 1..64"),
    (lambda f: replace(f, "layer/1/dilation", np.array([2, 2])),  # a 9x9 extent on 16x16 gives 4x4, not 6x6
     "layer 1 (/layer/1/shape): a 5x5 conv with stride (2, 2), padding (0, 0) and dilation (2, 2) maps the layer "
     "before's (16, 16) pixels to (4, 4), this layer has (6, 6)"),
    (lambda f: replace(f, "layer/2/neuron/wgtExp", 3),
     "layer 2 (/layer/2/neuron/wgtExp): value 3 not supported (supported: 0)"),
    (lambda f: f.create_dataset("layer/1/neuron/sinDecay", data=5),
     "layer 1 (/layer/1/neuron/sinDecay): unsupported neuron field"),
    (lambda f: replace(f, "layer/1/bias", np.full(24, 0.5, dtype=np.float32)),
     "layer 1 (/layer/1/bias): expected integer values (fixed-point netx), entry 0 is 0.5"),
    (lambda f: replace(f, "layer/1/neuron/iDecay", 0),
     "layer 1 (/layer/1/neuron/iDecay): value 0 out of range 1..4096"),
    (lambda f: replace(f, "layer/2/weight", f["layer/2/weight"][()] * 40),
     "layer 2 (/layer/2/weight): weight -320 out of the 8-bit synapse range -256..255"),
])
def test_unsupported_or_malformed_layer_is_an_error(binary, tmp_path, edit, expected):
    r = netx(binary, edited(tmp_path, edit), str(tmp_path / "out.h5"))
    assert r.returncode != 0
    assert "edited.net: " + expected in r.stderr
    assert not os.path.exists(tmp_path / "out.h5")


def test_not_a_netx_file_is_an_error(binary, tmp_path):
    bad = str(tmp_path / "bad.net")
    with h5py.File(bad, "w") as f:
        f["simulation/Ts"] = 1
    r = netx(binary, bad, str(tmp_path / "out.h5"))
    assert r.returncode != 0
    assert "bad.net: /layer: missing group: not a netx network" in r.stderr


def overflow_network(path, arithmetic):
    """Two input spikes through excitatory weights 255 * 2^7 * 64 = 2088960 each into a readout (du 4095):
    one step's input 4177920 >= 2^21. Lava's LIF takes it as it is; nengo-loihi's 22-bit accumulator wraps
    it to 4177920 - 2^22 = -16384."""
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "spikemesh-network"
        f.attrs["version"] = 1
        f.attrs["producer"] = "test_netx"
        f["populations/0/name"] = "in"
        f["populations/0/kind"] = "input"
        f["populations/0/shape"] = [2]
        f["populations/1/name"] = "out"
        f["populations/1/kind"] = "readout"
        f["populations/1/shape"] = [1]
        f["populations/1/neuron/du"] = 4095
        if arithmetic:
            f["populations/1/arithmetic"] = arithmetic
        p = f.create_group("projections/0")
        p["source"], p["target"], p["encoding"], p["sign_mode"] = "in", "out", "dense", "excitatory"
        p["weight_exp"], p["num_weight_bits"], p["weights"], p["delays"] = 7, 8, np.array([[255, 255]]), 0
    return path


@pytest.mark.parametrize("arithmetic, current", [("lava", 4177920), (None, -16384)])
def test_population_arithmetic_chooses_the_overflow_behaviour_on_reference_and_chip(binary, tmp_path, arithmetic,
                                                                                     current):
    net = overflow_network(str(tmp_path / "net.h5"), arithmetic)
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/in"] = np.array([[1, 1]])
    ref = str(tmp_path / "ref.h5")
    r = subprocess.run([binary, "reference", net, "--stimulus", stim, "--timesteps", "3", "--out", ref],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: {net}\nstimulus: {stim}\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                   f"timesteps: 3\nchip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
    r = subprocess.run([binary, "run", str(cfg), "--out", str(tmp_path / "run")], capture_output=True, text=True,
                       env=ENV)
    assert r.returncode == 0, r.stderr
    for out in (ref, str(tmp_path / "run" / "spikes.h5")):
        with h5py.File(out) as f:
            assert list(f["populations/out/currents"][()][:, 0]) == [0, current, 0], out


# ---- dense layers: lava-dl's Oxford tutorial network and the dense/ ground truth ------------------------------------


@pytest.fixture(scope="module")
def oxford(binary, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("netx") / "oxford.h5")
    r = netx(binary, OXFORD, out)
    assert r.returncode == 0, r.stderr
    return out


def dense_gt(name):
    """lava-dl's gts/dense/<name>.npy (stored gzip-compressed here), as (timesteps, neurons)."""
    with gzip.open(os.path.join(DATA, "dense", name + ".npy.gz")) as f:
        return np.load(f).T


def test_oxford_imports_a_spike_input_and_two_dense_layers(oxford):
    with h5py.File(oxford) as f, h5py.File(OXFORD) as src:
        pops = [f[f"populations/{i}"] for i in range(3)]
        assert [p["name"][()].decode() for p in pops] == ["input", "layer0", "layer1"]
        assert [p["kind"][()].decode() for p in pops] == ["input", "cuba", "cuba"]
        assert [list(p["shape"][()]) for p in pops] == [[200], [256], [200]]
        assert [int(p["neuron/dv"][()]) for p in pops[1:]] == [415, 409]  # vDecay of each layer
        assert all(int(p["neuron/vth_mant"][()]) == 6 and int(p["neuron/du"][()]) == 4095 for p in pops[1:])
        for j in range(2):
            pr = f[f"projections/{j}"]
            assert pr["encoding"][()].decode() == "dense" and pr["sign_mode"][()].decode() == "mixed"
            # Even weights (-178..192, -98..124): Lava keeps them at 8 bits; stored unchanged, weight_exp 0.
            assert int(pr["weight_exp"][()]) == 0
            assert np.array_equal(pr["weights"][()], src[f"layer/{j}/weight"][()].astype(int))


def run_with_stimulus(binary, net, stim, timesteps, tmp_path, on_chip, config=""):
    """Runs `net` with the stimulus file (or none) for `timesteps` steps on the chip (Loihi 2-like profile,
    `spikemesh run`, `config` lines added to its config, its outputs in tmp_path/run) or the reference
    simulator; returns the raster file's path."""
    if on_chip:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(f"network: {net}\n" + (f"stimulus: {stim}\n" if stim else "") +
                       f"energy: {ROOT}/configs/energy/davies2018.yaml\ntimesteps: {timesteps}\n{config}"
                       f"chip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
        out = str(tmp_path / "run")
        r = subprocess.run([binary, "run", str(cfg), "--out", out], capture_output=True, text=True, env=ENV)
        out = os.path.join(out, "spikes.h5")
    else:
        out = str(tmp_path / "ref.h5")
        r = subprocess.run([binary, "reference", net, *(["--stimulus", stim] if stim else []), "--timesteps",
                            str(timesteps), "--out", out], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    return out


def run_dense_ground_truth(binary, net, tmp_path, on_chip):
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/input"] = dense_gt("in").astype(np.int32)
    out = run_with_stimulus(binary, net, stim, 2000, tmp_path, on_chip)
    with h5py.File(out) as f:
        layer0 = f["populations/layer0"]
        return layer0["spikes"][()] if "spikes" in layer0 else None, \
            layer0["currents"][()] if "currents" in layer0 else None


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_dense_ground_truth_spikes_and_currents(binary, oxford, tmp_path, on_chip):
    """lava-dl's test_dense: the Dense block of 256 CUBA neurons (oxford's layer 0: the same weights, vth 6,
    du 4095, dv 415) driven by 2000 steps of in.npy. Lava's Dense delivers a spike sent at t at t + 1, as
    ours does, so out.npy[t] and current.npy[t] (u / 64) are our layer0 at t with no offset."""
    spikes, _ = run_dense_ground_truth(binary, oxford, tmp_path, on_chip)
    gt = dense_gt("out").astype(np.uint8)
    assert int(gt.sum()) == 1826
    assert np.array_equal(spikes, gt)
    # Currents: layer0 as a readout (our readouts record u + bias every step; bias 0 here), layer1 removed.
    ro = str(tmp_path / "readout.h5")
    shutil.copy(oxford, ro)
    with h5py.File(ro, "a") as f:
        replace(f, "populations/1/kind", "readout")
        del f["populations/2"], f["projections/1"]
    _, currents = run_dense_ground_truth(binary, ro, tmp_path, on_chip)
    gt_u = dense_gt("current").astype(np.int64) * 64
    assert int(np.abs(gt_u).max()) == 594 * 64
    assert np.array_equal(currents, gt_u)


@pytest.mark.parametrize("edit, expected", [
    (lambda f: replace(f, "layer/0/weight", np.abs(f["layer/0/weight"][()]) * 2),
     "layer 0 (/layer/0/weight): weights 0..384 exceed the 8-bit synapse range"),
    (lambda f: replace(f, "layer/1/weight", f["layer/1/weight"][()][:, :10]),
     "layer 1 (/layer/1/weight): expected shape (200, 256) (outputs of this layer, inputs from the layer before), "
     "found (200, 10)"),
    (lambda f: replace(f, "layer/1/shape", np.array([1 << 24, 1 << 24, 1 << 24])),
     "layer 1 (/layer/1/shape): value 281474976710656 out of range 1..16777216 (neurons of a dense layer)"),
    (lambda f: replace(f, "layer/1/inFeatures", 255),
     "layer 1 (/layer/1/inFeatures): value 255 does not match the weight shape (200, 256)"),
    (lambda f: replace(f, "layer/0/weight", f["layer/0/weight"][()] + 1),
     "layer 0 (/layer/0/weight): odd mixed-sign weights must lie in -128..127 to be exact, found -177..193"),
])
def test_malformed_dense_layer_is_an_error(binary, tmp_path, edit, expected):
    dst = str(tmp_path / "edited.net")
    shutil.copy(OXFORD, dst)
    with h5py.File(dst, "a") as f:
        edit(f)
    r = netx(binary, dst, str(tmp_path / "out.h5"))
    assert r.returncode != 0
    assert "edited.net: " + expected in r.stderr


def test_dense_weights_lava_dl_clips_are_clipped_and_reported(binary, tmp_path):
    """A mixed matrix beyond -256..254 is clipped by lava-dl's optimize_weight_bits (with a warning): the import
    clips the same weights, says so, and odd weights within -128..127 are stored doubled (weight_exp -1)."""
    dst = str(tmp_path / "clipped.net")
    shutil.copy(OXFORD, dst)
    with h5py.File(dst, "a") as f:
        w = f["layer/0/weight"][()] * 2  # -356..384
        replace(f, "layer/0/weight", w)
        replace(f, "layer/1/weight", f["layer/1/weight"][()] + 1)  # -97..125, odd
    out = str(tmp_path / "out.h5")
    r = netx(binary, dst, out)
    assert r.returncode == 0, r.stderr
    assert "layer 0 (/layer/0/weight): 724 weights clipped to -256..254 as lava-dl's optimize_weight_bits does" in \
        r.stderr
    with h5py.File(out) as f:
        assert np.array_equal(f["projections/0/weights"][()], np.clip(w, -256, 254).astype(int))
        assert int(f["projections/1/weight_exp"][()]) == -1
        with h5py.File(OXFORD) as src:
            assert np.array_equal(f["projections/1/weights"][()], (src["layer/1/weight"][()].astype(int) + 1) * 2)


# ---- a .net named directly: `network:` of a config, and `spikemesh reference` ----------------------------------------


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_a_net_file_is_imported_on_load(binary, tmp_path, on_chip):
    """The config's `network:` (and `spikemesh reference`) take lava-dl's .net itself: the dense/ ground truth
    holds with no conversion step."""
    spikes, _ = run_dense_ground_truth(binary, OXFORD, tmp_path, on_chip)
    assert np.array_equal(spikes, dense_gt("out").astype(np.uint8))


def test_a_malformed_net_in_a_config_is_an_error_naming_file_and_layer(binary, tmp_path):
    bad = str(tmp_path / "bad.net")
    shutil.copy(OXFORD, bad)
    with h5py.File(bad, "a") as f:
        replace(f, "layer/1/neuron/type", "SDNN")
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: bad.net\nstimulus: none\nenergy: {ROOT}/configs/energy/davies2018.yaml\ntimesteps: 3\n"
                   f"chip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
    for cmd in (["run", str(cfg), "--out", str(tmp_path / "run")], ["map", str(cfg), "--out", str(tmp_path / "map")]):
        r = subprocess.run([binary] + cmd, capture_output=True, text=True, env=ENV)
        assert r.returncode != 0
        assert bad + ": layer 1 (/layer/1/neuron/type): an SDNN layer after a LIF layer" in \
            r.stderr, r.stderr


# ---- spikemesh reference --state-out: u and v of chosen populations at chosen timesteps -----------------------------


def reference_state(binary, tmp_path, *options, on_chip=False):
    """The dense/ ground truth's 2000 steps with --state-out, on the reference simulator or (`spikemesh run`,
    Loihi 2-like profile) the chip, whose cores copy u and v after each chosen timestep's update."""
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/input"] = dense_gt("in").astype(np.int32)
    state = str(tmp_path / "state.h5")
    if on_chip:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(f"network: {OXFORD}\nstimulus: {stim}\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                       f"timesteps: 2000\nchip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
        cmd = [binary, "run", str(cfg), "--out", str(tmp_path / "run")]
    else:
        cmd = [binary, "reference", OXFORD, "--stimulus", stim, "--timesteps", "2000"]
    r = subprocess.run(cmd + ["--state-out", state, *options], capture_output=True, text=True, env=ENV)
    return r, state


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_state_out_u_is_lavas_current_and_v_follows_lavas_voltage(binary, tmp_path, on_chip):
    r, state = reference_state(binary, tmp_path, "--state-populations", "layer0", on_chip=on_chip)
    assert r.returncode == 0, r.stderr
    with h5py.File(state) as f:
        assert f.attrs["format"] == "spikemesh-state" and int(f.attrs["timesteps"]) == 2000
        assert list(f["populations"]) == ["layer0"]
        assert list(f["populations/layer0/timesteps"][()]) == list(range(2000))
        u, v = f["populations/layer0/u"][()].astype(np.int64), f["populations/layer0/v"][()].astype(np.int64)
    assert u.shape == v.shape == (2000, 256)
    assert np.array_equal(u, dense_gt("current").astype(np.int64) * 64)  # lava-dl's current.npy is u / 64
    # v after each step by Lava's voltage equation from the recorded u (dv 415, threshold 6 << 6, reset to 0).
    prev = np.zeros(256, dtype=np.int64)
    spikes = np.zeros((2000, 256), dtype=np.uint8)
    for t in range(2000):
        x = np.sign(prev) * ((np.abs(prev) * (4096 - 415)) >> 12) + u[t]
        spikes[t] = x > 6 * 64
        x[x > 6 * 64] = 0
        assert np.array_equal(v[t], x), t
        prev = x
    assert np.array_equal(spikes, dense_gt("out").astype(np.uint8))
    assert int(np.count_nonzero(v)) > 100000  # the voltages are not trivially zero


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_state_out_chosen_timesteps_and_default_populations(binary, tmp_path, on_chip):
    """The chosen timesteps' rows equal the full record's; the chip's full record equals the reference's."""
    r, full = reference_state(binary, tmp_path)
    assert r.returncode == 0, r.stderr
    shutil.copy(full, str(tmp_path / "full.h5"))
    r, state = reference_state(binary, tmp_path, "--state-timesteps", "1999,0,5-7,6", on_chip=on_chip)
    assert r.returncode == 0, r.stderr
    with h5py.File(str(tmp_path / "full.h5")) as f, h5py.File(state) as g:
        assert list(f["populations"]) == ["layer0", "layer1"]  # every population but the input
        for name in ("layer0", "layer1"):
            assert list(g[f"populations/{name}/timesteps"][()]) == [0, 5, 6, 7, 1999]
            for key in ("u", "v"):
                assert np.array_equal(g[f"populations/{name}/{key}"][()], f[f"populations/{name}/{key}"][()][
                    [0, 5, 6, 7, 1999]])


@pytest.mark.parametrize("options, expected", [
    (["--state-populations", "input"], "--state-populations: 'input' is an input population: it has no u and v"),
    (["--state-populations", "layer9"],
     "--state-populations: no population 'layer9' (the network has: input, layer0, layer1)"),
    (["--state-timesteps", "2000"], "--state-timesteps: timestep 2000 is not run (--timesteps 2000 runs 0..1999)"),
    (["--state-timesteps", "9-3"], "--state-timesteps: range '9-3' ends before it starts"),
    (["--state-timesteps", "5,x"], "--state-timesteps: 'x' is not a timestep or a range A-B"),
])
def test_state_out_bad_choice_is_an_error(binary, tmp_path, options, expected):
    for on_chip in (False, True):
        r, state = reference_state(binary, tmp_path, *options, on_chip=on_chip)
        assert r.returncode != 0
        assert expected in r.stderr
        assert not os.path.exists(state)


def test_state_out_is_refused_for_the_fsddim_loop(binary, tmp_path):
    r = subprocess.run([binary, "run", os.path.join(ROOT, "configs", "fsddim_fmnist.yaml"), "--check", "--state-out",
                        str(tmp_path / "s.h5")], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1
    assert "--state-out: records a plain run's timesteps, not the FSDDIM loop's" in r.stderr


# ---- flatten: a dense layer reads the (C, H, W) map before it in C, H, W order -----------------------------------


def with_flatten_and_dense(f, flatten_shape=(36, 1, 1), n_out=4):
    f["layer/3/type"] = np.array([b"flatten"], dtype="S10")
    f["layer/3/shape"] = np.array(flatten_shape)
    f["layer/4/type"] = np.array([b"dense"], dtype="S10")
    f["layer/4/shape"] = np.array([n_out, 1, 1])
    f["layer/4/weight"] = (np.arange(n_out * 36).reshape(n_out, 36) % 7 * 2 - 6).astype(np.float32)
    f["layer/4/bias"] = np.array([1, 2, 3, 4][:n_out], dtype=np.float32)
    for k in ("type", "iDecay", "vDecay", "vThMant"):
        f[f"layer/4/neuron/{k}"] = f[f"layer/2/neuron/{k}"][()]


def test_flatten_then_dense_reads_the_map_before(binary, tmp_path):
    src = edited(tmp_path, with_flatten_and_dense)
    out = str(tmp_path / "out.h5")
    r = netx(binary, src, out)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f:
        assert [f[f"populations/{i}/name"][()].decode() for i in range(4)] == ["layer0", "layer1", "layer2", "layer4"]
        assert list(f["populations/3/shape"][()]) == [4]
        assert list(f["populations/3/neuron/bias_mant"][()]) == [1, 2, 3, 4]
        pr = f["projections/2"]
        assert pr["name"][()].decode() == "layer2_to_layer4" and pr["encoding"][()].decode() == "dense"
        assert pr["source"][()].decode() == "layer2" and pr["target"][()].decode() == "layer4"
        assert np.array_equal(pr["weights"][()], (np.arange(144).reshape(4, 36) % 7 * 2 - 6))


@pytest.mark.parametrize("edit, expected", [
    (lambda f: with_flatten_and_dense(f, flatten_shape=(35, 1, 1)),
     "layer 3 (/layer/3/shape): flattens 35 values, the layer before has 36"),
    (lambda f: (with_flatten_and_dense(f), replace(f, "layer/4/type", np.array([b"conv"], dtype="S10"))),
     "layer 4 (/layer/4/type): a flatten layer must be followed by a dense layer"),
    (lambda f: (with_flatten_and_dense(f), f.__delitem__("layer/4")),
     "/layer: the last layer is a flatten layer: nothing reads it"),
    (lambda f: (with_flatten_and_dense(f), replace(f, "layer/4/weight", np.ones((4, 35), dtype=np.float32))),
     "layer 4 (/layer/4/weight): expected shape (4, 36) (outputs of this layer, inputs from the layer before), "
     "found (4, 35)"),
])
def test_malformed_flatten_is_an_error(binary, tmp_path, edit, expected):
    r = netx(binary, edited(tmp_path, edit), str(tmp_path / "out.h5"))
    assert r.returncode != 0
    assert "edited.net: " + expected in r.stderr


# ---- lava-dl's test_conv: tiny.net's first conv layer driven by spikes, spikes and currents -------------------------


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_tinynet_conv_layer_spikes_and_currents(binary, tiny, tmp_path, on_chip):
    """lava-dl's test_conv: tiny.net's layer 1 (24 x 6 x 6, conv 5x5/2) fed the spikes input.npy[..., 1:] for 16
    steps, u and v zeroed after the first step. In our terms: layer0 becomes an input population driven by those
    spikes and layer 1 starts its bias at step 1 (bias_start = 1: no spike reaches it at step 0, so its state
    after step 0 is bias only, what Lava zeroes). layer1.npy and 64 x current.npy hold at every step."""
    net = str(tmp_path / "conv.h5")
    shutil.copy(tiny, net)
    with h5py.File(net, "a") as f:
        replace(f, "populations/0/kind", "input")
        del f["populations/0/neuron"], f["populations/0/arithmetic"], f["populations/2"], f["projections/1"]
        f["populations/1/bias_start"] = 1
    x = np.load(os.path.join(DATA, "tinynet", "input.npy"))[0]  # (C, H, W, T)
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/layer0"] = x[..., 1:].reshape(768, 15).T.astype(np.int32)
    spikes_gt = np.load(os.path.join(DATA, "tinynet", "layer1.npy"))[0].reshape(864, 16).T.astype(np.uint8)
    u_gt = np.load(os.path.join(DATA, "tinynet", "current.npy"))[0].reshape(864, 16).T.astype(np.int64) * 64
    assert int(spikes_gt.sum()) == 1633
    if on_chip:
        cfg = tmp_path / "run.yaml"
        cfg.write_text(f"network: {net}\nstimulus: {stim}\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                       f"timesteps: 16\nchip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n")
        r = subprocess.run([binary, "run", str(cfg), "--out", str(tmp_path / "run")], capture_output=True, text=True,
                           env=ENV)
        assert r.returncode == 0, r.stderr
        with h5py.File(tmp_path / "run" / "spikes.h5") as f:
            assert np.array_equal(f["populations/layer1/spikes"][()], spikes_gt)
        return
    out, state = str(tmp_path / "ref.h5"), str(tmp_path / "state.h5")
    r = subprocess.run([binary, "reference", net, "--stimulus", stim, "--timesteps", "16", "--out", out, "--state-out",
                        state], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f, h5py.File(state) as g:
        assert np.array_equal(f["populations/layer1/spikes"][()], spikes_gt)
        assert np.array_equal(g["populations/layer1/u"][()], u_gt)


# ---- pilotnet_sdnn: sigma-delta neurons and graded spikes (lava-dl's test_pilotnet_sdnn) -------------------------------

PILOTNET_SDNN = os.path.join(DATA, "pilotnet_sdnn")


@pytest.fixture(scope="module")
def pilotnet_sdnn_net(tmp_path_factory):
    """lava-dl's gts/pilotnet_sdnn/network.net (stored gzip-compressed here)."""
    dst = str(tmp_path_factory.mktemp("pilotnet_sdnn") / "network.net")
    with gzip.open(os.path.join(PILOTNET_SDNN, "network.net.gz")) as src, open(dst, "wb") as out:
        shutil.copyfileobj(src, out)
    return dst


@pytest.fixture(scope="module")
def pilotnet_sdnn(binary, pilotnet_sdnn_net, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pilotnet_sdnn_h5") / "pilotnet_sdnn.h5")
    r = netx(binary, pilotnet_sdnn_net, out)
    assert r.returncode == 0, r.stderr
    return out


def test_pilotnet_sdnn_imports_delta_sigma_delta_and_sigma(pilotnet_sdnn, pilotnet_sdnn_net):
    with h5py.File(pilotnet_sdnn) as f, h5py.File(pilotnet_sdnn_net) as src:
        pops = [f[f"populations/{i}"] for i in range(9)]
        # netx's flatten (layer 5) becomes no population: layer 6 reads layer 4 flattened.
        assert [p["name"][()].decode() for p in pops] == [f"layer{i}" for i in (0, 1, 2, 3, 4, 6, 7, 8, 9)]
        assert all(p["kind"][()].decode() == "sdnn" for p in pops)
        assert [p["sdnn/role"][()].decode() for p in pops] == ["delta"] + ["sigma_delta"] * 7 + ["sigma"]
        for p in pops:
            assert p["sdnn/activation"][()].decode() == "relu"
            assert int(p["sdnn/state_exp"][()]) == 6 and int(p["sdnn/spike_exp"][()]) == 6
            # The payload's 6 fractional bits (spike_exp) undo the synapse's << 6: a_in = sum of w * payload.
            assert int(p["payload_bits"][()]) == 24 and int(p["payload_frac_bits"][()]) == 6
            assert int(p["neuron/bias_exp"][()]) == 0
        # vThMant of each layer (the Sigma decoder has none): 0, 13, 0, 0, 0, 23, 1, 6.
        assert [int(p["neuron/vth_mant"][()]) for p in pops[:8]] == [0, 13, 0, 0, 0, 23, 1, 6]
        assert int(pops[8]["neuron/vth_mant"][()]) == 0
        b1 = pops[1]["neuron/bias_mant"][()].reshape(24, 16 * 49)
        assert np.array_equal(b1[:, 0], src["layer/1/bias"][()].astype(int)) and np.all(b1 == b1[:, :1])
        assert np.array_equal(pops[5]["neuron/bias_mant"][()], src["layer/6/bias"][()].astype(int))
        pr = f["projections/2"]  # layer2 -> layer3: stride (2, 1), padding (1, 0)
        assert pr["encoding"][()].decode() == "conv"
        assert list(pr["stride"][()]) == [2, 1] and list(pr["padding"][()]) == [1, 0]
        assert np.array_equal(pr["weights"][()], src["layer/3/weight"][()].astype(int))  # even: stored as they are


def pilotnet_sdnn_stimulus(path, timesteps):
    """lava-dl's test feeds input.npy (x, y, channel, 1) to the input layer's a_in at every step (a one-frame
    RingBuffer repeats): the same (channel, y, x) frame, once per timestep."""
    frame = np.load(os.path.join(PILOTNET_SDNN, "input.npy"))[..., 0].transpose(2, 1, 0).reshape(-1)
    with h5py.File(path, "w") as f:
        f["inputs/layer0"] = np.tile(frame, (timesteps, 1)).astype(np.int32)


def run_pilotnet_sdnn(binary, net, tmp_path, on_chip, timesteps=9):
    stim = str(tmp_path / "stim.h5")
    pilotnet_sdnn_stimulus(stim, timesteps)
    out = run_with_stimulus(binary, net, stim, timesteps, tmp_path, on_chip)
    with h5py.File(out) as f:
        return {name: (g["spikes"][()], g["payloads"][()]) for name, g in f["populations"].items()}


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_pilotnet_sdnn_output_matches_lava_ground_truth(binary, pilotnet_sdnn, tmp_path, on_chip):
    """lava-dl's test_pilotnet_sdnn: len(net.layers) = 9 steps, the Sigma decoder's output at each step must
    equal output.npy exactly. Lava's source reaches the input layer's a_in in the same step and each Conv
    and Dense adds one step (its a_buf), as our projections do, so there is no time offset."""
    gt = np.load(os.path.join(PILOTNET_SDNN, "output.npy"))
    assert gt.shape == (1, 9)
    rasters = run_pilotnet_sdnn(binary, pilotnet_sdnn, tmp_path, on_chip)
    spikes, out = rasters["layer9"]
    assert out.shape == (9, 1)
    assert np.array_equal(out[:, 0], gt[0].astype(np.int64))
    assert out[:, 0].tolist() == [0, -3840, 4880, 361928, 461416, 342568, -315628, -315628, -31026]
    assert np.array_equal(spikes[:, 0], out[:, 0] != 0)
    # The input layer's delta encoder (vThMant 0) sends the frame << 6 once, then nothing: the frame repeats.
    frame = np.load(os.path.join(PILOTNET_SDNN, "input.npy"))[..., 0].transpose(2, 1, 0).reshape(-1)
    _, sent0 = rasters["layer0"]
    assert np.array_equal(sent0[0], frame * 64) and not sent0[1:].any()
    if on_chip:  # every graded spike of every layer as the reference simulator sends it
        (tmp_path / "ref").mkdir()
        ref = run_pilotnet_sdnn(binary, pilotnet_sdnn, tmp_path / "ref", False)
        for name, (s, p) in ref.items():
            assert np.array_equal(rasters[name][0], s) and np.array_equal(rasters[name][1], p), name


def sdnn_edited(pilotnet_sdnn_net, tmp_path, edit):
    dst = str(tmp_path / "edited.net")
    shutil.copy(pilotnet_sdnn_net, dst)
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


@pytest.mark.parametrize("edit, expected", [
    (lambda f: replace(f, "layer/2/neuron/activation", "sigmoid"),
     "layer 2 (/layer/2/neuron/activation): unsupported activation 'sigmoid' (supported: relu)"),
    (lambda f: f.create_dataset("layer/3/neuron/cum_error", data=True),
     "layer 3 (/layer/3/neuron/cum_error): unsupported field of an SDNN neuron (supported: type, activation relu, "
     "vThMant, sigma_output)"),
    (lambda f: f.create_dataset("layer/0/bias", data=np.float32(4)),
     "layer 0 (/layer/0/bias): an SDNN input layer's input transform (2 weight x - weight + bias) is not supported"),
    (lambda f: f.create_dataset("layer/9/bias", data=np.ones(1, dtype=np.float32)),
     "layer 9 (/layer/9/bias): a sigma_output layer takes no bias (Lava's Sigma has none)"),
    (lambda f: replace(f, "layer/2/neuron/type", "LOIHI"),
     "layer 2 (/layer/2/neuron/type): a LIF layer after an SDNN layer: mixed networks are not supported"),
    (lambda f: replace(f, "layer/7/neuron/vThMant", 1 << 17),
     "layer 7 (/layer/7/neuron/vThMant): value 131072 out of range 0..131071 (vThMant)"),
])
def test_unsupported_sdnn_layer_is_an_error(binary, pilotnet_sdnn_net, tmp_path, edit, expected):
    r = netx(binary, sdnn_edited(pilotnet_sdnn_net, tmp_path, edit), str(tmp_path / "out.h5"))
    assert r.returncode != 0
    assert "edited.net: " + expected in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "out.h5")


def test_sdnn_stimulus_for_a_sigma_delta_layer_is_an_error(binary, pilotnet_sdnn, tmp_path):
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/layer7"] = np.ones((2, 50), dtype=np.int32)
    r = subprocess.run([binary, "reference", pilotnet_sdnn, "--stimulus", stim, "--timesteps", "2", "--out",
                        str(tmp_path / "o.h5")], capture_output=True, text=True, env=ENV)
    assert r.returncode != 0
    assert (stim + ": /inputs/layer7: population 'layer7' is sdnn, only input populations and sdnn delta encoders "
            "take payloads") in r.stderr, r.stderr


def test_sdnn_needs_graded_spikes_on_the_chip(binary, pilotnet_sdnn, tmp_path):
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: {pilotnet_sdnn}\nstimulus: none\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                   f"timesteps: 1\nchip:\n  base: {ROOT}/configs/chip_loihi1.yaml\n")
    r = subprocess.run([binary, "map", str(cfg), "--out", str(tmp_path / "map")], capture_output=True, text=True,
                       env=ENV)
    assert r.returncode != 0
    assert ("population 'layer0': resource graded spikes: needs 24-bit spike payloads, a core sends binary spikes "
            "only (chip.core.graded_spikes = false)") in r.stderr, r.stderr


def test_pilotnet_sdnn_chip_cost_every_sdnn_update_is_active_and_a_graded_spike_is_one_flit(binary, pilotnet_sdnn,
                                                                                           tmp_path):
    """The neurocore's sdnn cost rule (hw/neurocore.cpp sweep_sdnn): every sigma-delta update takes
    update_active_cycles (it always computes), a non-zero result is one spike whose messages are one flit each."""
    rasters = run_pilotnet_sdnn(binary, pilotnet_sdnn, tmp_path, True)
    with open(tmp_path / "run" / "report.json") as f:
        rep = json.load(f)
    with open(tmp_path / "run" / "config.yaml") as f:
        core = yaml.safe_load(f)["chip"]["core"]
    counters = rep["counters"]
    cores = [v for k, v in counters.items() if k.startswith("chip.core_")]
    neurons = sum(s.shape[1] for s, _ in rasters.values())
    assert neurons == 43117
    assert sum(c["updates_active"] for c in cores) == 9 * neurons
    assert sum(c["updates_inactive"] for c in cores) == 0
    sent = sum(int(np.count_nonzero(p)) for _, p in rasters.values())
    assert sent == 56182 and counters["chip"]["spikes"] == sent
    for c in cores:
        assert c["sweep_cycles"] == c["updates_active"] * core["update_active_cycles"] + \
            c["spikes"] * core["spike_out_cycles"]
    assert counters["chip"]["flits_injected"] == counters["chip"]["messages_sent"] == 90237


def test_netfile_py_round_trips_sdnn_populations(binary, pilotnet_sdnn, tmp_path):
    """model/fsddim/netfile.py keeps an sdnn population's role, activation, exponents and payload format, and the
    file it writes still runs to lava-dl's output."""
    sys.path.insert(0, os.path.join(ROOT, "model"))
    from fsddim import netfile
    net = netfile.read(pilotnet_sdnn)
    assert [p.sdnn["role"] for p in net.populations] == ["delta"] + ["sigma_delta"] * 7 + ["sigma"]
    assert all(p.sdnn["state_exp"] == 6 and p.sdnn["spike_exp"] == 6 and p.payload_frac_bits == 6
               for p in net.populations)
    copy = str(tmp_path / "copy.h5")
    netfile.write(net, copy)
    _, out = run_pilotnet_sdnn(binary, copy, tmp_path, False)["layer9"]
    assert out[:, 0].tolist() == np.load(os.path.join(PILOTNET_SDNN, "output.npy"))[0].astype(int).tolist()


def test_chip_probes_trace_an_sdnn_compartments_sigma_and_act(binary, pilotnet_sdnn, tmp_path):
    """The neurocore's probes record a sigma-delta compartment's state like a CUBA one's: u = sigma (the Sigma
    decoder's u is its output), v = act (docs/netx.md)."""
    stim = str(tmp_path / "stim.h5")
    pilotnet_sdnn_stimulus(stim, 9)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"network: {pilotnet_sdnn}\nstimulus: {stim}\nenergy: {ROOT}/configs/energy/davies2018.yaml\n"
                   f"timesteps: 9\nchip:\n  base: {ROOT}/configs/chip_loihi2.yaml\n"
                   f"trace:\n  hdf5: true\n  probes: \"layer9:0;layer8:0\"\n")
    out = tmp_path / "run"
    r = subprocess.run([binary, "run", str(cfg), "--out", str(out)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    with h5py.File(out / "trace.h5") as f:
        u, v = f["probes/u"][()], f["probes/v"][()]
    gt = np.load(os.path.join(PILOTNET_SDNN, "output.npy"))[0].astype(np.int64)
    assert u.shape == (9, 2)
    assert np.array_equal(u[:, 0], gt)  # the Sigma decoder's sigma is what it sends
    assert not v[:, 0].any()            # a Sigma decoder keeps no activation
    ref = run_pilotnet_sdnn(binary, pilotnet_sdnn, tmp_path, False)
    _, sent8 = ref["layer8"]
    # layer8's act is what it has sent so far, 2^6 x the payloads, plus the residue it holds back (below its
    # threshold 6 << 12) and the low 6 bits each send dropped.
    sends = np.cumsum(sent8[:, 0] != 0)
    assert np.all(np.abs(v[:, 1] - 64 * np.cumsum(sent8[:, 0])) < (6 << 12) + 64 * sends)
    assert v[0, 1] == 64 * sent8[0, 0] > 0  # bias only at step 0: relu(bias << 12) sent whole (vth below it)


PILOTNET_SNN = os.path.join(DATA, "tutorials", "pilotnet_snn")


def netx_frame(net, frame, out):
    return subprocess.run([os.path.join(ROOT, "scripts", "netx_frame"), net, frame, str(out)], capture_output=True,
                          text=True, env=ENV)


@pytest.fixture(scope="module")
def pilotnet_frame(tmp_path_factory):
    """The PilotNet LIF frame as the input layer's bias (scripts/netx_frame), as lava-dl's PilotNet LIF benchmark
    feeds it (`net.in_layer.neuron.bias = image`)."""
    out = tmp_path_factory.mktemp("pilotnet") / "stimulus.h5"
    r = netx_frame(os.path.join(PILOTNET_SNN, "network.net"), os.path.join(PILOTNET_SNN, "frame.npy"), out)
    assert r.returncode == 0, r.stderr
    return str(out)


def test_netx_frame_applies_the_input_transform_of_the_file(pilotnet_frame):
    """PilotNet LIF's input layer has weight 40 and bias 36: b = int(2 * 40 * p / 255 - 40 + 36), stored in
    (channel, y, x) order from the (x, y, channel) frame."""
    frame = np.load(os.path.join(PILOTNET_SNN, "frame.npy"))
    with h5py.File(pilotnet_frame) as f:
        b = f["biases/layer0"][()].reshape(3, 66, 200)
    assert b[2, 10, 7] == int(80 * frame[7, 10, 2] / 255 - 4)
    assert np.array_equal(b, (80 * frame.astype(np.float64) / 255 - 4).astype(np.int32).transpose(2, 1, 0))
    assert b.min() == 3 and b.max() == 76


@pytest.mark.parametrize("on_chip", [False, True], ids=["reference", "chip"])
def test_pilotnet_snn_runs_one_frame_from_its_input_bias(binary, pilotnet_frame, tmp_path, on_chip):
    """The .net loads and runs for the 16 timesteps lava-dl gives a frame. At step 0 the input layer's v is its
    bias alone (b << 6, Lava's bias_exp 6) and fires where that exceeds vth << 6 = 1600: exactly the neurons
    with b > 25. The chip's raster equals the reference simulator's."""
    out = run_with_stimulus(binary, os.path.join(PILOTNET_SNN, "network.net"), pilotnet_frame, 16, tmp_path, on_chip)
    with h5py.File(pilotnet_frame) as f:
        b = f["biases/layer0"][()]
    with h5py.File(out) as f:
        s0 = f["populations/layer0/spikes"][0]
        assert np.array_equal(s0, (b > 25).astype(np.uint8))
        assert int(s0.sum()) == int((b > 25).sum()) > 30000
        assert int(f.attrs["spike_count"]) == 749909 and int(f.attrs["synaptic_events"]) == 48305768


@pytest.mark.parametrize("edit, expected", [
    (lambda f: f.create_dataset("biases/layer0", data=np.zeros(5, dtype=np.int16)),
     "/biases/layer0: expected shape (39600,), got (5,)"),
    (lambda f: f.create_dataset("biases/layer0", data=np.full(39600, 5000, dtype=np.int16)),
     "/biases/layer0: bias mantissa 5000 outside [-4096, 4095] (13-bit signed)"),
    (lambda f: f.create_dataset("biases/nope", data=np.zeros(3, dtype=np.int16)),
     "/biases/nope: no population named 'nope' in the network"),
], ids=["wrong-shape", "beyond-13-bits", "unknown-population"])
def test_bad_bias_stimulus_is_an_error_naming_the_dataset(binary, tmp_path, edit, expected):
    stim = tmp_path / "bad.h5"
    with h5py.File(stim, "w") as f:
        edit(f)
    r = subprocess.run([binary, "reference", os.path.join(PILOTNET_SNN, "network.net"), "--stimulus", str(stim),
                        "--timesteps", "1", "--out", str(tmp_path / "r.h5")], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1, r.stderr
    assert f"{stim}: {expected}" in r.stderr


def test_bias_stimulus_on_an_input_population_is_an_error(binary, oxford, tmp_path):
    """Oxford's importer-made `input` population emits payloads; it has no bias to set."""
    stim = tmp_path / "bad.h5"
    with h5py.File(stim, "w") as f:
        f["biases/input"] = np.zeros(200, dtype=np.int16)
    r = subprocess.run([binary, "reference", oxford, "--stimulus", str(stim), "--timesteps", "1", "--out",
                        str(tmp_path / "r.h5")], capture_output=True, text=True, env=ENV)
    assert r.returncode == 1, r.stderr
    assert f"{stim}: /biases/input: population 'input' is input, only cuba and readout populations take a bias" \
        in r.stderr


@pytest.mark.parametrize("args, expected", [
    (["frame.npy"], None),
    (["bad-shape"], "expected shape (200, 66, 3) (x, y, channel of the input layer (3, 66, 200)), got (66, 200, 3)"),
], ids=["usage", "frame-shape"])
def test_netx_frame_errors(tmp_path, args, expected):
    if expected is None:
        r = subprocess.run([os.path.join(ROOT, "scripts", "netx_frame")], capture_output=True, text=True)
        assert r.returncode != 0 and "scripts/netx_frame NET.net FRAME.npy OUT.h5" in r.stderr
        return
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((66, 200, 3), dtype=np.uint8))
    r = netx_frame(os.path.join(PILOTNET_SNN, "network.net"), str(bad), tmp_path / "o.h5")
    assert r.returncode != 0 and f"netx_frame: error: {bad}: {expected}" in r.stderr


# ---- graded LIF fields, conv dilation, axonal delays ------------------------------------------------------------------


def netx_with(binary, tmp_path, edit, *options, name="edited"):
    """tiny.net edited by `edit`, imported with `options`; returns (network path, netx's stdout + stderr)."""
    out = str(tmp_path / f"{name}.h5")
    src = edited(tmp_path, edit)
    r = subprocess.run([binary, "netx", src, out, *options], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    return out, r.stdout + r.stderr


def network_datasets(path):
    """Every dataset of a network file but the metadata (which names the source file)."""
    out = {}
    with h5py.File(path) as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) and
                     not n.startswith("metadata") else None)
    return out


def test_graded_lif_fields_import_as_the_binary_spikes_lava_sends(binary, tiny, tmp_path):
    """Lava's bit-accurate LIF sends v > vth (0 or 1) whatever messageBits says, and a synapse's W . s over
    0/1 is its sum over the spiking columns: a file asking for graded LIF spikes is the same network."""
    def graded(f):
        for i in range(3):
            f[f"layer/{i}/neuron/messageBits"] = 16
            f[f"layer/{i}/neuron/gradedSpike"] = True
    net, _ = netx_with(binary, tmp_path, graded)
    a, b = network_datasets(net), network_datasets(tiny)
    assert sorted(a) == sorted(b)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def conv_numpy(x, w, stride, pad, dil):
    """Cross-correlation of x (C, H, W) with w (C_out, C, kh, kw), written out tap by tap: the independent
    formula. At dilation 1 it gives lava-dl's current.npy for tiny.net's layer 1 (checked below)."""
    xp = np.pad(x.astype(np.int64), ((0, 0), (pad, pad), (pad, pad)))
    co, _, kh, kw = w.shape
    h = (xp.shape[1] - dil * (kh - 1) - 1) // stride + 1
    out = np.zeros((co, h, h), dtype=np.int64)
    for ky in range(kh):
        for kx in range(kw):
            p = xp[:, ky * dil:ky * dil + stride * (h - 1) + 1:stride, kx * dil:kx * dil + stride * (h - 1) + 1:stride]
            out += np.einsum("oc,chw->ohw", w[:, :, ky, kx].astype(np.int64), p)
    return out


def conv_layer_run(binary, net, tmp_path, on_chip):
    """tiny.net's layer 1 alone, fed input.npy[..., 1:] as in test_tinynet_conv_layer_spikes_and_currents;
    returns (spikes, u of layer1 at every step; u only on the reference)."""
    with h5py.File(net, "a") as f:
        replace(f, "populations/0/kind", "input")
        del f["populations/0/neuron"], f["populations/0/arithmetic"], f["populations/2"], f["projections/1"]
        f["populations/1/bias_start"] = 1
    x = np.load(os.path.join(DATA, "tinynet", "input.npy"))[0]
    stim = str(tmp_path / "stim.h5")
    with h5py.File(stim, "w") as f:
        f["inputs/layer0"] = x[..., 1:].reshape(768, 15).T.astype(np.int32)
    if on_chip:
        with h5py.File(run_with_stimulus(binary, net, stim, 16, tmp_path, on_chip=True)) as f:
            return f["populations/layer1/spikes"][()], None
    out, state = str(tmp_path / "ref.h5"), str(tmp_path / "state.h5")
    r = subprocess.run([binary, "reference", net, "--stimulus", stim, "--timesteps", "16", "--out", out,
                        "--state-out", state], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f, h5py.File(state) as g:
        return f["populations/layer1/spikes"][()], g["populations/layer1/u"][()].astype(np.int64)


def test_conv_formula_reproduces_lavas_current_at_dilation_1():
    x = np.load(os.path.join(DATA, "tinynet", "input.npy"))[0]
    u_gt = np.load(os.path.join(DATA, "tinynet", "current.npy"))[0].reshape(864, 16).T.astype(np.int64) * 64
    with h5py.File(TINY) as f:
        w = f["layer/1/weight"][()][..., 0]
    for t in range(1, 16):
        assert np.array_equal(64 * conv_numpy(x[..., t], w, 2, 0, 1).reshape(-1), u_gt[t]), t


def test_dilated_conv_currents_follow_the_dilated_formula_on_reference_and_chip(binary, tmp_path):
    """Layer 1 as a 5x5 conv dilated by 2 (extent 9) with padding 2: still 24 x 6 x 6. Its u at step t is
    64 x the dilated conv of the input spikes of step t - 1 (iDecay 4096: no current carries over); the
    chip's spikes equal the reference's."""
    def dilate(f):
        replace(f, "layer/1/dilation", np.array([2, 2]))
        replace(f, "layer/1/padding", np.array([2, 2]))
    net, _ = netx_with(binary, tmp_path, dilate)
    with h5py.File(net) as f:
        assert list(f["projections/0/dilation"][()]) == [2, 2]
    # The Python reader and writer (model/fsddim/netfile.py) keep it too.
    from fsddim import netfile
    assert netfile.read(net).projections[0].dilation == (2, 2)
    netfile.write(netfile.read(net), str(tmp_path / "py.h5"))
    with h5py.File(str(tmp_path / "py.h5")) as f:
        assert list(f["projections/0/dilation"][()]) == [2, 2]
    spikes, u = conv_layer_run(binary, net, tmp_path, on_chip=False)
    x = np.load(os.path.join(DATA, "tinynet", "input.npy"))[0]
    with h5py.File(TINY) as f:
        w = f["layer/1/weight"][()][..., 0]
    assert not np.any(u[0])
    for t in range(1, 16):
        assert np.array_equal(u[t], 64 * conv_numpy(x[..., t], w, 2, 2, 2).reshape(-1)), t
    # The dilation acts: the undilated layer's currents (lava-dl's current.npy) differ.
    u_plain = np.load(os.path.join(DATA, "tinynet", "current.npy"))[0].reshape(864, 16).T.astype(np.int64) * 64
    assert not np.array_equal(u, u_plain)
    assert int(spikes.sum()) > 500
    (tmp_path / "chip").mkdir()
    net2, _ = netx_with(binary, tmp_path / "chip", dilate)
    chip_spikes, _ = conv_layer_run(binary, net2, tmp_path / "chip", on_chip=True)
    assert np.array_equal(chip_spikes, spikes)


def tiny_run_with_delays(binary, tmp_path, delays, *options, on_chip=False):
    """The full tiny.net on lava-dl's test_tinynet bias input with `delays` as layer 1's `delay` (one per
    channel); returns (layer1 spikes, layer2 spikes, layer2 u, netx's messages)."""
    def with_delay(f):
        f["layer/1/delay"] = np.asarray(delays, dtype=np.float32)
    (tmp_path / "d").mkdir(parents=True, exist_ok=True)
    imported, msg = netx_with(binary, tmp_path / "d", with_delay, *options)
    net = with_ground_truth_stimulus(imported, str(tmp_path / "net.h5"))
    if on_chip:
        with h5py.File(run_with_stimulus(binary, net, None, 40, tmp_path, on_chip=True)) as f:
            return f["populations/layer1/spikes"][()], f["populations/layer2/spikes"][()], None, msg
    out, state = str(tmp_path / "ref.h5"), str(tmp_path / "state.h5")
    r = subprocess.run([binary, "reference", net, "--timesteps", "40", "--out", out, "--state-out", state,
                        "--state-populations", "layer2"], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    with h5py.File(out) as f, h5py.File(state) as g:
        return (f["populations/layer1/spikes"][()], f["populations/layer2/spikes"][()],
                g["populations/layer2/u"][()].astype(np.int64), msg)


DELAYS = np.arange(24) % 4  # channel c of layer 1 delays its spikes by c % 4 timesteps


def test_axonal_delays_delay_each_channels_spikes_into_the_next_layer(binary, tmp_path):
    """slayer's axonal delay d_c on layer 1's channel c: layer 2's input at step t is the conv of layer 1's
    spikes of step t - 1 - d_c, channel by channel (layer 2's u = 64 x that input, iDecay 4096). Layer 1
    itself is as without delays, and the file's warning says what was done."""
    s1, s2, u2, msg = tiny_run_with_delays(binary, tmp_path, DELAYS)
    assert "layer 1 (/layer/1/delay): axonal delays applied as slayer trained them; Lava's netx drops them" in msg
    with h5py.File(TINY) as f:
        w = f["layer/2/weight"][()][..., 0].reshape(36, 24, 25).astype(np.int64)
    # Layer 2's 5x5 kernel at stride 2 on the 6x6 map has one output pixel: it reads rows and columns 0..4.
    s1 = s1.reshape(40, 24, 6, 6)[:, :, :5, :5].reshape(40, 24, 25).astype(np.int64)
    for t in range(40):
        expected = np.zeros(36, dtype=np.int64)
        for c in range(24):
            src = t - 1 - DELAYS[c]
            if src >= 0:
                expected += w[:, c, :] @ s1[src, c]
        assert np.array_equal(u2[t], 64 * expected), t
    assert int(s1.sum()) > 500 and int(s2.sum()) > 20
    # Without the delays layer 2 sees other input: the delays act.
    s1_plain, s2_plain, _, _ = tiny_run_with_delays(binary, tmp_path / "plain", np.zeros(24))
    assert np.array_equal(s1_plain.reshape(40, 24, 6, 6)[:, :, :5, :5].reshape(40, 24, 25), s1)
    assert not np.array_equal(s2_plain, s2)


def test_axonal_delays_on_the_chip_equal_the_reference(binary, tmp_path):
    s1, s2, _, _ = tiny_run_with_delays(binary, tmp_path / "ref", DELAYS)
    c1, c2, _, _ = tiny_run_with_delays(binary, tmp_path / "chip", DELAYS, on_chip=True)
    assert np.array_equal(c1, s1) and np.array_equal(c2, s2)


def test_axonal_delays_ignored_as_lava_does_give_lavas_ground_truth(binary, tmp_path):
    _, s2, _, msg = tiny_run_with_delays(binary, tmp_path, DELAYS, "--axonal-delays", "ignore")
    assert "axonal delays ignored, as Lava's netx builds the network (axonal_delays: ignore)" in msg
    assert np.array_equal(s2[2:17], ground_truth()[1:])


def test_bad_axonal_delays_option_on_the_command_line_is_an_error_naming_it(binary, tmp_path):
    r = subprocess.run([binary, "netx", TINY, str(tmp_path / "o.h5"), "--axonal-delays", "drop"],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 1
    assert ("--axonal-delays: expected 'apply' (as slayer trained them) or 'ignore' (as Lava's netx builds the "
            "network), got 'drop'") in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "o.h5")
