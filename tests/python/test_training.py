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
