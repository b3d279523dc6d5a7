"""A short training run on a tiny subset lowers the loss; resume continues where it stopped."""
import copy
import json
import os

import torch

from fsddim import data, diffusion
from fsddim.config import load_config
from fsddim.net import FSDDIMNet
from fsddim.train import load_checkpoint, train


def fixed_batch_loss(model, cfg, n=64):
    images, _ = data.load("train")
    x0 = data.to_model_range(images[-n:], cfg["model"]["image_size"])
    g = torch.Generator().manual_seed(123)
    t = torch.randint(0, 1000, (n,), generator=g)
    noise = torch.randn(x0.shape, generator=g)
    sched = diffusion.Schedule()
    tables = sched.tables()
    x_t = tables[0][t].view(-1, 1, 1, 1) * x0 + tables[1][t].view(-1, 1, 1, 1) * noise
    m = copy.deepcopy(model).train()          # batch statistics: comparable before and after
    with torch.no_grad():
        return float(diffusion.losses(m(x_t, t), x0, noise, t, tables)[0])


def test_short_training_lowers_the_loss(tmp_path):
    torch.set_num_threads(1)
    cfg = load_config("tiny", ["train.iterations=80", "train.subset=256", "train.device=cpu", "train.ema_decay=0.0"])
    torch.manual_seed(cfg["train"]["seed"])
    before = fixed_batch_loss(FSDDIMNet(cfg["model"]), cfg)
    train(cfg, str(tmp_path), quiet=True)
    after = fixed_batch_loss(load_checkpoint(str(tmp_path / "float.pt"), use_ema=False)["model"], cfg)
    assert after < 0.7 * before, (before, after)
    log = [json.loads(line) for line in open(tmp_path / "train_log.jsonl")]
    assert log[0]["event"] == "start" and log[-1]["event"] == "end" and log[-1]["iteration"] == 80


def test_resume_continues_from_the_checkpoint(tmp_path):
    torch.set_num_threads(1)
    cfg = load_config("tiny", ["train.iterations=6", "train.subset=64", "train.device=cpu", "train.checkpoint_every=3"])
    train(cfg, str(tmp_path), quiet=True)
    cfg2 = load_config("tiny", ["train.iterations=9", "train.subset=64", "train.device=cpu", "train.checkpoint_every=3"])
    train(cfg2, str(tmp_path), quiet=True)
    assert load_checkpoint(str(tmp_path / "float.pt"))["iteration"] == 9
    events = [json.loads(line)["event"] for line in open(tmp_path / "train_log.jsonl")]
    assert "resume" in events


def test_same_config_and_seed_give_the_same_exported_bytes(tmp_path):
    import hashlib
    from fsddim.export import export_checkpoint
    torch.set_num_threads(1)
    cfg = load_config("tiny", ["train.iterations=6", "qat.iterations=3", "train.subset=64", "train.device=cpu"])
    digests = []
    for k in range(2):
        run = str(tmp_path / f"run{k}")
        train(cfg, run, quiet=True)
        train(cfg, run, qat=True, quiet=True)
        export_checkpoint(os.path.join(run, "qat.pt"), os.path.join(run, "net.h5"))
        digests.append(hashlib.sha256(open(os.path.join(run, "net.h5"), "rb").read()).hexdigest())
    assert digests[0] == digests[1]


def test_bn_calibration_gives_each_batch_norm_the_statistics_of_its_inputs(tmp_path):
    """--bn-calibrate: no weight changes; each BatchNorm's running mean/var are the cumulative average of
    the batch statistics of its inputs over the calibration batches (here one batch: exactly that batch's)."""
    import torch.nn as nn
    from fsddim.train import calibrate_batch_norm
    torch.set_num_threads(1)
    cfg = load_config("tiny", ["train.subset=64", "train.device=cpu", "train.batch_size=16"])
    torch.manual_seed(cfg["train"]["seed"])
    init = FSDDIMNet(cfg["model"]).state_dict()
    path = train(cfg, str(tmp_path), quiet=True, bn_batches=1)
    ck = load_checkpoint(path)
    assert ck["iteration"] == 0
    model = ck["model"]
    state = model.state_dict()
    for k, v in init.items():
        if "running_" not in k and "num_batches" not in k:
            assert torch.equal(v, state[k]), k          # weights untouched
    # Replay the calibration batch through a train-mode copy, recording each BN's input statistics.
    images, _ = data.load("train")
    batches = data.Batches(images[:64], cfg["model"]["image_size"], 16, cfg["train"]["seed"])
    sched = diffusion.Schedule(cfg["diffusion"]["timesteps"], cfg["diffusion"]["cosine_s"])
    replay = FSDDIMNet(cfg["model"])
    replay.load_state_dict(init)
    if cfg["train"]["channels_last"]:
        replay.memory_format = torch.channels_last  # the layout training used: the same float sums, the same spikes
    seen = {}
    for name, m in replay.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            m.register_forward_hook(lambda mod, inp, out, name=name: seen.__setitem__(
                name, (inp[0].mean((0, 2, 3)), inp[0].var((0, 2, 3), unbiased=True))))
    calibrate_batch_norm(replay, batches, sched.tables(), sched.timesteps, 1, cfg["train"]["seed"])
    assert len(seen) >= 4
    for name, (mean, var) in seen.items():
        torch.testing.assert_close(state[name + ".running_mean"], mean, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(state[name + ".running_var"], var, rtol=1e-4, atol=1e-6)
        assert float(var.mean()) != 1.0            # not the initial statistics
