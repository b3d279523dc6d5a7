"""The training campaign (scripts/fsddim_campaign.py): it runs from scripts/ through `scripts/fsddim campaign`,
and packs its results for a lease that returns few files: results, logs in one archive, checkpoints in tar
files of at most 15 MiB each."""
import importlib.util
import os
import subprocess
import tarfile

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "fsddim_campaign.py")


def load_campaign():
    spec = importlib.util.spec_from_file_location("fsddim_campaign", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_campaign_command_starts_from_scripts():
    res = subprocess.run([os.path.join(ROOT, "scripts", "fsddim"), "campaign", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and "usage: fsddim campaign" in res.stdout, res.stdout + res.stderr


def test_pack_groups_checkpoints_and_logs(tmp_path):
    campaign = load_campaign()
    out, pack_dir = tmp_path / "out", tmp_path / "pack"
    (out / "snn").mkdir(parents=True)
    (out / "results.json").write_text("{}")
    (out / "snn" / "train_log.jsonl").write_text("{}\n")
    big = []
    for i in range(3):   # 6 MiB each: two fit in one 15 MiB tar, the third starts the next
        p = out / f"ck{i}.pt"
        p.write_bytes(b"\0" * (6 << 20))
        big.append(str(p))
    campaign.pack(str(out), str(pack_dir), big, str(out / "campaign.log"))
    assert (pack_dir / "results.json").read_text() == "{}"
    with tarfile.open(pack_dir / "logs.tar.gz") as tf:
        assert "snn/train_log.jsonl" in tf.getnames()
    names = [tarfile.open(pack_dir / f"ckpt{i}.tar").getnames() for i in range(2)]
    assert names == [["ck0.pt", "ck1.pt"], ["ck2.pt"]]
    assert "packed 3 checkpoints into 2 tar files" in (out / "campaign.log").read_text()
