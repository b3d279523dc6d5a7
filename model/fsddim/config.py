"""Presets: every parameter declared once with its type, default and meaning; YAML files override them.

A preset file (configs/fsddim/<name>.yaml) holds the sections below; absent keys take the defaults,
unknown keys and wrong types are errors naming the file and the key path. `load_config` returns a plain
nested dict (the effective configuration), which is what checkpoints and exported files record.
"""
from __future__ import annotations

import copy
import math
import os
import re

import yaml

from .errors import FsddimError

# (type, default, description). Types: int, float, bool, str, "ints" (list of int), "choice:a|b".
# The published values the descriptions quote ("the paper: ...") and their sources: docs/sources.md#fsddim.
SCHEMA = {
    "name": ("str", "custom", "preset name, recorded in checkpoints and exported files"),
    "model": {
        "image_size": ("int", 28, "input side in pixels (Fashion-MNIST is 28; 32 resizes like the paper)"),
        "in_channels": ("int", 1, "image channels"),
        "base_channels": ("int", 32, "channels of the first level (the paper: 128)"),
        "channel_mult": ("ints", [1, 2, 2], "channel multiplier per level (the paper: 1, 2, 3, 4)"),
        "num_res_blocks": ("int", 2, "residual blocks per level (the paper: 2)"),
        "snn_timesteps": ("int", 4, "SNN timesteps T per network call (the paper: 8 or 4)"),
        "neuron": ("choice:lif|relu", "lif", "lif: the spiking model; relu: its ANN twin (no time dimension)"),
        "tau": ("float", 0.8, "LIF decay factor of the membrane (not a time constant)"),
        "vth": ("float", 1.0, "LIF threshold (strict >), hard reset to 0"),
        "surrogate_width": ("float", 0.5, "triangle surrogate half-width aa: ds/du = max(0, 1-|u-vth|/aa)/(2aa)"),
        "activate_first_conv": ("bool", False, "published option: the first 3x3 conv gets tdBN + LIF (spiking)"),
        "spike_up_down": ("bool", False, "published option: down/up-sampling convs get tdBN + LIF (spiking)"),
        "real_paths": ("choice:fold|published", "fold",
                       "fold: real-valued paths are linear maps that fold exactly into chip projections "
                       "(chip-native); published: the published 3x3 real convs (float only, not exportable)"),
        "sinusoidal_dim": ("int", 32, "sinusoidal time-embedding width (the paper: 128)"),
        "time_embed_dim": ("int", 128, "time-embedding MLP width (the paper: 512)"),
    },
    "diffusion": {
        "timesteps": ("int", 1000, "diffusion steps of the cosine schedule"),
        "cosine_s": ("float", 0.008, "cosine schedule offset s"),
        "recons_loss": ("bool", True, "temporal-consistency (SCL) loss weighted by r(t) as the reference code"),
    },
    "train": {
        "seed": ("int", 0, "seed for weights, data order and noise"),
        "batch_size": ("int", 128, "images per iteration"),
        "lr": ("float", 1.0e-3, "Adam learning rate (the paper: 1e-3 for Fashion-MNIST, constant)"),
        "iterations": ("int", 20000, "training iterations"),
        "ema_decay": ("float", 0.999, "EMA of weights used for sampling (0 disables; not in the published code)"),
        "log_every": ("int", 50, "iterations between progress lines"),
        "checkpoint_every": ("int", 500, "iterations between checkpoints (and EMA snapshots when requested)"),
        "subset": ("int", 0, "use only the first N training images (0: all 60000)"),
        "device": ("str", "auto", "auto (cuda if available), cpu or cuda"),
        "channels_last": ("bool", True, "activations in channels-last layout during training (the CPU's oneDNN "
                          "convolutions then run without reordering; changes results by float rounding only)"),
        "synops_lambda": ("float", 0.0, "energy-aware training: loss += lambda * the expected chip synaptic operations "
                          "of the call / those if every neuron spiked every timestep (synops.py; the float phase; "
                          "0: unregularised)"),
        "distill_from": ("str", "", "a teacher checkpoint (typically the ANN twin's, model.neuron: relu) whose EMA "
                         "v-prediction the float phase also fits: loss += distill_weight * alpha_bar_t * "
                         "mean_pix((mean_T out - teacher)^2) (docs/model.md#sample-efficiency; '' : none)"),
        "distill_weight": ("float", 1.0, "weight of the distillation term when distill_from is set"),
    },
    "qat": {
        "iterations": ("int", 1000, "quantization-aware fine-tuning iterations"),
        "lr": ("float", 1.0e-4, "Adam learning rate for QAT"),
        "batch_size": ("int", 128, "images per QAT iteration"),
        "ema_decay": ("float", 0.99, "EMA of the QAT weights (0 disables)"),
        "synops_lambda": ("float", 0.0, "the synaptic-operation regulariser of train.synops_lambda in the QAT phase, "
                          "on the chip-domain forward's spikes (energy-aware fine-tuning of a trained model; 0: none)"),
        "calib_images": ("int", 256, "images used to calibrate per-channel scales"),
        "headroom_bits": ("int", 2, "q stays below 2^(21 - headroom_bits) on calibration data"),
        "payload_bits": ("int", 16, "graded input payload width (two's complement)"),
        "payload_frac_bits": ("int", 12, "fractional bits of the input payload"),
        "coeff_frac_bits": ("int", 24, "fractional bits of the fixed-point DDIM coefficients"),
    },
    "eval": {
        "num_samples": ("int", 1000, "generated images per FID"),
        "steps": ("ints", [10, 20, 50], "DDIM step counts S to evaluate"),
        "batch_size": ("int", 500, "images per sampling batch"),
        "seed": ("int", 1234, "seed of the initial noise"),
    },
}


_YAML12_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _check(kind, value, where):
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        if isinstance(value, str) and _YAML12_FLOAT.fullmatch(value.strip()):
            value = float(value)   # YAML 1.1 (PyYAML) reads 3e-4 as a string; YAML 1.2 and users read a number
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok:
            value = float(value)
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str":
        ok = isinstance(value, str)
    elif kind == "ints":
        ok = isinstance(value, list) and len(value) > 0 and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif kind.startswith("choice:"):
        choices = kind[len("choice:"):].split("|")
        if value not in choices:
            raise FsddimError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        ok = True
    else:  # pragma: no cover - schema bug
        raise AssertionError(kind)
    if not ok:
        expect = {"ints": "a non-empty list of integers"}.get(kind, f"a {kind}")
        raise FsddimError(f"{where}: expected {expect}, got {value!r}")
    return value


def defaults(schema=SCHEMA):
    out = {}
    for k, v in schema.items():
        out[k] = defaults(v) if isinstance(v, dict) else copy.deepcopy(v[1])
    return out


def _merge(base, over, schema, where):
    if not isinstance(over, dict):
        raise FsddimError(f"{where}: expected a mapping, got {type(over).__name__}")
    for k, v in over.items():
        key = f"{where}.{k}" if where else str(k)
        if k not in schema:
            raise FsddimError(f"{key}: unknown key (known: {', '.join(schema)})")
        if isinstance(schema[k], dict):
            _merge(base[k], v, schema[k], key)
        else:
            base[k] = _check(schema[k][0], v, key)


def validate(cfg, where="config"):
    """Range checks that a type check cannot make; raises FsddimError naming the key."""
    m, q = cfg["model"], cfg["qat"]
    def need(cond, key, what):
        if not cond:
            raise FsddimError(f"{where}: {key}: {what}")
    need(m["image_size"] % (2 ** (len(m["channel_mult"]) - 1)) == 0, "model.image_size",
         f"must be divisible by 2^(levels-1) = {2 ** (len(m['channel_mult']) - 1)}")
    need(m["base_channels"] >= 1 and all(c >= 1 for c in m["channel_mult"]), "model.channel_mult", "positive values expected")
    need(m["num_res_blocks"] >= 1, "model.num_res_blocks", "at least 1")
    need(m["snn_timesteps"] >= 1, "model.snn_timesteps", "at least 1")
    need(m["sinusoidal_dim"] >= 4 and m["sinusoidal_dim"] % 2 == 0, "model.sinusoidal_dim", "an even number >= 4")
    need(0.0 < m["tau"] < 1.0, "model.tau", "in (0, 1)")
    need(cfg["diffusion"]["timesteps"] >= 2, "diffusion.timesteps", "at least 2")
    need(1 <= q["payload_bits"] <= 24, "qat.payload_bits", "1..24 (the chip's graded payload)")
    need(0 <= q["payload_frac_bits"] <= q["payload_bits"], "qat.payload_frac_bits", "0..payload_bits")
    need(0 <= q["headroom_bits"] <= 10, "qat.headroom_bits", "0..10")
    need(8 <= q["coeff_frac_bits"] <= 28, "qat.coeff_frac_bits", "8..28")
    need(all(s >= 1 for s in cfg["eval"]["steps"]), "eval.steps", "positive step counts")
    need(all(s <= cfg["diffusion"]["timesteps"] for s in cfg["eval"]["steps"]), "eval.steps", "at most diffusion.timesteps")
    need(cfg["train"]["batch_size"] >= 2, "train.batch_size", "at least 2 (batch norm)")
    need(cfg["train"]["distill_weight"] >= 0.0, "train.distill_weight", "a non-negative weight")
    need(cfg["train"]["synops_lambda"] >= 0.0, "train.synops_lambda", "a non-negative weight")
    need(q["synops_lambda"] >= 0.0, "qat.synops_lambda", "a non-negative weight")
    return cfg


def config_dir():
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "configs", "fsddim")


def resolve_path(name_or_path):
    """A preset name (tiny, small, paper) or a path to a YAML file."""
    if os.path.exists(name_or_path):
        return name_or_path
    p = os.path.join(config_dir(), name_or_path + ".yaml")
    if os.path.exists(p):
        return p
    known = sorted(f[:-5] for f in os.listdir(config_dir()) if f.endswith(".yaml")) if os.path.isdir(config_dir()) else []
    raise FsddimError(f"{name_or_path}: no such config file or preset (presets in {config_dir()}: {', '.join(known)})")


def from_dict(d, where="config"):
    cfg = defaults()
    _merge(cfg, d if d is not None else {}, SCHEMA, "")
    return validate(cfg, where)


def load_config(name_or_path, overrides=None):
    """Loads a preset or YAML file; `overrides` is a list of 'a.b=value' strings (YAML values)."""
    path = resolve_path(name_or_path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            raw = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise FsddimError(f"{path}: not valid YAML: {e}") from None
    except OSError as e:
        raise FsddimError(f"{path}: cannot read: {e.strerror}") from None
    cfg = defaults()
    try:
        _merge(cfg, raw if raw is not None else {}, SCHEMA, "")
    except FsddimError as e:
        raise FsddimError(f"{path}: {e}") from None
    for o in overrides or []:
        if "=" not in o:
            raise FsddimError(f"--set {o}: expected key.path=value")
        key, val = o.split("=", 1)
        node = {}
        cur = node
        parts = key.split(".")
        for p in parts[:-1]:
            cur[p] = {}
            cur = cur[p]
        try:
            cur[parts[-1]] = yaml.safe_load(val)
        except yaml.YAMLError as e:
            raise FsddimError(f"--set {o}: value is not valid YAML: {e}") from None
        try:
            _merge(cfg, node, SCHEMA, "")
        except FsddimError as e:
            raise FsddimError(f"--set {o}: {e}") from None
    return validate(cfg, path)


def dump(cfg):
    return yaml.safe_dump(cfg, sort_keys=True, default_flow_style=None)


def describe(schema=SCHEMA, prefix=""):
    """Lines 'key (type, default): description' for --help and the docs."""
    lines = []
    for k, v in schema.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            lines += describe(v, key + ".")
        else:
            lines.append(f"{key} ({v[0]}, default {v[1]!r}): {v[2]}")
    return lines
