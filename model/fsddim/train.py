"""Training: float (SNN or ANN twin), then quantization-aware fine-tuning to the chip's formats.

  cd model && /usr/bin/python3 -m fsddim.train --config small --run ../runs/small            # float
  cd model && /usr/bin/python3 -m fsddim.train --config small --run ../runs/small --qat      # QAT
Checkpoints (RUN/float.pt, RUN/qat.pt) are written atomically every train.checkpoint_every iterations
and at the end; running the same command again resumes from them (batches and noise are a function of
the seed and the iteration, so a resumed run computes what an uninterrupted one would). Progress goes to
stdout and RUN/train_log.jsonl. --deadline-s stops cleanly (with a checkpoint) after that many seconds.

Lineage: every checkpoint carries, and RUN/metrics.json's "lineage" records per phase, the iterations, the
training images seen, the CPU time (user + system of the training process, all its threads) and wall time
summed over every session that trained it, the device, and the starting point (random initialisation with
the seed, or the checkpoint a QAT phase started from, with that checkpoint's lineage).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn

from . import data, diffusion, synops
from .config import dump, from_dict, load_config
from .errors import FsddimError, tool_main
from .files import atomic_output
from .net import FSDDIMNet, count_parameters
from .quant import calibrate, forward_chip

CKPT_FORMAT = "fsddim-checkpoint"
CKPT_VERSION = 1


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise FsddimError("train.device = cuda but no CUDA device is available")
    return torch.device(name)


def atomic_save(obj, path):
    with atomic_output(path) as tmp:
        torch.save(obj, tmp)


def _cpu_state(module):
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def torch_load(path):
    """torch.load of our own files (configs, numpy arrays inside): weights_only=False (torch >= 2.6 default is True)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch without the weights_only argument
        return torch.load(path, map_location="cpu")


def read_checkpoint_raw(path):
    if not os.path.exists(path):
        raise FsddimError(f"{path}: checkpoint not found")
    try:
        ck = torch_load(path)
    except Exception as e:  # torch raises many types for a damaged file
        raise FsddimError(f"{path}: not a readable checkpoint (corrupt or truncated?): {type(e).__name__}: {e}") from None
    if not isinstance(ck, dict) or ck.get("format") != CKPT_FORMAT:
        raise FsddimError(f"{path}: not an fsddim checkpoint (expected format '{CKPT_FORMAT}')")
    if ck.get("version") != CKPT_VERSION:
        raise FsddimError(f"{path}: checkpoint version {ck.get('version')} is not supported (expected {CKPT_VERSION})")
    for k in ("config", "phase", "iteration", "model"):
        if k not in ck:
            raise FsddimError(f"{path}: checkpoint lacks '{k}'")
    return ck


def load_checkpoint(path, use_ema=True):
    """{'model': FSDDIMNet on CPU with the EMA (or raw) weights, 'config', 'scales', 'iteration', 'phase'}."""
    ck = read_checkpoint_raw(path)
    cfg = from_dict(ck["config"], f"{path}: config")
    model = FSDDIMNet(cfg["model"])
    state = ck["ema"] if use_ema and ck.get("ema") is not None else ck["model"]
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise FsddimError(f"{path}: weights do not match the model its config describes: {e}") from None
    model.eval()
    return {"model": model, "config": cfg, "scales": ck.get("scales"), "iteration": ck["iteration"], "phase": ck["phase"],
            "raw": ck}


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _phase_lineage(previous, start_point):
    """The lineage a phase resumes from (a checkpoint's), or a new one."""
    if previous is not None:
        return copy.deepcopy(previous)
    return {"iterations": 0, "images_seen": 0, "cpu_hours": 0.0, "wall_hours": 0.0, "sessions": 0,
            "devices": [], "started_from": start_point}


def lineage_totals(lineage):
    """Images seen and CPU-hours of a phase including every phase it started from."""
    images, cpu = lineage["images_seen"], lineage["cpu_hours"]
    parent = lineage["started_from"].get("lineage")
    if parent:
        p = lineage_totals(parent)
        images, cpu = images + p["images_seen"], cpu + p["cpu_hours"]
    return {"images_seen": images, "cpu_hours": cpu}


def write_lineage(run_dir, phase, lineage):
    """RUN/metrics.json: its "lineage" entry for this phase (other keys of an existing file are kept)."""
    path = os.path.join(run_dir, "metrics.json")
    metrics = {}
    if os.path.exists(path):
        try:
            with open(path, "r", encoding="utf-8") as f:
                metrics = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise FsddimError(f"{path}: cannot read metrics JSON to add the lineage: {e}") from None
        if not isinstance(metrics, dict):
            raise FsddimError(f"{path}: expected a JSON object, to add the lineage")
    metrics.setdefault("lineage", {})[phase] = dict(lineage, totals=lineage_totals(lineage))
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=1, sort_keys=True)
        f.write("\n")


class Logger:
    def __init__(self, path, quiet=False):
        self.path, self.quiet = path, quiet

    def __call__(self, rec, line):
        if self.path:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(rec, sort_keys=True) + "\n")
        if not self.quiet:
            print(line, flush=True)


def _ema_update(ema, model, decay, it):
    d = min(decay, (1.0 + it) / (10.0 + it))
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters()):
            pe.mul_(d).add_(p.detach(), alpha=1.0 - d)
        for be, b in zip(ema.buffers(), model.buffers()):
            be.copy_(b)


@torch.no_grad()
def calibrate_batch_norm(model, batches, tables, timesteps, n, seed):
    """Batch-norm running statistics estimated from n batches of noised training images (cumulative
    average, no gradient step): what the eval-mode (folded) network needs to see normalised activity.
    For an untrained network this gives plausible firing rates instead of dead deep layers."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    dev = next(model.parameters()).device
    for k in range(n):
        x0 = batches.batch(k)
        g = torch.Generator().manual_seed(seed * 7919 + k + 5 * 10 ** 7)
        t = torch.randint(0, timesteps, (x0.shape[0],), generator=g).to(dev)
        noise = torch.randn(x0.shape, generator=g).to(dev)
        model(tables[0][t].view(-1, 1, 1, 1) * x0 + tables[1][t].view(-1, 1, 1, 1) * noise, t)
    for m in bns:
        m.momentum = 0.1
    model.eval()


def _weights_config(model_cfg, qat):
    """What must agree for one model's weights to start another: everything for QAT; for a float run all but
    the neuron (LIF or the ANN twin's ReLU) and T, which change no parameter."""
    return model_cfg if qat else {k: v for k, v in model_cfg.items() if k not in ("neuron", "snn_timesteps")}


def distill_loss(out, target, t, tables):
    """alpha_bar_t-weighted mean squared distance of the prediction (mean over T of out) from a teacher's
    prediction, batch mean: the image term of diffusion.losses with the teacher's v in place of the true v."""
    w = tables[2]
    return (((out.mean(0) - target) ** 2).flatten(1).mean(1) * w[t]).mean()


def train(cfg, run_dir, qat=False, deadline_s=0.0, snapshot_every=0, quiet=False, init_from=None, bn_batches=0):
    """Runs (or resumes) the float or QAT phase in run_dir. Returns the final checkpoint path.
    bn_batches > 0: no training; a new float run's initial weights with batch-norm statistics from that many
    batches (calibrate_batch_norm) are saved as iteration 0."""
    cpu0, wall0 = _cpu_seconds(), time.time()
    os.makedirs(run_dir, exist_ok=True)
    phase = "qat" if qat else "float"
    tc = cfg["train"]
    pc = cfg["qat"] if qat else tc
    dev = pick_device(tc["device"])
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = not qat   # QAT sums integers: keep full fp32 there
        torch.backends.cudnn.allow_tf32 = not qat
    ckpt_path = os.path.join(run_dir, f"{phase}.pt")
    log = Logger(os.path.join(run_dir, "train_log.jsonl"), quiet)
    with atomic_output(os.path.join(run_dir, "config.yaml")) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(dump(cfg))

    torch.manual_seed(tc["seed"])
    model = FSDDIMNet(cfg["model"]).to(dev)
    if tc["channels_last"]:
        model.memory_format = torch.channels_last
    scales = None
    start = 0
    start_point = {"kind": "random initialisation", "seed": tc["seed"]}
    if os.path.exists(ckpt_path):
        ck = read_checkpoint_raw(ckpt_path)
        if ck["config"]["model"] != cfg["model"]:
            raise FsddimError(f"{ckpt_path}: was trained with another model config; use another --run directory")
        model.load_state_dict(ck["model"])
        start = ck["iteration"]
        scales = ck.get("scales")
        resume_ck = ck
    else:
        resume_ck = None
        if qat or init_from:
            # QAT from the float phase; a float run from another checkpoint's weights, such as its ANN twin's
            # (the same graph with ReLU: the same parameters, docs/model.md#sample-efficiency)
            src = init_from or os.path.join(run_dir, "float.pt")
            base = load_checkpoint(src)
            if not qat and base["phase"] != "float":
                raise FsddimError(f"{src}: a float run starts from a float checkpoint, this one is '{base['phase']}'")
            if _weights_config(base["config"]["model"], qat) != _weights_config(cfg["model"], qat):
                raise FsddimError(f"{src}: its model config differs from this config's"
                                  + ("" if qat else " (beyond model.neuron and model.snn_timesteps)"))
            model.load_state_dict(base["model"].state_dict())
            start_point = {"kind": "checkpoint", "path": os.path.abspath(src), "phase": base["phase"],
                           "iteration": base["iteration"], "neuron": base["config"]["model"]["neuron"],
                           "lineage": base["raw"].get("lineage")}
    ema = copy.deepcopy(model) if pc["ema_decay"] > 0 else None
    if resume_ck is not None and ema is not None and resume_ck.get("ema") is not None:
        ema.load_state_dict(resume_ck["ema"])
    opt = torch.optim.Adam(model.parameters(), lr=pc["lr"])
    if resume_ck is not None and resume_ck.get("optimizer") is not None:
        opt.load_state_dict(resume_ck["optimizer"])

    images, _ = data.load("train")
    if tc["subset"]:
        images = images[: tc["subset"]]
    batches = data.Batches(images, cfg["model"]["image_size"], pc["batch_size"], tc["seed"] + (17 if qat else 0), dev)
    sched = diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
    tables = sched.tables(torch.float32, dev)

    if qat and scales is None:
        g = torch.Generator().manual_seed(tc["seed"] + 99)
        calib = data.to_model_range(images[: cfg["qat"]["calib_images"]], cfg["model"]["image_size"]).to(dev)
        scales = calibrate(model, calib, sched, cfg, g)
    if qat:
        model.eval()          # tdBN frozen (running statistics), folded into the weights each step
        if ema is not None:
            ema.eval()
    else:
        model.train()

    teacher = None
    if not qat and tc["distill_from"]:
        tk = load_checkpoint(tc["distill_from"])   # EMA weights, eval mode
        if _weights_config(tk["config"]["model"], False) != _weights_config(cfg["model"], False):
            raise FsddimError(f"train.distill_from: {tc['distill_from']}: the teacher's model config differs from this "
                              "config's beyond model.neuron and model.snn_timesteps")
        teacher = tk["model"].to(dev)
        for p_ in teacher.parameters():
            p_.requires_grad_(False)
    lam = pc["synops_lambda"]
    count_synops = model.spiking    # logged for every spiking run, so that arms with and without lambda compare
    if count_synops:
        fanout = synops.fanout_maps(model)
        synops_scale = synops.max_synops_per_call(model, fanout)

    iters = pc["iterations"]
    n_params = count_parameters(model)
    if start == 0:
        log({"event": "start", "phase": phase, "params": n_params, "device": str(dev), "iterations": iters},
            f"[{phase}] {cfg.get('name')} {cfg['model']['neuron']} T={model.T}: {n_params} parameters on {dev}, {iters} iterations")
    else:
        log({"event": "resume", "phase": phase, "iteration": start}, f"[{phase}] resuming at iteration {start}")

    if resume_ck is not None and resume_ck.get("lineage") is None:
        # a checkpoint from before lineage was recorded: count from here, and say so
        start_point = {"kind": "checkpoint without lineage (earlier iterations not counted)", "path": os.path.abspath(ckpt_path),
                       "iteration": start}
    lineage0 = _phase_lineage(resume_ck.get("lineage") if resume_ck is not None else None, start_point)

    def lineage_at(it):
        lineage = copy.deepcopy(lineage0)
        lineage["images_seen"] += (it - start) * batches.batch_size
        lineage["iterations"] = it
        lineage["cpu_hours"] += (_cpu_seconds() - cpu0) / 3600.0
        lineage["wall_hours"] += (time.time() - wall0) / 3600.0
        lineage["sessions"] = lineage0["sessions"] + 1
        if str(dev) not in lineage["devices"]:
            lineage["devices"].append(str(dev))
        return lineage

    def save(it):
        lineage = lineage_at(it)
        atomic_save({"format": CKPT_FORMAT, "version": CKPT_VERSION, "config": cfg, "phase": phase, "iteration": it,
                     "model": _cpu_state(model), "ema": _cpu_state(ema) if ema is not None else None,
                     "optimizer": opt.state_dict(), "scales": scales, "lineage": lineage}, ckpt_path)
        write_lineage(run_dir, phase, lineage)

    if bn_batches:
        if qat or start:
            raise FsddimError(f"--bn-calibrate: only for a new float run ({ckpt_path} exists or --qat given)")
        calibrate_batch_norm(model, batches, tables, sched.timesteps, bn_batches, tc["seed"])
        if ema is not None:
            ema.load_state_dict(model.state_dict())
        save(0)
        log({"event": "bn_calibrated", "phase": phase, "batches": bn_batches, "batch_size": batches.batch_size},
            f"[{phase}] untrained weights, batch-norm statistics from {bn_batches} batches of {batches.batch_size}: {ckpt_path}")
        return ckpt_path

    t0 = time.time()
    last_t, last_it = t0, start
    run_loss = None
    it = start
    stopped = "done"
    while it < iters:
        x0 = batches.batch(it)
        g = torch.Generator().manual_seed(tc["seed"] * 7919 + it + (10 ** 7 if qat else 0))
        t = torch.randint(0, sched.timesteps, (x0.shape[0],), generator=g).to(dev)
        noise = torch.randn(x0.shape, generator=g).to(dev)
        x_t = tables[0][t].view(-1, 1, 1, 1) * x0 + tables[1][t].view(-1, 1, 1, 1) * noise
        counts = {} if count_synops else None
        out = forward_chip(model, scales, x_t, t, spike_counts=counts) if qat else model(x_t, t, spike_counts=counts)
        loss, l_img, l_rec = diffusion.losses(out, x0, noise, t, tables, cfg["diffusion"]["recons_loss"])
        if count_synops:
            # the fraction of the synaptic operations a call could cost that it does cost, mean over the batch
            with torch.set_grad_enabled(bool(lam)):
                l_syn = synops.synops_per_call(counts, fanout).mean() / synops_scale
            if lam:
                loss = loss + lam * l_syn
        if teacher is not None:
            with torch.no_grad():
                target = teacher(x_t, t).mean(0)
            l_dist = distill_loss(out, target, t, tables)
            loss = loss + tc["distill_weight"] * l_dist
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if ema is not None:
            _ema_update(ema, model, pc["ema_decay"], it)   # it counts this phase's iterations (QAT from 0)
        it += 1
        lv = float(loss.detach())
        run_loss = lv if run_loss is None else 0.98 * run_loss + 0.02 * lv
        if it % tc["log_every"] == 0 or it == iters:
            now = time.time()
            rate = (it - last_it) / max(now - last_t, 1e-9)
            last_t, last_it = now, it
            eta = (iters - it) / max(rate, 1e-9)
            log({"event": "progress", "phase": phase, "iteration": it, "loss": lv, "loss_smooth": run_loss,
                 "l_img": float(l_img), "l_recons": float(l_rec), "it_per_s": rate, "elapsed_s": now - t0,
                 **({"synops_fraction": float(l_syn)} if count_synops else {}),
                 **({"l_distill": float(l_dist)} if teacher is not None else {})},
                f"[{phase}] it {it}/{iters} loss {lv:.4f} (smoothed {run_loss:.4f}, img {float(l_img):.4f}, "
                f"recons {float(l_rec):.4f}) {rate:.2f} it/s, eta {eta / 60:.1f} min")
        if it % tc["checkpoint_every"] == 0 and it < iters:
            save(it)
        if snapshot_every and it % snapshot_every == 0:
            snap = ema if ema is not None else model
            atomic_save({"format": CKPT_FORMAT, "version": CKPT_VERSION, "config": cfg, "phase": phase, "iteration": it,
                         "model": _cpu_state(snap), "ema": None, "scales": scales, "lineage": lineage_at(it)},
                        os.path.join(run_dir, "snapshots", f"{phase}_{it:07d}.pt"))
        if deadline_s and time.time() - t0 > deadline_s:
            stopped = "deadline"
            break
    save(it)
    log({"event": "end", "phase": phase, "iteration": it, "stopped": stopped, "elapsed_s": time.time() - t0},
        f"[{phase}] stopped at iteration {it} ({stopped}), checkpoint {ckpt_path}")
    return ckpt_path


@tool_main("fsddim.train")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="small", help="preset name (tiny, small, paper) or YAML path")
    ap.add_argument("--run", required=True, help="run directory (checkpoints, log, effective config)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key (YAML value)")
    ap.add_argument("--qat", action="store_true", help="quantization-aware fine-tuning from RUN/float.pt (or --init)")
    ap.add_argument("--init", help="float checkpoint to start from: QAT's (default RUN/float.pt), or a new float run's "
                                   "weights, e.g. its ANN twin's (model.neuron and snn_timesteps may differ)")
    ap.add_argument("--deadline-s", type=float, default=0.0, help="stop (with a checkpoint) after this many seconds")
    ap.add_argument("--snapshot-every", type=int, default=0, help="also keep EMA snapshots every N iterations")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: all cores)")
    ap.add_argument("--bn-calibrate", type=int, default=0, metavar="N",
                    help="no training: save the initial weights with batch-norm statistics from N batches (an untrained "
                         "network with normalised activity, for chip cost estimates of presets too large to train here)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    cfg = load_config(a.config, a.set)
    train(cfg, a.run, qat=a.qat, deadline_s=a.deadline_s, snapshot_every=a.snapshot_every, quiet=a.quiet, init_from=a.init,
          bn_batches=a.bn_calibrate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
