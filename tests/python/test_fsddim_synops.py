"""Expected synaptic operations (fsddim/synops.py): the conv scatter's fan-out, the per-call count from
spikes, the energy-aware regulariser in training, and the estimate the export records."""
import json

import numpy as np
import torch

from fsddim import synops
from fsddim.config import load_config
from fsddim.net import FSDDIMNet
from fsddim.train import train


def scatter_2d(src_res, dst_res, kernel, stride, pad, upsample):
    """for_each_conv_tap (model/conv_taps.h) transcribed: per source pixel, the (output pixel, tap) pairs."""
    out = np.zeros((src_res, src_res), dtype=np.int64)
    for y in range(src_res):
        for x in range(src_res):
            for a in range(upsample):
                for ky in range(kernel):
                    ny = y * upsample + a + pad - ky
                    if ny < 0 or ny % stride or ny // stride >= dst_res:
                        continue
                    for b in range(upsample):
                        for kx in range(kernel):
                            nx = x * upsample + b + pad - kx
                            if nx < 0 or nx % stride or nx // stride >= dst_res:
                                continue
                            out[y, x] += 1
    return out


def test_fanout_of_a_padded_3x3_conv_by_hand():
    f = synops.projection_fanout(4, 4, 5, 3, 1, 1, 1)
    # corner: 2 x 2 outputs in reach, edge 2 x 3, interior 3 x 3; times 5 output channels
    assert f[0, 0] == 20 and f[0, 1] == 30 and f[1, 1] == 45 and f[3, 3] == 20
    assert f.sum() == 5 * (2 + 3 + 3 + 2) ** 2


def test_fanout_of_folded_pool_and_upsample_projections_by_hand():
    # pool2 + 1x1 (a stride-2 2x2 conv): every source pixel reaches exactly one output pixel
    assert (synops.projection_fanout(4, 2, 3, 2, 2, 0, 1) == 3).all()
    # nearest x2 + 1x1: every source pixel's four replicas reach four output pixels
    assert (synops.projection_fanout(2, 4, 3, 1, 1, 0, 2) == 12).all()


def test_fanout_equals_the_chip_scatter_for_every_geometry_the_network_uses():
    for geom in [(28, 28, 3), (28, 28, 5), (14, 14, 1), (28, 14, 2, 2, 0, 1), (28, 14, 6, 2, 2, 1), (7, 14, 3, 1, 1, 2),
                 (7, 14, 1, 1, 0, 2), (14, 28, 5, 1, 2, 2)]:
        src, dst, k = geom[:3]
        stride, pad, up = geom[3:] if len(geom) > 3 else (1, k // 2, 1)
        assert np.array_equal(synops.projection_fanout(src, dst, 1, k, stride, pad, up),
                              scatter_2d(src, dst, k, stride, pad, up)), geom


def test_synops_per_call_of_hand_placed_spikes():
    f = torch.tensor(synops.projection_fanout(4, 4, 5, 3, 1, 1, 1), dtype=torch.float64)
    counts = torch.zeros(2, 4, 4)
    counts[0, 0, 0] = 1.0          # image 0: one spike in the corner (20 synops)
    counts[1, 1, 2] = 2.0          # image 1: two spikes (two timesteps or channels) inside (2 x 45)
    counts[1, 3, 1] = 1.0          # and one on the bottom edge (30)
    assert synops.synops_per_call({"a": counts}, {"a": f}).tolist() == [20.0, 120.0]


def test_network_fanout_follows_the_chip_graph():
    """tiny preset: d0b0_h (8 channels, 28 x 28) feeds only d0b0's 3x3 conv (8 channels): 72 inside, 32 in a
    corner; the readout projects nowhere."""
    torch.manual_seed(0)
    model = FSDDIMNet(load_config("tiny", [])["model"])
    maps = synops.fanout_maps(model)
    f = maps["d0b0_h"]
    assert f[0, 0] == 32 and f[5, 5] == 72 and f.shape == (28, 28)
    assert "out" not in maps and "x" not in maps
    pops = [n for n in model.order if model.kinds[n] == "pop" and n != "out"]
    assert sorted(maps) == sorted(pops)
    # every neuron spiking at every timestep: T x channels x fan-out
    assert synops.max_synops_per_call(model, maps) == sum(model.T * model.nodes[n].c * float(maps[n].sum()) for n in maps)


def test_forward_spike_counts_give_the_synops_of_the_spikes():
    torch.manual_seed(0)
    model = FSDDIMNet(load_config("tiny", [])["model"]).eval()
    x = torch.randn(3, 1, 28, 28)
    t = torch.tensor([10, 500, 900])
    counts, probe = {}, {}
    model(x, t, probe=probe, spike_counts=counts)
    maps = synops.fanout_maps(model)
    got = synops.synops_per_call(counts, maps)
    # recompute from the probed currents: spikes of the LIF of each population's input, times F, summed
    from fsddim.lif import lif_reference
    expect = torch.zeros(3, dtype=torch.float64)
    for name, f in maps.items():
        cur = probe[name]
        s, _ = lif_reference(cur.view(model.T, 3, *cur.shape[1:]), model.mcfg["tau"], model.mcfg["vth"])
        expect += (s.double() * f).sum((0, 2, 3, 4))
    assert torch.equal(got.double(), expect)
    assert float(expect.min()) > 0


def _synops_on_fixed_batch(run):
    from fsddim.train import load_checkpoint
    ck = load_checkpoint(run + "/float.pt", use_ema=False)
    model = ck["model"]
    g = torch.Generator().manual_seed(5)
    x = torch.randn(32, 1, 28, 28, generator=g)
    t = torch.randint(0, 1000, (32,), generator=g)
    counts = {}
    with torch.no_grad():
        model(x, t, spike_counts=counts)
    return float(synops.synops_per_call(counts, synops.fanout_maps(model)).mean())


def test_regulariser_lowers_the_synaptic_operations(tmp_path):
    torch.set_num_threads(1)
    base = ["train.iterations=30", "train.subset=256", "train.device=cpu", "train.ema_decay=0.0", "train.log_every=10"]
    ops = {}
    for lam in (0.0, 2.0):
        run = str(tmp_path / f"lam{lam}")
        train(load_config("tiny", base + [f"train.synops_lambda={lam}"]), run, quiet=True)
        ops[lam] = _synops_on_fixed_batch(run)
        log = [json.loads(line) for line in open(run + "/train_log.jsonl")]
        progress = [r for r in log if r["event"] == "progress"]
        assert "synops_fraction" in progress[-1]          # logged with and without the regulariser
    assert ops[2.0] < 0.85 * ops[0.0], ops          # measured: 0.74


def test_regulariser_in_the_qat_phase_lowers_the_chip_forward_synops(tiny_run, tmp_path):
    """qat.synops_lambda: energy-aware fine-tuning of a trained float model through the chip-domain forward.
    Ten QAT iterations from the same float checkpoint, with and without it, counted on one fixed batch."""
    import os
    import shutil
    from fsddim.quant import forward_chip
    from fsddim.train import load_checkpoint
    torch.set_num_threads(1)
    run, _, _ = tiny_run
    base = ["train.iterations=60", "train.subset=512", "train.device=cpu", "qat.iterations=10", "qat.lr=0.003",
            "qat.ema_decay=0.0", "train.log_every=5"]
    g = torch.Generator().manual_seed(11)
    x = torch.randn(16, 1, 28, 28, generator=g)
    t = torch.randint(0, 1000, (16,), generator=g)
    ops, frac = {}, {}
    for lam in (0.0, 5.0):
        qrun = str(tmp_path / f"qat{lam}")
        os.makedirs(qrun)
        shutil.copy(os.path.join(run, "float.pt"), qrun)
        train(load_config("tiny", base + [f"qat.synops_lambda={lam}"]), qrun, qat=True, quiet=True)
        ck = load_checkpoint(os.path.join(qrun, "qat.pt"), use_ema=False)
        counts = {}
        with torch.no_grad():
            forward_chip(ck["model"], ck["scales"], x, t, spike_counts=counts)
        ops[lam] = float(synops.synops_per_call(counts, synops.fanout_maps(ck["model"])).mean())
        log = [json.loads(line) for line in open(qrun + "/train_log.jsonl")]
        frac[lam] = [r["synops_fraction"] for r in log if r["event"] == "progress" and r["phase"] == "qat"]
    assert len(frac[5.0]) == 2 and frac[5.0][-1] < frac[0.0][-1], frac
    assert ops[5.0] < 0.85 * ops[0.0], ops


def test_export_records_the_expected_synops_per_image(tiny_run):
    """The exported file's /metadata fsddim_expected_synops_json: per S, the synaptic operations per image of
    a float run of the exported weights from the config's eval seed; reproducible from the checkpoint."""
    import os
    from fsddim import netfile
    from fsddim.export import SYNOPS_IMAGES
    from fsddim.train import load_checkpoint
    run, cfg, net_path = tiny_run
    est = json.loads(netfile.read(net_path).attributes["fsddim_expected_synops_json"])
    assert est["images"] == SYNOPS_IMAGES and est["seed"] == cfg["eval"]["seed"] and est["snn_timesteps"] == 2
    assert sorted(est["per_image"], key=int) == [str(s) for s in cfg["eval"]["steps"]] == ["5", "10"]
    model = load_checkpoint(os.path.join(run, "qat.pt"))["model"]
    again = synops.expected_synops(model, cfg, [5], SYNOPS_IMAGES, cfg["eval"]["seed"])
    assert again["per_image"]["5"] == est["per_image"]["5"]
    for S in (5, 10):
        e = est["per_image"][str(S)]
        assert 0 < e["min"] <= e["mean"] <= e["max"] < S * est["max_per_call"]
    # twice the network calls: about twice the operations per image
    assert 1.5 < est["per_image"]["10"]["mean"] / est["per_image"]["5"]["mean"] < 2.5


def test_expected_synops_agree_with_the_chip_count(tiny_run, binary, tmp_path):
    """The float estimate plus the graded input (every pixel at every timestep) against the synaptic
    operations the chip counts running the exported file (2 images, S = 10; other noise, fixed point):
    within 10 % (measured: 3 %)."""
    import os
    import subprocess
    from conftest import ROOT
    from fsddim.train import load_checkpoint
    run, cfg, net_path = tiny_run
    out = tmp_path / "chip"
    res = subprocess.run([binary, "run", os.path.join(ROOT, "configs", "fsddim_fmnist.yaml"), "--set", f"network={net_path}",
                          "--set", "fsddim.images=2", "--set", "fsddim.steps=10", "--set", "fsddim.check_reference=false",
                          "--set", "fsddim.float_checkpoint=''", "--out", str(out)], capture_output=True, text=True,
                         timeout=600, env=dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1"))
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.load(open(out / "report.json"))
    chip = sum(v for c in report["counters"].values() if isinstance(c, dict)
               for k, v in c.items() if k.startswith("synops_") and isinstance(v, (int, float)))
    chip_per_image = chip / report["fsddim"]["images"]
    model = load_checkpoint(os.path.join(run, "qat.pt"))["model"]
    est = synops.expected_synops(model, cfg, [10], 2, 0)
    expect = est["per_image"]["10"]["mean"] + 10 * est["graded_input_per_call"]
    assert est["graded_input_per_call"] == synops.input_synops_per_call(model) > 0
    assert abs(chip_per_image - expect) < 0.1 * chip_per_image, (chip_per_image, expect)
