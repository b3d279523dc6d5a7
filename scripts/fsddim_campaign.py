#!/usr/bin/python3
"""One-shot training campaign of the FSDDIM model (built for a single short GPU lease; runs on CPU too, slowly):
experiment orchestration around the model/fsddim tools, which it runs as child processes and imports.

  scripts/fsddim campaign --config small --out DIR --train-s 300 --qat-s 75
  /usr/bin/python3 scripts/fsddim_campaign.py --config small --out DIR ...     (the same)

1. Trains the variants in parallel processes for --train-s seconds each, keeping EMA snapshots every
   --snapshot-every iterations:
     snn  the chip-native default          ann  the ANN twin (ReLU, same graph and budget)
     afc  activate_first_conv = true       sud  spike_up_down = true
     pub  real_paths = published (float only)       t8/t2  T = 8 / 2
2. QAT of snn's last snapshot for --qat-s seconds, export to DIR/network.h5 (all delays 0).
3. Evaluation (FID / IS, see evaluate.py): snn (float), the exported network (fixed point, bit-exact
   arithmetic) and ann at every eval.steps, at the same iteration count; every ablation variant and snn
   at the ablation's last snapshot (equal iterations) at S = 20; real images for the floor.
Results: DIR/results.json; slim checkpoints (EMA weights only) and logs are packed into at most 8 files
in --pack-dir (the GPU lease returns only that many).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tarfile
import time

import torch

# The fsddim package lives in model/ of this checkout; training runs start there as `python3 -m fsddim.train`.
MODEL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "model")
if MODEL_DIR not in sys.path:
    sys.path.insert(0, MODEL_DIR)

from fsddim.config import load_config  # noqa: E402
from fsddim.evaluate import real_floor, sample_model, sample_network, save_grid, score  # noqa: E402
from fsddim.export import export_checkpoint  # noqa: E402
from fsddim.files import atomic_output  # noqa: E402
from fsddim.train import atomic_save, load_checkpoint, torch_load  # noqa: E402

VARIANTS = {
    "snn": [],
    "ann": ["model.neuron=relu"],
    "afc": ["model.activate_first_conv=true"],
    "sud": ["model.spike_up_down=true"],
    "pub": ["model.real_paths=published"],
    "t8": ["model.snn_timesteps=8"],
    "t2": ["model.snn_timesteps=2"],
}


def log(msg, path):
    line = f"[campaign {time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def snapshots(run):
    return sorted(glob.glob(os.path.join(run, "snapshots", "float_*.pt")))


def snap_at(run, it):
    p = os.path.join(run, "snapshots", f"float_{it:07d}.pt")
    return p if os.path.exists(p) else None


def last_iter(run):
    s = snapshots(run)
    return int(os.path.basename(s[-1])[6:13]) if s else 0


def slim(src, dst):
    ck = torch_load(src)
    if ck.get("ema") is not None:
        ck["model"], ck["ema"] = ck["ema"], None
    ck.pop("optimizer", None)
    atomic_save(ck, dst)


def pack(out, pack_dir, files, logf):
    """Slim checkpoints and logs into <= 8 files of <= 15 MiB in pack_dir."""
    if not pack_dir:
        return
    os.makedirs(pack_dir, exist_ok=True)
    limit = 15 * 2 ** 20
    for f in ("results.json", "network.h5"):
        p = os.path.join(out, f)
        if os.path.exists(p) and os.path.getsize(p) <= limit:
            subprocess.run(["cp", p, os.path.join(pack_dir, f)], check=False)
    with tarfile.open(os.path.join(pack_dir, "logs.tar.gz"), "w:gz") as tf:
        for p in sorted(glob.glob(os.path.join(out, "**", "*.jsonl"), recursive=True) +
                        glob.glob(os.path.join(out, "**", "*.log"), recursive=True) +
                        glob.glob(os.path.join(out, "**", "*.png"), recursive=True) +
                        glob.glob(os.path.join(out, "**", "config.yaml"), recursive=True)):
            tf.add(p, arcname=os.path.relpath(p, out))
    groups, cur, size = [], [], 0
    for p in files:
        if not os.path.exists(p):
            continue
        s = os.path.getsize(p)
        if cur and size + s > limit:
            groups.append(cur)
            cur, size = [], 0
        cur.append(p)
        size += s
    if cur:
        groups.append(cur)
    for i, g in enumerate(groups[:4]):
        with tarfile.open(os.path.join(pack_dir, f"ckpt{i}.tar"), "w") as tf:
            for p in g:
                tf.add(p, arcname=os.path.relpath(p, out))
    log(f"packed {sum(len(g) for g in groups[:4])} checkpoints into {min(4, len(groups))} tar files", logf)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim campaign", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="small")
    ap.add_argument("--out", required=True)
    ap.add_argument("--pack-dir", default="")
    ap.add_argument("--variants", default="snn,ann,afc,sud,pub,t8")
    ap.add_argument("--train-s", type=float, default=300)
    ap.add_argument("--ablation-train-s", type=float, default=0, help="training seconds of the ablation variants (default --train-s)")
    ap.add_argument("--ablation-iters", type=int, default=0,
                    help="instead: train the ablation variants and a fresh snn reference ('ref') to exactly this many "
                         "iterations, concurrently with the main evaluation")
    ap.add_argument("--main-from", default="", help="reuse snn_*.pt, ann_*.pt, qat.pt and network.h5 of an earlier campaign")
    ap.add_argument("--eval-T", type=int, nargs="*", default=[2, 8], help="also run the float snn at these T (S = 20)")
    ap.add_argument("--fixed-T", type=int, nargs="*", default=[], help="also run the fixed-point network at these T (S = 20)")
    ap.add_argument("--fixed-steps", type=int, nargs="*", default=None, help="S for the fixed-point model (default eval.steps)")
    ap.add_argument("--qat-s", type=float, default=75)
    ap.add_argument("--snapshot-every", type=int, default=250)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--ablation-samples", type=int, default=0)
    ap.add_argument("--ablation-steps", type=int, default=20)
    ap.add_argument("--total-s", type=float, default=0, help="skip evaluation steps that would start after this many seconds")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    logf = os.path.join(a.out, "campaign.log")
    t_start = time.time()
    cfg = load_config(a.config, a.set)
    variants = a.variants.split(",")
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS=str(a.threads))
    results = {"config": a.config, "overrides": a.set, "variants": {}, "evals": [], "argv": sys.argv[1:],
               "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"}
    slim_dir = os.path.join(a.out, "slim")
    os.makedirs(slim_dir, exist_ok=True)
    keep = []

    def save_results():
        with atomic_output(os.path.join(a.out, "results.json")) as tmp, open(tmp, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1, sort_keys=True)

    def time_left():
        return (a.total_s - (time.time() - t_start)) if a.total_s else 1e9

    def start_training(v, deadline, iters, name=None):
        name = name or v
        run = os.path.join(a.out, name)
        cmd = [sys.executable, "-m", "fsddim.train", "--config", a.config, "--run", run, "--quiet",
               "--deadline-s", str(deadline), "--snapshot-every", str(a.snapshot_every), "--threads", str(a.threads),
               "--set", f"train.iterations={iters}"]
        for s in a.set + VARIANTS[v]:
            cmd += ["--set", s]
        os.makedirs(run, exist_ok=True)
        p = subprocess.Popen(cmd, cwd=MODEL_DIR, env=env, stdout=open(os.path.join(run, "stdout.log"), "w"), stderr=subprocess.STDOUT)
        log(f"started {name}: {' '.join(cmd[3:])}", logf)
        return p

    ablations = [v for v in variants if v not in ("snn", "ann")]
    if a.main_from:
        import shutil
        for f in sorted(os.listdir(a.main_from)):
            if f.endswith(".pt") or f == "network.h5":
                shutil.copy(os.path.join(a.main_from, f), os.path.join(a.out if f == "network.h5" else slim_dir, f))
        snn_path = sorted(glob.glob(os.path.join(slim_dir, "snn_*.pt")))[-1]
        ann_path = sorted(glob.glob(os.path.join(slim_dir, "ann_*.pt")))[-1]
        n_main, ann_it = torch_load(snn_path)["iteration"], torch_load(ann_path)["iteration"]
        qck = torch_load(os.path.join(slim_dir, "qat.pt"))
        results["main_from"] = a.main_from
        log(f"reusing {snn_path} ({n_main}), {ann_path} ({ann_it}), qat.pt ({qck['iteration']}), network.h5", logf)
    else:
        # 1. training, all variants concurrently (ablations too unless --ablation-iters)
        procs = {}
        for v in variants if not a.ablation_iters else ["snn", "ann"]:
            dl = a.train_s if v in ("snn", "ann") or not a.ablation_train_s else a.ablation_train_s
            procs[v] = start_training(v, dl, 1000000)
        for v, p in procs.items():
            rc = p.wait()
            log(f"{v} exited {rc} at iteration {last_iter(os.path.join(a.out, v))}", logf)
            results["variants"][v] = {"iterations": last_iter(os.path.join(a.out, v)), "overrides": VARIANTS[v]}
        save_results()
        n_main = last_iter(os.path.join(a.out, "snn"))
        ann_it = n_main if snap_at(os.path.join(a.out, "ann"), n_main) else last_iter(os.path.join(a.out, "ann"))
        for v, it in (("snn", n_main), ("ann", ann_it)):
            p = snap_at(os.path.join(a.out, v), it)
            if p:
                slim(p, os.path.join(slim_dir, f"{v}_{it}.pt"))
        snn_path, ann_path = os.path.join(slim_dir, f"snn_{n_main}.pt"), os.path.join(slim_dir, f"ann_{ann_it}.pt")
        keep += [snn_path, ann_path]
        pack(a.out, a.pack_dir, keep, logf)
        # 2. QAT + export
        qrun = os.path.join(a.out, "qat")
        cmd = [sys.executable, "-m", "fsddim.train", "--config", a.config, "--run", qrun, "--qat", "--init",
               snap_at(os.path.join(a.out, "snn"), n_main), "--quiet", "--deadline-s", str(a.qat_s), "--threads", "8"]
        for s in a.set:
            cmd += ["--set", s]
        rc = subprocess.run(cmd, cwd=MODEL_DIR, env=dict(env, OMP_NUM_THREADS="8"), stdout=open(os.path.join(a.out, "qat.log"), "w"),
                            stderr=subprocess.STDOUT).returncode
        log(f"QAT exited {rc}", logf)
        slim(os.path.join(qrun, "qat.pt"), os.path.join(slim_dir, "qat.pt"))
        qck = torch_load(os.path.join(slim_dir, "qat.pt"))
        export_checkpoint(os.path.join(slim_dir, "qat.pt"), os.path.join(a.out, "network.h5"))
        log(f"exported network.h5 ({os.path.getsize(os.path.join(a.out, 'network.h5'))} bytes)", logf)
    keep.append(os.path.join(slim_dir, "qat.pt"))
    results["main_iterations"] = {"snn": n_main, "ann": ann_it}
    results["qat_iterations"] = qck["iteration"]
    save_results()
    pack(a.out, a.pack_dir, keep, logf)

    # ablations at a fixed iteration count, concurrently with the main evaluation
    abl_procs = {}
    if a.ablation_iters:
        for v in ablations + ["ref"]:
            abl_procs[v] = start_training("snn" if v == "ref" else v, max(30.0, time_left() - 60), a.ablation_iters, name=v)

    # 3. evaluation
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    seed = cfg["eval"]["seed"]
    net_path = os.path.join(a.out, "network.h5")

    def record(rec):
        rec["at_s"] = time.time() - t_start
        results["evals"].append(rec)
        save_results()
        log(json.dumps(rec, sort_keys=True), logf)

    def enough(what, need_s):
        if time_left() < need_s:
            log(f"skipped {what}: {time_left():.0f} s left", logf)
            results.setdefault("skipped", []).append(what)
            return False
        return True

    record({"model": "real_train", **real_floor(a.samples, device=dev)})
    snn, ann = load_checkpoint(snn_path), load_checkpoint(ann_path)
    for S in cfg["eval"]["steps"]:
        for name, ck in (("snn_float", snn), ("ann", ann)):
            t0 = time.time()
            imgs = sample_model(ck["model"], ck["config"], S, a.samples, seed, dev)
            record({"model": name, "iteration": ck["iteration"], "steps": S, "T": ck["model"].T, **score(imgs, dev),
                    "seconds": time.time() - t0})
            if S == 20:
                save_grid(imgs, os.path.join(a.out, f"samples_{name}_S20.png"))
    for S in (a.fixed_steps if a.fixed_steps is not None else cfg["eval"]["steps"]):
        if not enough(f"fixed S={S}", 20 + 1.5 * S):
            continue
        t0 = time.time()
        imgs = sample_network(net_path, S, a.samples, seed, dev, batch=1000)
        record({"model": "snn_fixed_point", "iteration": n_main, "qat_iterations": qck["iteration"], "steps": S,
                "T": snn["model"].T, **score(imgs, dev), "seconds": time.time() - t0})
        if S == 20:
            save_grid(imgs, os.path.join(a.out, "samples_fixed_S20.png"))
        pack(a.out, a.pack_dir, keep, logf)
    for Tp in a.eval_T:
        t0 = time.time()
        imgs = sample_model(snn["model"], snn["config"], 20, a.samples, seed, dev, T=Tp)
        record({"model": "snn_float", "iteration": n_main, "steps": 20, "T": Tp, "trained_T": snn["config"]["model"]["snn_timesteps"],
                **score(imgs, dev), "seconds": time.time() - t0})
    for Tp in a.fixed_T:
        if not enough(f"fixed T={Tp}", 60):
            continue
        t0 = time.time()
        imgs = sample_network(net_path, 20, a.samples, seed, dev, batch=1000, T=Tp)
        record({"model": "snn_fixed_point", "iteration": n_main, "qat_iterations": qck["iteration"], "steps": 20, "T": Tp,
                "trained_T": snn["config"]["model"]["snn_timesteps"], **score(imgs, dev), "seconds": time.time() - t0})
    pack(a.out, a.pack_dir, keep, logf)

    # ablations: each variant against snn at the same iteration count
    S, n_abl = a.ablation_steps, a.ablation_samples or a.samples
    for v, p in abl_procs.items():
        try:
            p.wait(timeout=max(1.0, time_left() - 30))
        except subprocess.TimeoutExpired:
            p.kill()
            log(f"{v} killed (time)", logf)
        results["variants"][v] = {"iterations": last_iter(os.path.join(a.out, v)), "overrides": VARIANTS["snn" if v == "ref" else v]}
    ref = "ref" if a.ablation_iters else "snn"
    for v in ablations:
        it = min(last_iter(os.path.join(a.out, v)), last_iter(os.path.join(a.out, ref)))
        p, q = snap_at(os.path.join(a.out, v), it), snap_at(os.path.join(a.out, ref), it)
        if not p or not q:
            log(f"ablation {v}: no matching snapshots at {it}", logf)
            continue
        for name, path in ((v, p), (f"snn@{v}", q)):
            if not enough(f"ablation {name}", 25):
                continue
            slim(path, os.path.join(slim_dir, f"{name.replace('@', '_at_')}_{it}.pt"))
            keep.append(os.path.join(slim_dir, f"{name.replace('@', '_at_')}_{it}.pt"))
            ck = load_checkpoint(path)
            t0 = time.time()
            imgs = sample_model(ck["model"], ck["config"], S, n_abl, seed, dev)
            record({"model": name, "iteration": it, "steps": S, "T": ck["model"].T, **score(imgs, dev), "seconds": time.time() - t0})
    results["total_s"] = time.time() - t_start
    save_results()
    pack(a.out, a.pack_dir, keep, logf)
    log("done", logf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
