"""Export round trip, determinism, and the fixed-point forward against the C++ reference simulator."""
import hashlib
import os
import subprocess

import numpy as np
import pytest
import torch

from fsddim import netfile
from fsddim.export import export_checkpoint
from fsddim.fixed import FixedNet, effective_weight, sample_fixed, sampler_meta
from fsddim.quant import forward_chip
from fsddim.train import load_checkpoint
from fsddim.verify import compare, make_payloads, verify


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_cpp_loader_accepts_the_export(tiny_run, binary, tmp_path):
    _, cfg, net = tiny_run
    out = subprocess.run([binary, "reference", net, "--timesteps", "3", "--context", "17", "--out", str(tmp_path / "r.h5")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "readout 'out'" in out.stdout
    bal = subprocess.run([binary, "balance", net, str(tmp_path / "b.h5")], capture_output=True, text=True)
    assert bal.returncode == 0, bal.stderr
    assert "pipeline depth D" in bal.stdout


def test_export_contents_and_python_round_trip(tiny_run, tmp_path):
    _, cfg, net_path = tiny_run
    net = netfile.read(net_path)
    kinds = {p.kind for p in net.populations}
    assert kinds == {"input", "cuba", "readout"}
    tables = [p for p in net.populations if p.bias_table is not None]
    assert tables and all(p.bias_table.shape == (1000, cfg["model"]["snn_timesteps"], p.shape[0]) for p in tables)
    assert all(np.all(np.asarray(pr.delays) == 0) for pr in net.projections)
    assert all(-256 <= pr.weights.min() and pr.weights.max() <= 255 for pr in net.projections)
    assert all(np.all(pr.weights % 2 == 0) for pr in net.projections)   # the chip drops the LSB of 8-bit mixed mantissas
    m = sampler_meta(net)
    assert m["T"] == cfg["model"]["snn_timesteps"] and m["a_q30"].shape == (1000,)
    assert net.attributes["fsddim_preset"] == "tiny"
    # write -> read -> write gives the same bytes
    netfile.write(net, str(tmp_path / "a.h5"))
    netfile.write(netfile.read(str(tmp_path / "a.h5")), str(tmp_path / "b.h5"))
    assert sha(str(tmp_path / "a.h5")) == sha(str(tmp_path / "b.h5"))


def test_export_is_deterministic(tiny_run, tmp_path):
    run, _, net_path = tiny_run
    other = str(tmp_path / "again.h5")
    export_checkpoint(os.path.join(run, "qat.pt"), other)
    assert sha(other) == sha(net_path)


def test_fixed_point_forward_equals_cpp_reference_bit_exactly(tiny_run, binary):
    _, _, net_path = tiny_run
    for context in (0, 640, 999):
        r = verify(net_path, context=context, n_images=1, seed=context)
        assert r["exact"], r["mismatch"]
        assert r["spikes"] > 100          # the network is active: the comparison is not vacuous


def test_qat_forward_tracks_the_fixed_point_forward(tiny_run):
    """The QAT forward omits the per-synapse floor of graded inputs and runs in float32, so a few spikes flip,
    and in a U-Net a flip spreads to the outputs it feeds: at one context a model trained on one CPU may
    differ in 40 % of its outputs and another not at all. So the forward is compared over six contexts:
    most outputs equal the exact ones to within 1e-3, and the error over all of them stays small."""
    run, cfg, net_path = tiny_run
    ck = load_checkpoint(os.path.join(run, "qat.pt"), use_ema=True)
    net = netfile.read(net_path)
    meta = sampler_meta(net)
    qats, fxs = [], []
    for context in (0, 100, 300, 500, 700, 999):
        pay = make_payloads(meta, 4, context, 5)                      # (T, 4, N)
        x = (pay.double() / (1 << meta["payload_frac"])).float().view(meta["T"], 4, *meta["shape"])
        with torch.no_grad():
            qats.append(forward_chip(ck["model"], ck["scales"], x, torch.full((4,), context)).double().flatten())
        fx = FixedNet(net).run({"x": pay}, torch.full((4,), context), meta["T"])["currents"]["out"].double()
        fxs.append((fx / (1 << meta["readout_frac"])).flatten())
    qat, fx = torch.cat(qats), torch.cat(fxs)
    diff = (qat - fx).abs()
    assert (diff < 1e-3).double().mean().item() > 0.75      # equal but for flipped spikes' reach
    assert diff.mean().item() < 0.15 * fx.abs().mean().item()
    corr = torch.corrcoef(torch.stack([qat, fx]))[0, 1].item()
    assert corr > 0.95, corr


def test_qat_forward_spike_counts_track_the_fixed_point_spikes(tiny_run):
    """forward_chip(..., spike_counts=) (the QAT phase's synaptic-operation regulariser) counts the spikes of
    every population that sends, and the synaptic operations they give are those of the bit-exact fixed-point
    forward's spikes but for the few flipped spikes (see above): within 5 % over three contexts."""
    from fsddim import synops
    run, _, net_path = tiny_run
    ck = load_checkpoint(os.path.join(run, "qat.pt"), use_ema=True)
    model = ck["model"]
    maps = synops.fanout_maps(model)
    net = netfile.read(net_path)
    meta = sampler_meta(net)
    got = want = 0.0
    for context in (0, 500, 999):
        pay = make_payloads(meta, 4, context, 7)
        x = (pay.double() / (1 << meta["payload_frac"])).float().view(meta["T"], 4, *meta["shape"])
        counts = {}
        with torch.no_grad():
            forward_chip(model, ck["scales"], x, torch.full((4,), context), spike_counts=counts)
        assert set(maps) <= set(counts) and all(c.shape == (4,) + maps[k].shape for k, c in counts.items() if k in maps)
        got += float(synops.synops_per_call(counts, maps).sum())
        spikes = FixedNet(net).run({"x": pay}, torch.full((4,), context), meta["T"], record_spikes=True)["spikes"]
        for name, f in maps.items():
            res = f.shape[0]
            s = spikes[name].double().view(meta["T"], 4, -1, res, res).sum((0, 2))
            want += float((s * f).sum())
    assert want > 0 and abs(got - want) < 0.05 * want, (got, want)


def test_effective_weight_matches_the_cpp_rule():
    m = np.array([-256, -255, -3, -1, 0, 1, 3, 254, 255])
    assert effective_weight(m, 0, 8, "mixed").tolist() == [x * 64 for x in [-256, -254, -2, 0, 0, 0, 2, 254, 254]]
    assert effective_weight(m, -1, 8, "mixed").tolist() == [x * 64 for x in [-128, -127, -1, 0, 0, 0, 1, 127, 127]]
    assert effective_weight(np.array([-256, 254]), 7, 8, "mixed").tolist() == [-((1 << 21) - 64), 254 * 128 * 64]  # clipped
    assert effective_weight(np.array([7]), 0, 6, "excitatory").tolist() == [4 * 64]          # prec 4


def _handmade(path, seed, payload_bits=16, payload_frac_bits=8):
    """A small network that exercises what FSDDIM exports do not: wrap-around of q, clamped v, du != 4095,
    refractoriness, 6-bit and excitatory weights, dense/sparse/strided/upsampled projections, graded input."""
    rng = np.random.default_rng(seed)
    P, J = netfile.Population, netfile.Projection
    pops = [
        P("x", "input", (2, 6, 6), {}, payload_bits=payload_bits, payload_frac_bits=payload_frac_bits),
        P("a", "cuba", (4, 6, 6), {"du": 4095, "dv": 819, "vth_mant": rng.integers(50, 3000, 144), "bias_exp": 3},
          bias_table=rng.integers(-4096, 4096, (3, 2, 4))),
        P("b", "cuba", (4, 3, 3), {"du": 2047, "dv": 100, "vth_mant": 400, "bias_mant": rng.integers(-300, 300, 36),
                                   "vmax_exp": 4, "vmin_exp": 12}),
        P("c", "cuba", (4, 6, 6), {"du": 4095, "dv": 819, "vth_mant": 200, "refract_delay": 3}),
        P("r", "readout", (1, 6, 6), {"du": 4095, "bias_mant": 77, "bias_exp": 2}),
    ]
    projs = [
        J("x>a", "x", "a", "conv", rng.integers(-256, 256, (4, 2, 3, 3)), 7, 8, "mixed", 0, (1, 1), (1, 1)),
        J("a>b", "a", "b", "conv", rng.integers(-256, 256, (4, 4, 2, 2)), 2, 6, "mixed", 0, (2, 2), (0, 0)),
        J("b>c", "b", "c", "conv", rng.integers(0, 256, (4, 4, 3, 3)), 1, 8, "excitatory", 0, (1, 1), (1, 1), 1, 2),
        J("a>c", "a", "c", "one_to_one", rng.integers(-256, 256, 144), 3),
        J("c>r", "c", "r", "conv", rng.integers(-256, 256, (1, 4, 1, 1)), 4),
        J("x>r", "x", "r", "conv", rng.integers(-256, 256, (1, 2, 3, 3)), 5, 8, "mixed", 0, (1, 1), (1, 1)),
        J("b>r", "b", "r", "dense", rng.integers(-256, 256, (36, 36)), 0),
        J("a>r", "a", "r", "sparse", rng.integers(-256, 256, 20), 6, pre=rng.integers(0, 144, 20), post=rng.integers(0, 36, 20)),
    ]
    netfile.write(netfile.Network(pops, projs), path)


# (seed, payload bits, fractional bits): the graded convolution's three ways in fixed.py: int32 products
# (payloads of up to 16 bits, f >= 6), int64 products (wider payloads), float64 floors (f < 6)
@pytest.mark.parametrize("seed,pb,pf", [(0, 16, 8), (1, 16, 8), (2, 24, 12), (3, 16, 4)])
def test_fixed_point_forward_edge_cases_bit_exact(binary, tmp_path, seed, pb, pf):
    path = str(tmp_path / "hand.h5")
    _handmade(path, seed, pb, pf)
    rng = np.random.default_rng(100 + seed)
    T = 6
    pay = torch.tensor(rng.integers(-(1 << (pb - 1)), 1 << (pb - 1), (T, 72)))
    r = compare(path, {"x": pay}, context=seed + 1, T=T)
    assert r["exact"], r["mismatch"]
    q_a = r["spikes"]
    assert q_a > 20


def test_fixed_sampler_runs_on_the_export(tiny_run):
    _, cfg, net_path = tiny_run
    fnet = FixedNet(netfile.read(net_path))
    img, x = sample_fixed(fnet, 3, 2, generator=torch.Generator().manual_seed(0))
    assert img.shape == (2, 1, 28, 28) and img.abs().max() <= 1.0
    img2, x2 = sample_fixed(fnet, 3, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)                      # integer state: reproducible exactly


def test_bundled_small_model_loads_and_is_bit_exact(binary):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(root, "models", "fsddim_small", "network.h5")
    assert os.path.getsize(path) <= 20 * 2 ** 20
    net = netfile.read(path)
    assert net.attributes["fsddim_preset"] == "small" and "fsddim_metrics_json" in net.attributes
    r = verify(path, context=250, n_images=1, seed=3)
    assert r["exact"], r["mismatch"]
    assert r["spikes"] > 10000


def test_export_for_chosen_step_counts_keeps_only_their_time_embeddings(tiny_run, binary, tmp_path):
    """export --steps: the bias tables of only the DDIM times S in {3, 5} visit, in increasing order; sampling with
    those S gives the same images as the full export (Python and C++), any other S is refused by name."""
    from fsddim.errors import FsddimError
    from fsddim.export import context_times
    run, _, full_path = tiny_run
    sub_path = str(tmp_path / "sub.h5")
    export_checkpoint(os.path.join(run, "qat.pt"), sub_path, steps=[3, 5])
    full, sub = netfile.read(full_path), netfile.read(sub_path)
    times = context_times(1000, [3, 5])
    assert times == [199, 332, 399, 599, 665, 799, 999]   # t = -1 + floor(i * 1000 / S), i = 1..S
    assert list(sub.arrays["ddim_context_times"]) == times
    for pf, ps in zip(full.populations, sub.populations):
        if pf.bias_table is not None:
            np.testing.assert_array_equal(ps.bias_table, pf.bias_table[times])
    gen = torch.Generator().manual_seed(3)
    noise = torch.randn((2, 28 * 28), generator=gen)
    _, x_full = sample_fixed(FixedNet(full), 3, 2, noise=noise)
    _, x_sub = sample_fixed(FixedNet(sub), 3, 2, noise=noise)
    assert torch.equal(x_full, x_sub)
    with pytest.raises(FsddimError, match="diffusion step 749"):
        sample_fixed(FixedNet(sub), 4, 1, noise=noise[:1])
    # The C++ reference sampler: same payloads from both files at S = 5; S = 4 refused before writing.
    outs = []
    for name, path in (("full", full_path), ("sub", sub_path)):
        r = subprocess.run([binary, "sample", path, "--steps", "5", "--images", "1", "--seed", "2", "--out", str(tmp_path / name)],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        import h5py
        with h5py.File(tmp_path / name / "samples.h5", "r") as f:
            outs.append(f["payloads"][()])
    np.testing.assert_array_equal(outs[0], outs[1])
    r = subprocess.run([binary, "sample", sub_path, "--steps", "4", "--out", str(tmp_path / "bad")], capture_output=True, text=True)
    assert r.returncode != 0
    assert "diffusion step 749" in r.stderr and "ddim_context_times" in r.stderr and "--steps 4" in r.stderr
    assert not (tmp_path / "bad").exists()
