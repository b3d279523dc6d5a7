"""scripts/lib/allocator.sh: the Python tools run under jemalloc (page purging off), which leaves the arithmetic
untouched and removes glibc's page-fault churn on large tensors (docs/model.md#allocator)."""
import os
import subprocess

import torch

from conftest import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "lib", "allocator.sh")
PROBE = ("import resource, torch; torch.set_num_threads(1)\n"
         "maps = open('/proc/self/maps').read()\n"
         "x = [torch.ones(64 << 20 >> 2) for _ in range(2)]; del x\n"          # two 64 MiB tensors: warm the allocator
         "f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
         "for _ in range(20):\n"
         "    y = torch.ones(64 << 20 >> 2); del y\n"
         "print('libjemalloc' in maps, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)\n")


def clean_env(**extra):
    """This environment without an allocator already chosen (else both arms of a comparison would run it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "MALLOC_CONF", "SPIKEMESH_ALLOCATOR")}
    env.update(extra)
    return env


def run_under(env_extra, code):
    env = clean_env(**env_extra)
    cmd = f'source "{SCRIPT}" && spikemesh_fast_allocator && exec /usr/bin/python3 -c "$0"'
    res = subprocess.run(["bash", "-c", cmd, code], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.split()


def test_jemalloc_is_preloaded_and_stops_the_page_fault_churn():
    mapped, faults = run_under({}, PROBE)
    assert mapped == "True"
    # 20 allocations of 64 MiB (16,384 pages each) reuse the pages already mapped: no fresh faults
    assert int(faults) < 1000, faults
    mapped, faults = run_under({"SPIKEMESH_ALLOCATOR": "system"}, PROBE)
    assert mapped == "False"
    # glibc maps and unmaps each one: every page of every allocation faults in again (20 x 16,384)
    assert int(faults) > 20 * 16384 * 0.9, faults


def test_training_is_bit_identical_under_either_allocator(tmp_path):
    weights = {}
    for alloc in ("jemalloc", "system"):
        run = tmp_path / alloc
        res = subprocess.run([os.path.join(ROOT, "scripts", "fsddim"), "train", "--config", "tiny", "--run", str(run),
                              "--threads", "1", "--quiet", "--set", "train.iterations=3", "--set", "train.subset=256",
                              "--set", "train.device=cpu"], capture_output=True, text=True, timeout=600,
                             env=clean_env(SPIKEMESH_ALLOCATOR=alloc))
        assert res.returncode == 0, res.stderr[-2000:]
        weights[alloc] = torch.load(run / "float.pt", map_location="cpu")["model"]
    assert weights["jemalloc"].keys() == weights["system"].keys()
    assert all(torch.equal(weights["jemalloc"][k], weights["system"][k]) for k in weights["jemalloc"])


def test_an_unknown_allocator_is_an_error_naming_the_variable():
    res = subprocess.run([os.path.join(ROOT, "scripts", "fsddim"), "train", "--help"], capture_output=True, text=True,
                         timeout=120, env=clean_env(SPIKEMESH_ALLOCATOR="tcmalloc"))
    assert res.returncode == 2
    assert "SPIKEMESH_ALLOCATOR='tcmalloc': expected jemalloc (the default) or system" in res.stderr


def test_a_missing_jemalloc_is_said_and_the_tools_go_on(tmp_path):
    # an ldconfig that lists no libraries: as on a machine without Debian's libjemalloc2
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ldconfig").write_text("#!/bin/sh\nexit 0\n")
    (fake / "ldconfig").chmod(0o755)
    env = clean_env(PATH=f"{fake}:{os.environ['PATH']}")
    cmd = f'source "{SCRIPT}" && spikemesh_fast_allocator && echo "preload=[${{LD_PRELOAD:-}}]"'
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "preload=[]"
    assert "libjemalloc.so.2 is not installed (Debian package libjemalloc2" in res.stderr
    assert "CPU training several times slower" in res.stderr
