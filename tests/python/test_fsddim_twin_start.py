"""Sample efficiency from the ANN twin (docs/model.md#sample-efficiency): a float SNN run that starts from the
twin's weights (--init), and distillation from a teacher's v-prediction (train.distill_from)."""
import json
import os

import pytest
import torch

from fsddim.config import load_config
from fsddim.errors import FsddimError
from fsddim.evaluate import checkpoint_description
from fsddim.train import distill_loss, load_checkpoint, read_checkpoint_raw, train

OVER = ["train.subset=64", "train.device=cpu", "train.checkpoint_every=1000", "train.batch_size=16"]


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """A tiny ANN twin (model.neuron: relu) trained for 3 iterations."""
    torch.set_num_threads(1)
    run = str(tmp_path_factory.mktemp("twin") / "ann")
    train(load_config("tiny", OVER + ["train.iterations=3", "model.neuron=relu"]), run, quiet=True)
    return os.path.join(run, "float.pt")


def test_a_float_run_starts_from_the_twins_ema_weights_and_counts_its_lineage(twin, tmp_path):
    run = str(tmp_path / "snn")
    train(load_config("tiny", OVER + ["train.iterations=0"]), run, init_from=twin, quiet=True)
    snn = read_checkpoint_raw(os.path.join(run, "float.pt"))
    ann = read_checkpoint_raw(twin)
    assert snn["iteration"] == 0
    for k, v in ann["ema"].items():  # the twin's EMA weights, the same parameter names and shapes
        assert torch.equal(snn["model"][k], v), k
    assert snn["config"]["model"]["neuron"] == "lif" and ann["config"]["model"]["neuron"] == "relu"
    start = snn["lineage"]["started_from"]
    assert start["kind"] == "checkpoint" and start["neuron"] == "relu" and start["iteration"] == 3
    totals = json.load(open(os.path.join(run, "metrics.json")))["lineage"]["float"]["totals"]
    assert totals["images_seen"] == 3 * 16  # the twin's 3 batches of 16, none of its own yet
    # A score of its samples says what the weights cost (fsddim.evaluate's record, for learning curves).
    what = checkpoint_description(load_checkpoint(os.path.join(run, "float.pt")), "snn.pt")
    assert what["model"] == "lif" and what["iteration"] == 0 and what["T"] == 2
    assert what["lineage_totals"]["images_seen"] == 48 and what["lineage_totals"]["cpu_hours"] > 0


def test_distill_loss_is_the_weighted_distance_of_the_mean_over_t():
    # T = 2, N = 2, one 1x2 image each; tables[2] (the alpha_bar weight) at t = 0 and 1 is 1 and 0.5.
    out = torch.tensor([[[[[1.0, 3.0]]], [[[0.0, 0.0]]]], [[[[3.0, 1.0]]], [[[2.0, 2.0]]]]])
    target = torch.tensor([[[[2.0, 0.0]]], [[[1.0, 4.0]]]])
    tables = (None, None, torch.tensor([1.0, 0.5]), None)
    # mean over T: image 0 (2, 2) -> squared distances (0, 4), mean 2, weight 1; image 1 (1, 1) -> (0, 9),
    # mean 4.5, weight 0.5 -> 2.25. Batch mean (2 + 2.25) / 2.
    assert float(distill_loss(out, target, torch.tensor([0, 1]), tables)) == pytest.approx(2.125)


def test_distillation_changes_the_weights_only_through_its_term(twin, tmp_path):
    """With weight 0 the teacher's forward leaves the run exactly as without it; with weight 1 it changes it."""
    base = OVER + ["train.iterations=2"]
    runs = {}
    for name, extra in (("plain", []), ("zero", [f"train.distill_from={twin}", "train.distill_weight=0.0"]),
                        ("one", [f"train.distill_from={twin}", "train.distill_weight=1.0"])):
        torch.set_num_threads(1)
        run = str(tmp_path / name)
        train(load_config("tiny", base + extra), run, quiet=True)
        runs[name] = read_checkpoint_raw(os.path.join(run, "float.pt"))["model"]
        if name == "one":
            logs = [json.loads(line) for line in open(os.path.join(run, "train_log.jsonl"))]
            assert any("l_distill" in r and r["l_distill"] > 0 for r in logs)
    for k in runs["plain"]:
        assert torch.equal(runs["plain"][k], runs["zero"][k]), k
    assert any(not torch.equal(runs["plain"][k], runs["one"][k]) for k in runs["plain"])


def test_a_teacher_or_start_of_another_size_is_an_error_naming_it(twin, tmp_path):
    with pytest.raises(FsddimError, match=r"train.distill_from: .*float.pt: the teacher's model config differs"):
        train(load_config("tiny", OVER + ["train.iterations=1", "model.base_channels=4",
                                          f"train.distill_from={twin}"]), str(tmp_path / "a"), quiet=True)
    with pytest.raises(FsddimError, match=r"float.pt: its model config differs from this config's \(beyond"):
        train(load_config("tiny", OVER + ["train.iterations=1", "model.base_channels=4"]), str(tmp_path / "b"),
              init_from=twin, quiet=True)
    assert load_checkpoint(twin)["config"]["model"]["neuron"] == "relu"
