"""Export a (QAT) checkpoint to the spikemesh network file: the trained graph, all delays 0, bias_start 0.

  cd model && /usr/bin/python3 -m fsddim.export CHECKPOINT OUT.h5

Populations: `x` (graded input, payload_bits / payload_frac_bits), one CUBA population per LIF layer
(du = 4095: u is this step's input; dv = 819: decay (4096 - 819) / 4096; vth_mant per neuron), and the
readout `out` (du = 4095; its current u2 is the v-prediction in Q.readout_frac_bits). Blocks' first
convolutions carry the time embedding as bias tables (contexts = the 1000 diffusion steps, phases = the
SNN timesteps, one column per channel). /metadata holds the preset, the training config, metrics, the
integer DDIM tables and what the fixed-point sampler needs, and `fsddim_expected_synops_json`: the expected
synaptic operations per generated image at each DDIM step count S (fsddim/synops.py: a float run of the
checkpoint's weights from a fixed seed, eval.seed; --synops-images, --synops-steps).
`spikemesh balance` then adds the delays.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys

import numpy as np
import torch

from . import diffusion
from .config import dump
from .errors import FsddimError, tool_main
from .lif import CHIP_DV
from .netfile import Network, Population, Projection, write
from .quant import (BIAS_MANT_MAX, BIAS_MANT_MIN, bias_real, lower, quantize_weight, time_spikes_all)


@torch.no_grad()
def context_times(timesteps, steps):
    """The diffusion steps whose time embedding DDIM sampling with any of `steps` (S values) needs, sorted."""
    return sorted({t for S in steps for t, _ in diffusion.ddim_times(timesteps, S)})


def build_network(model, scales, cfg, extra_attrs=None, steps=None):
    """The network file content (netfile.Network) of a model with calibrated scales; deterministic.
    steps: keep the time-embedding bias tables of only the DDIM times these step counts S visit
    (/metadata/ddim_context_times); None: every diffusion step, so S is free at run time."""
    model = copy.deepcopy(model).to("cpu").double().eval()
    pops_l = lower(model)
    sched = diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
    if steps:
        for S in steps:
            if not 1 <= S <= sched.timesteps:
                raise FsddimError(f"--steps {S}: expected 1..{sched.timesteps}")
        times = context_times(sched.timesteps, steps)
        ts_all = model.time_spikes(torch.tensor(times, dtype=torch.long))   # (T, K', D)
    else:
        times = None
        ts_all = time_spikes_all(model, sched.timesteps)             # (T, K, D)
    m = cfg["model"]
    res = m["image_size"]
    pb, pf = int(scales["payload_bits"]), int(scales["payload_frac_bits"])
    pops = [Population("x", "input", (m["in_channels"], res, res), {}, payload_bits=pb, payload_frac_bits=pf)]
    projs = []
    clipped_bias = 0
    for lp in pops_l:
        vth_mant = scales[f"vth_mant/{lp.name}"].long().numpy()
        be = scales[f"bias_exp/{lp.name}"].long().numpy()
        vth = torch.tensor(vth_mant * 64, dtype=torch.float64)
        hw = lp.res * lp.res
        neuron = {"du": np.int64(4095), "dv": np.int64(CHIP_DV if lp.kind == "cuba" else 0),
                  "vth_mant": np.repeat(vth_mant, hw), "bias_exp": np.repeat(be, hw)}
        b = bias_real(lp, ts_all)                                   # (T, K, C) or (C,)
        b_int = b * vth
        mant = torch.round(b_int / torch.pow(2.0, torch.tensor(be, dtype=torch.float64)))
        clipped_bias += int(((mant < BIAS_MANT_MIN) | (mant > BIAS_MANT_MAX)).sum())
        mant = mant.clamp(BIAS_MANT_MIN, BIAS_MANT_MAX).long().numpy()
        table = None
        if b.dim() > 1:
            table = np.ascontiguousarray(mant.transpose(1, 0, 2))   # (K, P = T, C)
        else:
            neuron["bias_mant"] = np.repeat(mant, hw)
        pops.append(Population(lp.name, lp.kind, (lp.c, lp.res, lp.res), neuron, table))
        for pr in lp.projs:
            w_int = pr.weight * (vth.view(-1, 1, 1, 1) if pr.encoding == "conv" else vth)
            j, e, _ = quantize_weight(w_int)
            mant_w = (2 * j).long().numpy()
            if pr.encoding == "one_to_one":
                mant_w = np.repeat(mant_w, hw)
            p = Projection(pr.name, pr.src, pr.dst, pr.encoding, mant_w, int(e), 8, "mixed", 0)
            if pr.encoding == "conv":
                p.stride, p.padding, p.upsample = (pr.stride, pr.stride), (pr.pad, pr.pad), pr.upsample
            projs.append(p)
    a_q30, s_q30 = diffusion.fixed_tables(sched)
    attrs = {
        "fsddim_preset": cfg.get("name", "custom"),
        "fsddim_config_yaml": dump(cfg),
        "input_population": "x",
        "readout_population": "out",
        "snn_timesteps": int(model.T),
        "diffusion_timesteps": int(sched.timesteps),
        "readout_frac_bits": int(scales["readout_frac_bits"]),
        "ddim_table_frac_bits": diffusion.TABLE_FRAC_BITS,
        "ddim_coeff_frac_bits": int(cfg["qat"]["coeff_frac_bits"]),
        "ddim_sampler": ("x_prev = round((A*x*2^R + B*o*2^P) / 2^(F+R)) per SNN timestep, saturated to payload_bits; "
                         "A = round((a_p*a_t + s_p*s_t) / 2^(60-F)), B = round((s_p*a_t - a_p*s_t) / 2^(60-F)); a, s from "
                         "ddim_sqrt_alpha_bar_q30 / ddim_sqrt_one_minus_alpha_bar_q30 (Q1.30), (a_p, s_p) = (2^30, 0) at the "
                         "last step; x: input payloads (P = payload_frac_bits), o: readout currents (R = readout_frac_bits), "
                         "F = ddim_coeff_frac_bits; steps (t, t_prev) = reversed(int(linspace(-1, timesteps-1, S+1)))"),
        "context_meaning": ("bias-table context k = diffusion step t (0..timesteps-1); phase = SNN timestep" if times is None else
                            "bias-table context k = diffusion step ddim_context_times[k]; phase = SNN timestep"),
        "clipped_bias_mantissas": int(clipped_bias),
    }
    attrs.update(extra_attrs or {})
    arrays = {"ddim_sqrt_alpha_bar_q30": a_q30, "ddim_sqrt_one_minus_alpha_bar_q30": s_q30}
    if times is not None:
        arrays["ddim_context_times"] = np.asarray(times, dtype=np.int64)
    return Network(pops, projs, attrs, arrays, producer="fsddim.export")


SYNOPS_IMAGES = 16    # images of the float run behind fsddim_expected_synops_json (seconds for `small` per S)


def export_checkpoint(ckpt_path, out_path, metrics_path=None, steps=None, synops_images=SYNOPS_IMAGES, synops_steps=None):
    """synops_steps: the S values of the expected-synops estimate (default: steps, else the config's eval.steps);
    synops_images = 0 leaves it out."""
    from .synops import expected_synops
    from .train import load_checkpoint
    ck = load_checkpoint(ckpt_path)
    if ck.get("scales") is None:
        raise FsddimError(f"{ckpt_path}: no quantization scales: export a QAT checkpoint (fsddim.train --qat)")
    model = ck["model"]
    extra = {"fsddim_checkpoint_iteration": int(ck.get("iteration", 0)), "fsddim_phase": ck.get("phase", "")}
    if metrics_path:
        try:
            with open(metrics_path, "r", encoding="utf-8") as f:
                extra["fsddim_metrics_json"] = json.dumps(json.load(f), sort_keys=True)
        except (OSError, json.JSONDecodeError) as e:
            raise FsddimError(f"{metrics_path}: cannot read metrics JSON: {e}") from None
    if synops_images:
        est = expected_synops(model, ck["config"], synops_steps or steps or ck["config"]["eval"]["steps"], synops_images,
                              ck["config"]["eval"]["seed"])
        extra["fsddim_expected_synops_json"] = json.dumps(est, sort_keys=True)
    net = build_network(model, ck["scales"], ck["config"], extra, steps)
    write(net, out_path)
    return net


@tool_main("fsddim.export")
def main(argv=None):
    ap = argparse.ArgumentParser(prog="fsddim.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--metrics", help="metrics JSON to store in /metadata")
    ap.add_argument("--steps", type=int, nargs="+", metavar="S",
                    help="keep only the time embeddings these DDIM step counts need (smaller file; S fixed to these)")
    ap.add_argument("--synops-images", type=int, default=SYNOPS_IMAGES, metavar="N",
                    help="images of the float run that estimates the synaptic operations per image (0: no estimate)")
    ap.add_argument("--synops-steps", type=int, nargs="+", metavar="S",
                    help="DDIM step counts of that estimate (default: --steps, else the config's eval.steps)")
    a = ap.parse_args(argv)
    if a.synops_images < 0:
        raise FsddimError(f"--synops-images {a.synops_images}: expected 0 or more")
    net = export_checkpoint(a.checkpoint, a.out, a.metrics, a.steps, a.synops_images, a.synops_steps)
    n_syn = sum(int(np.prod(p.weights.shape)) for p in net.projections)
    print(f"wrote {a.out}: {len(net.populations)} populations, {len(net.projections)} projections, {n_syn} weight entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
