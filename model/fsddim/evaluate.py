"""Quality: FID and an Inception-Score-like number from a small Fashion-MNIST classifier.

  cd model && /usr/bin/python3 -m fsddim.evaluate --checkpoint RUN/float.pt --steps 10 20 --samples 1000
  cd model && /usr/bin/python3 -m fsddim.evaluate --network ../models/fsddim_small/network.h5 --steps 20

The classifier (two conv layers, a 128-unit penultimate layer) is trained once on the training split
and cached in .cache/fsddim/ (FSDDIM_CACHE overrides). FID here is the Frechet distance between the
penultimate-layer features of generated images and of the 10,000 test images; the IS-like number is
exp(E KL(p(y|x) || p(y))) from its softmax. THIS FID IS NOT COMPARABLE TO INCEPTION FID (clean-fid, the
paper's numbers): other features, another dimensionality, fewer samples. Compare numbers within this
repository only, at the same sample count (FID is biased upward for small sample counts; the
`real_train` row gives the floor for that count: real training images scored the same way).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy import linalg

from . import data, diffusion
from .errors import FsddimError, tool_main
from .train import atomic_save, torch_load


def cache_dir():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.environ.get("FSDDIM_CACHE", os.path.join(root, ".cache", "fsddim"))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 7 * 7, 128)
        self.head = nn.Linear(128, 10)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        return F.relu(self.fc(x.flatten(1)))

    def forward(self, x):
        return self.head(self.features(x))


def _prep(images01):
    x = images01.float()
    if x.shape[-1] != 28:
        x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    return (x - 0.5) / 0.5


def train_classifier(device="cpu", epochs=3, seed=0, quiet=False):
    torch.manual_seed(seed)
    xs, ys = data.load("train")
    x = torch.from_numpy(np.array(xs, dtype=np.float32)).unsqueeze(1) / 255.0
    y = torch.from_numpy(np.array(ys, dtype=np.int64))
    clf = Classifier().to(device)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    for ep in range(epochs):
        perm = torch.randperm(x.shape[0], generator=g)
        for k in range(0, x.shape[0], 128):
            idx = perm[k:k + 128]
            loss = F.cross_entropy(clf(_prep(x[idx]).to(device)), y[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        if not quiet:
            print(f"classifier epoch {ep + 1}/{epochs}: loss {float(loss):.3f}", flush=True)
    return clf


@torch.no_grad()
def _feats(clf, images01, device, bs=1000):
    fs, ps = [], []
    for k in range(0, images01.shape[0], bs):
        x = _prep(images01[k:k + bs]).to(device)
        f = clf.features(x)
        fs.append(f.double().cpu())
        ps.append(F.softmax(clf.head(f), dim=1).double().cpu())
    return torch.cat(fs).numpy(), torch.cat(ps).numpy()


def get_classifier(device="cpu", quiet=False):
    """The cached classifier and the test-split statistics; trains and caches them on first use. Evaluations
    started side by side train it once: the first holds a lock on the cache while it trains, the others wait
    for it and load what it saved."""
    import fcntl
    d = cache_dir()
    try:
        os.makedirs(d, exist_ok=True)
        lock = open(os.path.join(d, "classifier.lock"), "a", encoding="utf-8")
    except OSError:     # a read-only cache: nothing to train into, so nothing to wait for
        return _get_classifier_locked(device, quiet)
    with lock:
        if not os.path.exists(os.path.join(d, "classifier.pt")):
            if not quiet:
                print(f"classifier not cached in {d}: training it, or waiting for the evaluation that is", flush=True)
            fcntl.flock(lock, fcntl.LOCK_EX)      # released when the file closes
        return _get_classifier_locked(device, quiet)


def _get_classifier_locked(device, quiet):
    path = os.path.join(cache_dir(), "classifier.pt")
    if os.path.exists(path):
        try:
            ck = torch_load(path)
            clf = Classifier()
            clf.load_state_dict(ck["state"])
            clf.to(device).eval()
            return clf, ck
        except Exception as e:
            raise FsddimError(f"{path}: cached classifier unreadable ({type(e).__name__}: {e}); delete it to retrain") from None
    t0 = time.time()
    clf = train_classifier("cpu", quiet=quiet).eval()
    xs, ys = data.load("test")
    x = torch.from_numpy(np.array(xs, dtype=np.float32)).unsqueeze(1) / 255.0
    feats, probs = _feats(clf, x, "cpu")
    acc = float((probs.argmax(1) == np.array(ys)).mean())
    ck = {"state": clf.state_dict(), "test_accuracy": acc, "mu": feats.mean(0), "sigma": np.cov(feats, rowvar=False),
          "test_is": inception_like(probs), "train_seconds": time.time() - t0}
    atomic_save(ck, path)
    if not quiet:
        print(f"classifier trained in {time.time() - t0:.0f} s, test accuracy {acc:.4f}, cached at {path}", flush=True)
    return clf.to(device), ck


def frechet(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean = linalg.sqrtm(s1.dot(s2))
    if isinstance(covmean, tuple):      # older scipy may return (sqrtm, error)
        covmean = covmean[0]
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = np.real(covmean)
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def inception_like(probs):
    py = probs.mean(0, keepdims=True)
    kl = (probs * (np.log(probs + 1e-12) - np.log(py + 1e-12))).sum(1)
    return float(np.exp(kl.mean()))


def score(images01, device="cpu"):
    """{'fid', 'is'} of images in [0, 1] (N, 1, H, W) against the test split."""
    clf, ck = get_classifier(device)
    feats, probs = _feats(clf, images01, device)
    return {"fid": frechet(feats.mean(0), np.cov(feats, rowvar=False), ck["mu"], ck["sigma"]), "is": inception_like(probs),
            "n": int(images01.shape[0])}


def real_floor(n, image_size=28, device="cpu"):
    """The score of n real training images (the FID floor at that sample count)."""
    xs, _ = data.load("train")
    x = (data.to_model_range(xs[-n:], image_size) + 1) / 2
    return score(x, device)


# ---- sampling ------------------------------------------------------------------------------------

def noise_for(n, shape, seed):
    return torch.randn((n,) + tuple(shape), generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def sample_model(model, cfg, steps, n, seed, device="cpu", batch=500, chip_scales=None, T=None, on_batch=None,
                 on_call=None):
    """Images in [0, 1] from a float model (SNN or ANN), or its QAT chip-domain forward if chip_scales.
    T overrides the SNN timesteps per network call (the model was trained at cfg's T); on_batch(images done)
    is called after each batch; on_call(spike counts) after each float network call (FSDDIMNet.forward's
    spike_counts)."""
    from .quant import forward_chip
    model = model.to(device).eval()
    trained_T = model.T
    if T is not None and model.spiking:
        model.T = T
    sched = diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
    C, S = cfg["model"]["in_channels"], cfg["model"]["image_size"]
    noise = noise_for(n, (C, S, S), seed)
    outs = []
    for k in range(0, n, batch):
        nz = noise[k:k + batch].to(device)
        m = nz.shape[0]

        def fn(x, t, m=m):
            tv = torch.full((m,), t, dtype=torch.long, device=device)
            if chip_scales is not None:
                return forward_chip(model, chip_scales, x, tv)
            if on_call is None:
                return model(x, tv)
            counts = {}
            out = model(x, tv, spike_counts=counts)
            on_call(counts)
            return out
        outs.append(diffusion.sample(fn, sched, nz.shape, model.T, steps, device=device, noise=nz).cpu())
        if on_batch:
            on_batch(k + m)
    model.T = trained_T
    return (torch.cat(outs) + 1) / 2


@torch.no_grad()
def sample_network(net_path, steps, n, seed, device="cpu", batch=500, T=None):
    from . import netfile
    from .fixed import FixedNet, sample_fixed, sampler_meta
    net = netfile.read(net_path)
    fnet = FixedNet(net, device)
    shape = sampler_meta(net)["shape"]
    noise = noise_for(n, shape, seed)
    outs = []
    for k in range(0, n, batch):
        img, _ = sample_fixed(fnet, steps, noise[k:k + batch].shape[0], noise=noise[k:k + batch].reshape(-1, int(np.prod(shape))), T=T)
        outs.append(img)
    return (torch.cat(outs) + 1) / 2


@torch.no_grad()
def denoise_loss(n, seed=7, checkpoint=None, network=None, chip=False, batch=64):
    """Per-call quality without sampling: the v-prediction error on n noised test images with seeded t and
    noise (mean over T of the output currents), for a checkpoint's float (or QAT chip-domain) forward or an
    exported network's fixed-point forward. Returns {'v_mse', 'weighted_loss'} (weighted: alpha_bar_t, the
    training loss's image term)."""
    from .quant import forward_chip
    xs, _ = data.load("test")
    if network:
        from . import netfile
        from .fixed import FixedNet, sampler_meta
        net = netfile.read(network)
        meta = sampler_meta(net)
        fnet = FixedNet(net)
        size = meta["shape"][-1]
    else:
        from .train import load_checkpoint
        ck = load_checkpoint(checkpoint)
        model = ck["model"].eval()
        size = ck["config"]["model"]["image_size"]
    x0 = data.to_model_range(xs[:n], size)
    g = torch.Generator().manual_seed(seed)
    t = torch.randint(0, 1000, (n,), generator=g)
    noise = torch.randn(x0.shape, generator=g)
    sched = diffusion.Schedule()
    a, s, w, _ = sched.tables(torch.float64)
    x_t = (a[t].view(-1, 1, 1, 1) * x0 + s[t].view(-1, 1, 1, 1) * noise).float()
    v = a[t].view(-1, 1, 1, 1) * noise - s[t].view(-1, 1, 1, 1) * x0
    preds = []
    for k in range(0, n, batch):
        xb, tb = x_t[k:k + batch], t[k:k + batch]
        if network:
            pf, pb = meta["payload_frac"], meta["payload_bits"]
            pay = torch.clamp(torch.round(xb.double() * (1 << pf)), -(1 << (pb - 1)), (1 << (pb - 1)) - 1).long()
            pay = pay.view(1, xb.shape[0], -1).repeat(meta["T"], 1, 1)
            out = fnet.run({meta["input"]: pay}, tb, meta["T"])["currents"][meta["readout"]].double() / (1 << meta["readout_frac"])
            preds.append(out.mean(0).view(xb.shape))
        else:
            out = forward_chip(model, ck["scales"], xb, tb) if chip else model(xb, tb)
            preds.append(out.mean(0).double())
    err = ((torch.cat(preds) - v) ** 2).flatten(1).mean(1)
    return {"v_mse": float(err.mean()), "weighted_loss": float((err * w[t]).mean()), "n": n, "seed": seed}


def save_grid(images01, path, nrow=10):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = min(images01.shape[0], nrow * nrow)
    rows = (n + nrow - 1) // nrow
    grid = np.ones((rows * 29, nrow * 29))
    for i in range(n):
        r, c = divmod(i, nrow)
        im = images01[i, 0]
        if im.shape[-1] != 28:
            im = F.interpolate(im[None, None], size=(28, 28), mode="bilinear", align_corners=False)[0, 0]
        grid[r * 29:r * 29 + 28, c * 29:c * 29 + 28] = im.numpy()
    plt.imsave(path, grid, cmap="gray", vmin=0, vmax=1)


def checkpoint_description(ck, path, chip=False, T=None):
    """What a score of a checkpoint's samples is a score of (load_checkpoint's dict): the model kind, iteration,
    T and, for learning curves, `lineage_totals` (images seen and CPU-hours, the phases it started from
    included) when the checkpoint records its lineage."""
    what = {"model": ("qat_chip" if chip else ck["config"]["model"]["neuron"]), "checkpoint": path,
            "iteration": ck["iteration"], "T": T or ck["model"].T}
    if ck["raw"].get("lineage"):
        from .train import lineage_totals
        what["lineage_totals"] = lineage_totals(ck["raw"]["lineage"])
    return what


@tool_main("fsddim.evaluate")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="float or QAT checkpoint (float model, EMA weights)")
    src.add_argument("--network", help="exported network file: the bit-exact fixed-point model")
    src.add_argument("--real", action="store_true", help="score real training images (the floor)")
    ap.add_argument("--chip", action="store_true", help="with a QAT checkpoint: its chip-domain (QAT) forward")
    ap.add_argument("--steps", type=int, nargs="+", default=[20])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--T", type=int, default=None, help="SNN timesteps per network call (default: as trained)")
    ap.add_argument("--out", help="append results (JSON lines) here")
    ap.add_argument("--grid", help="save a 10x10 sample grid (PNG) of the first S here")
    ap.add_argument("--denoise", type=int, default=0, metavar="N",
                    help="instead of sampling: v-prediction error on N noised test images (one network call each)")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    results = []
    if a.denoise:
        r = denoise_loss(a.denoise, checkpoint=a.checkpoint, network=a.network, chip=a.chip)
        results.append({"model": "fixed_point" if a.network else ("qat_chip" if a.chip else "float"),
                        "source": a.network or a.checkpoint, "denoise": r})
        a.steps = []
    if a.real:
        r = real_floor(a.samples, device=a.device)
        results.append({"model": "real_train", **r})
    for s in ([] if a.real else a.steps):
        t0 = time.time()
        if a.network:
            imgs = sample_network(a.network, s, a.samples, a.seed, a.device, a.batch, a.T)
            what = {"model": "fixed_point", "network": a.network, "T": a.T}
        else:
            from .train import load_checkpoint
            ck = load_checkpoint(a.checkpoint)
            scales = ck["scales"] if a.chip else None
            if a.chip and scales is None:
                raise FsddimError(f"{a.checkpoint}: --chip needs a QAT checkpoint")
            imgs = sample_model(ck["model"], ck["config"], s, a.samples, a.seed, a.device, a.batch, scales, a.T)
            what = checkpoint_description(ck, a.checkpoint, a.chip, a.T)
        r = score(imgs, a.device)
        rec = {**what, "steps": s, **r, "seconds": time.time() - t0}
        results.append(rec)
        if a.grid and s == a.steps[0]:
            save_grid(imgs, a.grid)
    for rec in results:
        print(json.dumps(rec, sort_keys=True), flush=True)
        if a.out:
            with open(a.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
