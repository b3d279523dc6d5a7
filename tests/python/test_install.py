"""`cmake --install` and a moved installation: the installed binary finds the Python tools it starts (the sweep
scripts, the fsddim package for the float-model quality) beside its own bin/, not where it was built, and says
what it looked for when they are missing.

    SPIKEMESH_BIN=build/spikemesh /usr/bin/python3 -m pytest tests/python/test_install.py
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import spikemesh_bin

BUILD = Path(spikemesh_bin()).resolve().parent
pytestmark = pytest.mark.skipif(not (BUILD / "CMakeCache.txt").is_file() or shutil.which("cmake") is None,
                                reason=f"{BUILD} is not a CMake build tree (or cmake is missing)")


def clean_env() -> dict:
    """The environment without the variables that would point the binary elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in ("SPIKEMESH_BIN", "SPIKEMESH_DATA_DIR", "PYTHONPATH")}
    env["SYSTEMC_DISABLE_COPYRIGHT_MESSAGE"] = "1"
    return env


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> Path:
    """An installation made with `cmake --install`, then moved to another folder."""
    d = tmp_path_factory.mktemp("install")
    res = subprocess.run(["cmake", "--install", str(BUILD), "--prefix", str(d / "first")], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    shutil.move(str(d / "first"), str(d / "moved"))
    return d / "moved"


def test_install_layout(moved):
    share = moved / "share" / "spikemesh"
    for rel in ("sweep/sweep.py", "sweep/run_point.py", "sweep/Snakefile", "sweep/plots.py",
                "python/fsddim/__init__.py", "python/fsddim/float_images.py", "configs/chip_loihi2.yaml",
                "configs/fsddim_fmnist.yaml", "models/fsddim_small/network.h5"):
        assert (share / rel).is_file(), rel
    assert os.access(moved / "bin" / "spikemesh", os.X_OK)
    assert not (moved / "bin" / "spikemesh_paths.txt").exists()   # a build tree's pointer is not installed


def test_moved_installation_runs_a_sweep(moved, tmp_path):
    spikemesh = str(moved / "bin" / "spikemesh")
    res = subprocess.run([spikemesh, "sweep", "--help"], capture_output=True, text=True, env=clean_env())
    assert res.returncode == 0 and "usage: spikemesh sweep" in res.stdout, res.stdout + res.stderr

    configs = moved / "share" / "spikemesh" / "configs"
    subprocess.run([spikemesh, "example", "--out", str(tmp_path / "example")], check=True, capture_output=True,
                   env=clean_env())
    base = tmp_path / "run.yaml"
    base.write_text(f"network: {tmp_path / 'example' / 'network.h5'}\nstimulus: random\ntimesteps: 20\nseed: 1\n"
                    f"chip:\n  base: {configs / 'chip_loihi2.yaml'}\n  mesh: {{routers_x: 2, routers_y: 2}}\n"
                    f"  core: {{compartments: 64}}\nenergy: {configs / 'energy' / 'davies2018.yaml'}\n")
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"base: {base}\nproduct:\n  chip.mesh.cores_per_router: [2, 4]\n")
    out = tmp_path / "sweep"
    res = subprocess.run([spikemesh, "sweep", str(sweep), "--out", str(out), "--no-plots"], capture_output=True,
                         text=True, env=clean_env(), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    plan = json.loads((out / "sweep.json").read_text())
    assert plan["spikemesh"] == spikemesh   # the points ran the installed binary
    assert Path(plan["run_point"]).parent == moved / "share" / "spikemesh" / "sweep"
    assert len(list((out / "points").glob("*/report.json"))) == 2


def test_moved_installation_runs_the_float_model(moved, tiny_run, tmp_path):
    """The float-model quality starts `python3 -m fsddim.float_images` from the installed package."""
    run, _, net_path = tiny_run
    configs = moved / "share" / "spikemesh" / "configs"
    cfg = tmp_path / "loop.yaml"
    cfg.write_text(f"network: {net_path}\nenergy: {configs / 'energy' / 'davies2018.yaml'}\n"
                   f"fsddim:\n  images: 1\n  steps: 1\n  check_reference: false\n"
                   f"  float_checkpoint: {os.path.join(run, 'float.pt')}\n"
                   f"chip:\n  base: {configs / 'chip_loihi2.yaml'}\n")
    res = subprocess.run([str(moved / "bin" / "spikemesh"), "run", str(cfg), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=clean_env(), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "out" / "float_images.h5").is_file()
    assert "psnr_db_vs_float" in json.loads((tmp_path / "out" / "report.json").read_text())["fsddim"]["quality"]


def test_binary_without_its_tools_names_where_it_looked(moved, tmp_path):
    lone = tmp_path / "lone" / "bin"
    lone.mkdir(parents=True)
    shutil.copy2(moved / "bin" / "spikemesh", lone / "spikemesh")
    res = subprocess.run([str(lone / "spikemesh"), "sweep", "--help"], capture_output=True, text=True,
                         env=clean_env())
    assert res.returncode != 0
    assert str(tmp_path / "lone" / "share" / "spikemesh") in res.stderr, res.stderr
    assert "spikemesh_paths.txt" in res.stderr and "SPIKEMESH_DATA_DIR" in res.stderr, res.stderr
    # The override finds them; a wrong override is an error, not a silent fallback.
    env = {**clean_env(), "SPIKEMESH_DATA_DIR": str(moved / "share" / "spikemesh")}
    res = subprocess.run([str(lone / "spikemesh"), "sweep", "--help"], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and "usage: spikemesh sweep" in res.stdout, res.stdout + res.stderr
    env["SPIKEMESH_DATA_DIR"] = str(tmp_path)
    res = subprocess.run([str(moved / "bin" / "spikemesh"), "sweep", "--help"], capture_output=True, text=True,
                         env=env)
    assert res.returncode != 0 and f"SPIKEMESH_DATA_DIR={tmp_path}" in res.stderr, res.stderr
