"""Bad input gives clear errors: missing dataset (names the Debian package), corrupt config and checkpoint."""
import os
import re

import pytest
import torch

from fsddim import data
from fsddim.config import load_config
from fsddim.errors import FsddimError
from fsddim.train import load_checkpoint, train


def test_missing_dataset_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setenv("FSDDIM_DATA_DIR", str(tmp_path))
    with pytest.raises(FsddimError, match="dataset-fashion-mnist") as e:
        data.load("train")
    assert "train-images-idx3-ubyte.gz" in str(e.value)


def test_corrupt_dataset_file_is_a_clear_error(tmp_path, monkeypatch):
    for f in data.FILES.values():
        (tmp_path / f).write_bytes(b"not gzip at all")
    monkeypatch.setenv("FSDDIM_DATA_DIR", str(tmp_path))
    with pytest.raises(FsddimError, match="gzip"):
        data.load("test")


def test_config_unknown_key_names_file_and_key(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("model:\n  base_chanels: 16\n")
    with pytest.raises(FsddimError) as e:
        load_config(str(p))
    assert str(p) in str(e.value) and "model.base_chanels" in str(e.value) and "unknown key" in str(e.value)


def test_config_wrong_type_and_bad_yaml(tmp_path):
    p = tmp_path / "t.yaml"
    p.write_text("train:\n  batch_size: many\n")
    with pytest.raises(FsddimError, match=r"train\.batch_size: expected a int"):
        load_config(str(p))
    p.write_text("model: [unclosed\n")
    with pytest.raises(FsddimError, match="not valid YAML"):
        load_config(str(p))
    p.write_text("model:\n  neuron: gelu\n")
    with pytest.raises(FsddimError, match="model.neuron: expected one of lif, relu"):
        load_config(str(p))
    p.write_text("model:\n  image_size: 30\n")
    with pytest.raises(FsddimError, match="model.image_size"):
        load_config(str(p))
    with pytest.raises(FsddimError, match="no such config file or preset"):
        load_config("no-such-preset")


def test_config_floats_in_exponent_notation(tmp_path):
    # PyYAML reads 3e-4 (no dot) as a string; it is a float to the user, in a file and in --set
    p = tmp_path / "lr.yaml"
    p.write_text("train:\n  lr: 3e-4\n")
    assert load_config(str(p))["train"]["lr"] == 0.0003
    cfg = load_config("tiny", ["qat.synops_lambda=2E-2", "train.synops_lambda=+1e1"])
    assert (cfg["qat"]["synops_lambda"], cfg["train"]["synops_lambda"]) == (0.02, 10.0)
    for bad, what in (("train.lr=3e", "expected a float, got '3e'"), ("train.lr=1e400", "expected a float, got inf"),
                      ("train.lr=.nan", "expected a float, got nan"), ("qat.synops_lambda=-0.5", "qat.synops_lambda")):
        with pytest.raises(FsddimError, match=re.escape(what)):
            load_config("tiny", [bad])


def test_presets_load():
    for name in ("tiny", "small", "paper"):
        cfg = load_config(name)
        assert cfg["name"] == name
    assert load_config("paper")["model"]["channel_mult"] == [1, 2, 3, 4]


def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    p = tmp_path / "float.pt"
    p.write_bytes(b"\x80\x02garbage")
    with pytest.raises(FsddimError, match="not a readable checkpoint"):
        load_checkpoint(str(p))
    torch.save({"something": 1}, str(p))
    with pytest.raises(FsddimError, match="not an fsddim checkpoint"):
        load_checkpoint(str(p))
    with pytest.raises(FsddimError, match="checkpoint not found"):
        load_checkpoint(str(tmp_path / "missing.pt"))


def test_truncated_checkpoint_in_a_run_dir_is_reported_not_overwritten(tmp_path):
    cfg = load_config("tiny", ["train.iterations=2", "train.subset=64", "train.device=cpu"])
    run = tmp_path / "run"
    run.mkdir()
    (run / "float.pt").write_bytes(b"PK\x03\x04truncated")
    with pytest.raises(FsddimError, match="not a readable checkpoint"):
        train(cfg, str(run), quiet=True)
    assert (run / "float.pt").read_bytes() == b"PK\x03\x04truncated"     # the user's file is left alone


def test_export_of_a_float_checkpoint_is_refused(tiny_run, tmp_path):
    from fsddim.export import export_checkpoint
    run, _, _ = tiny_run
    with pytest.raises(FsddimError, match="QAT checkpoint"):
        export_checkpoint(os.path.join(run, "float.pt"), str(tmp_path / "x.h5"))
