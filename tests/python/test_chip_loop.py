"""The FSDDIM loop on the chip, end to end on the tiny preset: `spikemesh run` with an `fsddim:` section
generates images whose fixed-point payloads equal the C++ reference sampler's (checked by the run itself)
and the Python fixed-point sampler's (model/fsddim/fixed.py), given the same x_T."""
import json
import os
import subprocess

import h5py
import numpy as np
import torch

from conftest import ROOT


def test_chip_images_equal_reference_and_python_fixed_sampler(binary, tiny_run, tmp_path):
    _, _, net_path = tiny_run
    cfg = tmp_path / "loop.yaml"
    cfg.write_text(
        f"network: {net_path}\n"
        f"energy: {os.path.join(ROOT, 'configs', 'energy', 'davies2018.yaml')}\n"
        "fsddim:\n  images: 2\n  steps: 3\n  seed: 5\n  trajectory: true\n  check_reference: true\n"
        f"chip:\n  base: {os.path.join(ROOT, 'configs', 'chip_loihi2.yaml')}\n")
    out = tmp_path / "out"
    res = subprocess.run([binary, "run", str(cfg), "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    # Same config and seed, same bytes (host speed goes to host.json, which is not compared).
    again = tmp_path / "again"
    res2 = subprocess.run([binary, "run", str(cfg), "--out", str(again)], capture_output=True, text=True)
    assert res2.returncode == 0, res2.stderr
    for name in ("report.json", "samples.h5", "samples.png"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
    assert json.loads((out / "host.json").read_text())["images_per_hour"] > 0
    report = json.loads((out / "report.json").read_text())
    loop = report["fsddim"]
    assert loop["reference_checked"] and loop["reference_match"]
    assert loop["images"] == 2 and loop["ddim_steps"] == 3
    T, D = loop["snn_timesteps"], loop["pipeline_depth"]
    assert len(loop["per_image"][0]["timesteps"]["cycles"]) == 3 * (T + D)
    assert len(loop["per_image"][0]["ddim_steps"]) == 3
    # Energy of an image = the sum of its parts.
    e = loop["per_image"][0]["energy_j"]
    assert abs(e["total"] - sum(e["breakdown"].values())) <= 1e-12 * max(1.0, e["total"])

    with h5py.File(out / "samples.h5", "r") as f:
        payloads = f["payloads"][()]            # (N, T, C, H, W), Q.P
        noise = f["noise"][()]
        images = f["images"][()]
        pf = int(f.attrs["payload_frac_bits"])
        assert f["trajectory"].shape[:3] == (2, 3, T)
    assert images.shape[0] == 2 and np.all(np.abs(images) <= 1.0)

    # The Python fixed-point sampler from the same x_T (exact: integers over a power of two).
    from fsddim.fixed import FixedNet, sample_fixed
    from fsddim.netfile import read
    fnet = FixedNet(read(net_path))
    x_T = torch.tensor(noise[:, 0].reshape(2, -1) / float(1 << pf), dtype=torch.float64)
    _, x = sample_fixed(fnet, 3, 2, noise=x_T)
    py = x.cpu().numpy().transpose(1, 0, 2).reshape(payloads.shape)   # (T, N, size) -> (N, T, C, H, W)
    np.testing.assert_array_equal(py, payloads)


def _loop_config(tmp_path, net_path, extra=""):
    cfg = tmp_path / "loop_float.yaml"
    cfg.write_text(
        f"network: {net_path}\n"
        f"energy: {os.path.join(ROOT, 'configs', 'energy', 'davies2018.yaml')}\n"
        "fsddim:\n  images: 2\n  steps: 3\n  seed: 9\n  check_reference: false\n" + extra +
        f"chip:\n  base: {os.path.join(ROOT, 'configs', 'chip_loihi2.yaml')}\n")
    return cfg


def test_psnr_against_the_float_model(binary, tiny_run, tmp_path):
    """fsddim.float_checkpoint: the float model's images start from the run's own x_T, and the reported PSNR
    is 10 log10(2^2 / MSE) of the chip's images against them, image by image."""
    run, _, net_path = tiny_run
    ck = os.path.join(run, "float.pt")
    cfg = _loop_config(tmp_path, net_path, f"  float_checkpoint: {ck}\n")
    out = tmp_path / "out"
    res = subprocess.run([binary, "run", str(cfg), "--out", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "PSNR against the float model's images:" in res.stdout
    q = json.loads((out / "report.json").read_text())["fsddim"]["quality"]

    # The float images, computed here independently from the chip's x_T with the float model.
    from fsddim import diffusion
    from fsddim.train import load_checkpoint
    with h5py.File(out / "samples.h5", "r") as f:
        x_T = f["noise"][()][:, 0] / float(1 << int(f.attrs["payload_frac_bits"]))
        chip_images = f["images"][()]
        T = int(f.attrs["snn_timesteps"])
    ckd = load_checkpoint(ck)
    model = ckd["model"].double()
    model.T = T
    sched = diffusion.Schedule(ckd["config"]["diffusion"]["timesteps"], ckd["config"]["diffusion"]["cosine_s"])
    noise = torch.from_numpy(x_T)
    with torch.no_grad():
        want = diffusion.sample(lambda x, t: model(x, torch.full((2,), t, dtype=torch.long)), sched, noise.shape, T, 3,
                                noise=noise).numpy()
    with h5py.File(out / "float_images.h5", "r") as f:
        got = f["images"][()]
        assert int(f.attrs["steps"]) == 3 and int(f.attrs["snn_timesteps"]) == T
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # The chip's images are not the float model's (quantized weights and state), but close to them.
    per = [10 * np.log10(4.0 / np.mean((chip_images[k] - want[k]) ** 2)) for k in range(2)]
    np.testing.assert_allclose(q["psnr_db_vs_float_per_image"], per, rtol=1e-9)
    assert q["identical_to_float"] == 0
    assert abs(q["psnr_db_vs_float"] - np.mean(per)) < 1e-9


def test_missing_float_checkpoint_is_named_before_the_run(binary, tiny_run, tmp_path):
    _, _, net_path = tiny_run
    cfg = _loop_config(tmp_path, net_path, "  float_checkpoint: no/such/float.pt\n")
    out = tmp_path / "out"
    res = subprocess.run([binary, "run", str(cfg), "--out", str(out)], capture_output=True, text=True)
    assert res.returncode != 0
    assert "fsddim.float_checkpoint" in res.stderr and "no/such/float.pt" in res.stderr and "not found" in res.stderr
    assert not (out / "samples.h5").exists()


def test_check_validates_the_loop_before_anything_runs(binary, tiny_run, tmp_path):
    """`run --check` applies the FSDDIM loop's own checks: S against the schedule, the float checkpoint."""
    _, _, net_path = tiny_run
    res = subprocess.run([binary, "run", str(_loop_config(tmp_path, net_path)), "--check", "--set", "fsddim.steps=5000"],
                         capture_output=True, text=True)
    assert res.returncode != 0
    assert "fsddim.steps" in res.stderr and "1..1000, got 5000" in res.stderr
    res = subprocess.run([binary, "run", str(_loop_config(tmp_path, net_path)), "--check"], capture_output=True, text=True)
    assert res.returncode == 0 and "config OK" in res.stdout, res.stderr
    res = subprocess.run([binary, "run", str(_loop_config(tmp_path, net_path, "  float_checkpoint: none.pt\n")), "--check"],
                         capture_output=True, text=True)
    assert res.returncode != 0 and "fsddim.float_checkpoint" in res.stderr


def test_check_refuses_a_garbage_or_truncated_float_checkpoint(binary, tiny_run, tmp_path):
    """--check reads the checkpoint's zip structure (no Python): garbage and a truncated copy are refused
    naming the file and key; the real one passes."""
    run, _, net_path = tiny_run
    real = os.path.join(run, "float.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(bytes(range(256)) * 20)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(open(real, "rb").read()[:4096])
    for ck, why in ((garbage, "does not start with a zip header"), (truncated, "no end-of-central-directory record")):
        cfg = _loop_config(tmp_path, net_path, f"  float_checkpoint: {ck}\n")
        res = subprocess.run([binary, "run", str(cfg), "--check"], capture_output=True, text=True)
        assert res.returncode == 1, res.stdout
        assert f"{cfg}: fsddim.float_checkpoint: {ck}: not a PyTorch checkpoint" in res.stderr and why in res.stderr
    res = subprocess.run([binary, "run", str(_loop_config(tmp_path, net_path, f"  float_checkpoint: {real}\n")),
                          "--check"], capture_output=True, text=True)
    assert res.returncode == 0 and "config OK" in res.stdout, res.stderr


def test_pipelined_run_gives_the_sequential_images(binary, tiny_run, tmp_path):
    """fsddim.pipeline: auto puts the images on the chip at once, staggered by T timesteps: the same payloads as
    one after the other (and as the sequential reference sampler, which the run checks), in fewer timesteps."""
    _, _, net_path = tiny_run
    reports = {}
    payloads = {}
    for mode in ("1", "auto"):
        out = tmp_path / f"out_{mode}"
        res = subprocess.run([binary, "run", str(_loop_config(tmp_path, net_path)), "--set", "fsddim.images=3",
                              "--set", "fsddim.check_reference=true", "--set", f"fsddim.pipeline={mode}",
                              "--out", str(out)], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr + res.stdout
        assert "image(s) in flight: throughput" in res.stdout
        reports[mode] = json.loads((out / "report.json").read_text())
        with h5py.File(out / "samples.h5", "r") as f:
            payloads[mode] = f["payloads"][()]
    np.testing.assert_array_equal(payloads["1"], payloads["auto"])
    seq, pipe = reports["1"]["fsddim"], reports["auto"]["fsddim"]
    assert seq["pipeline"] == {"images_in_flight": 1}
    assert pipe["reference_match"]
    T, D = pipe["snn_timesteps"], pipe["pipeline_depth"]
    P = (T + D + T - 1) // T * T
    assert pipe["pipeline"]["period_timesteps"] == P and pipe["pipeline"]["max_images_in_flight"] == P // T
    K = min(P // T, 3)
    assert pipe["pipeline"]["images_in_flight"] == K
    # Lane l holds images l, l + K, ...; the last lane to finish ends at its last step's readout + 1.
    lanes = [len(range(l, 3, K)) for l in range(K)]
    end = max(l * T + (n * 3 - 1) * P + T + D for l, n in enumerate(lanes))
    assert pipe["pipeline"]["timesteps"] == end == reports["auto"]["critical_path"]["timesteps"]
    assert reports["1"]["critical_path"]["timesteps"] == 3 * 3 * (T + D)
    for k, img in enumerate(pipe["per_image"]):
        assert img["first_timestep"] == (k % K) * T + (k // K) * 3 * P
        assert img["cycles"] > 0 and img["latency_s"] == img["cycles"] / (reports["auto"]["clock_mhz"] * 1e6)
    # Throughput: images over the run's emulated seconds, in both modes.
    for r in reports.values():
        assert abs(r["fsddim"]["throughput_images_per_s"] - 3 / r["latency_s"]) <= 1e-9 * r["fsddim"]["throughput_images_per_s"]
    # Energy per image: the run's energy over the images, in both modes.
    for r in reports.values():
        assert abs(r["fsddim"]["per_image_mean"]["energy_j"]["total"] - r["energy_j"]["total"] / 3) <= 1e-9
    if K > 1:
        assert pipe["throughput_images_per_s"] > seq["throughput_images_per_s"]


def test_pipeline_key_names_what_is_wrong(binary, tiny_run, tmp_path):
    """fsddim.pipeline: not a number, 0, or more images in flight than one DDIM step's timesteps hold."""
    _, _, net_path = tiny_run
    cfg = str(_loop_config(tmp_path, net_path))
    for bad in ("x", "0", "-2", "3.5"):
        res = subprocess.run([binary, "run", cfg, "--check", "--set", f"fsddim.pipeline={bad}"],
                             capture_output=True, text=True)
        assert res.returncode != 0, bad
        assert "fsddim.pipeline: expected 'auto' or a whole number of images in flight >= 1" in res.stderr, res.stderr
    res = subprocess.run([binary, "run", cfg, "--check", "--set", "fsddim.pipeline=1000"], capture_output=True, text=True)
    assert res.returncode != 0
    assert "fsddim.pipeline: 1000 images in flight do not fit" in res.stderr, res.stderr
    kmax = int(res.stderr.rsplit("the largest value that fits is ", 1)[1].split()[0])
    ok = subprocess.run([binary, "run", cfg, "--check", "--set", f"fsddim.pipeline={kmax}"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    over = subprocess.run([binary, "run", cfg, "--check", "--set", f"fsddim.pipeline={kmax + 1}"],
                          capture_output=True, text=True)
    assert over.returncode != 0 and f"the largest value that fits is {kmax}" in over.stderr
def test_default_job_interleaved_mapping_keeps_the_images_and_shortens_the_image(binary, tmp_path):
    # The default job (configs/fsddim_fmnist.yaml: chip.mapping.objective interleave, workload rates, shared
    # output axons) for one image and one DDIM step, and the same with the balance and the fit objectives: the
    # same images, all bit-identical to the reference sampler; fit packs the fewest cores (100 with shared output
    # axons), balance and interleave spread the work over most of the 512, and interleave, which fills cores
    # with layers whose windows never meet, gives the shortest image.
    reports = {}
    for objective in ("interleave", "balance", "fit"):
        out = tmp_path / objective
        res = subprocess.run([binary, "run", os.path.join(ROOT, "configs", "fsddim_fmnist.yaml"),
                              "--set", "fsddim.images=1", "--set", "fsddim.steps=1",
                              "--set", "fsddim.trajectory=false",
                              "--set", f"chip.mapping.objective={objective}", "--out", str(out)],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr + res.stdout
        assert "images identical to the reference sampler's" in res.stdout
        reports[objective] = json.loads((out / "report.json").read_text())["fsddim"]
        assert reports[objective]["reference_match"]
        assert reports[objective]["placement"]["rates"].startswith("workload: the reference sampler, 1 image, S = 1")
    for objective in ("balance", "fit"):
        assert (tmp_path / "interleave" / "samples.h5").read_bytes() == \
            (tmp_path / objective / "samples.h5").read_bytes()
    il, bal, fit = (reports[o]["placement"] for o in ("interleave", "balance", "fit"))
    assert fit["cores_used"] == fit["fit_cores_used"] == 100
    assert bal["fit_cores_used"] == il["fit_cores_used"] == 100
    assert 400 < bal["cores_used"] <= 512 and 400 < il["cores_used"] <= 512
    # Each objective's estimate against fit's, measured the same way (sum for balance, busiest timestep for
    # interleave): both far below.
    assert bal["estimated_longest_core_cycles"] < 0.1 * bal["fit_estimated_longest_core_cycles"]
    assert il["estimated_longest_core_cycles"] < 0.1 * il["fit_estimated_longest_core_cycles"]
    latency = {o: reports[o]["per_image_mean"]["latency_s"] for o in reports}
    assert latency["interleave"] < 0.75 * latency["balance"] < 0.75 * latency["fit"], latency


def test_workload_rates_map_as_the_run_does(binary, tiny_run, tmp_path):
    # chip.mapping.rates: workload measures the firing rates on the loop's own images (the reference sampler,
    # rate_images images from rate_seed's x_T), and the interleave objective takes the loop's windows;
    # `spikemesh map` and `run --check` prepare the network as the loop does, so they map as the run does:
    # same rates, cores and estimated longest core. Without the loop the key is refused by name.
    _, _, net_path = tiny_run
    extra = "  check_reference: true\n"
    cfg = _loop_config(tmp_path, net_path)
    cfg.write_text(cfg.read_text().replace("  check_reference: false\n", extra) +
                   "  mapping:\n    objective: interleave\n    rates: workload\n    rate_images: 2\n")
    res = subprocess.run([binary, "map", str(cfg), "--out", str(tmp_path / "map")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "firing rates of the workload: the reference sampler, 2 images, S = 3, x_T seed 1" in res.stdout
    mapping = json.loads((tmp_path / "map" / "mapping.json").read_text())
    assert mapping["objective"]["mode"] == "interleave"
    # Each core's busiest timestep, the measure interleave caps: never more than the sum of its work, and the
    # longest of them the objective's longest core.
    work = [c["work"] for c in mapping["cores"] if c["compartments"] > 0]
    assert all(w["busiest_timestep_cycles"] <= w["cycles"] + 1e-6 for w in work)
    assert max(w["busiest_timestep_cycles"] for w in work) == mapping["objective"]["longest_core_cycles"]
    assert any(w["busiest_timestep_cycles"] < 0.9 * w["cycles"] for w in work)
    res = subprocess.run([binary, "run", str(cfg), "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    assert f"({mapping['summary']['cores_used']} cores used of " in res.stdout
    res = subprocess.run([binary, "run", str(cfg), "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr + res.stdout
    loop = json.loads((tmp_path / "run" / "report.json").read_text())["fsddim"]
    assert loop["reference_match"]
    placement = loop["placement"]
    assert placement["rates"] == mapping["summary"]["rates"]
    assert placement["cores_used"] == mapping["summary"]["cores_used"] == mapping["objective"]["cores_used"]
    assert placement["estimated_longest_core_cycles"] == mapping["objective"]["longest_core_cycles"]
    # Random input is another measurement, so another estimate of the longest core.
    res = subprocess.run([binary, "map", str(cfg), "--set", "chip.mapping.rates=random",
                          "--out", str(tmp_path / "map_random")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    random_mapping = json.loads((tmp_path / "map_random" / "mapping.json").read_text())
    assert random_mapping["summary"]["rates"] == "random input: 8 reference steps after D, seed 1"
    assert random_mapping["objective"]["longest_core_cycles"] != mapping["objective"]["longest_core_cycles"]

    plain = tmp_path / "plain.yaml"
    plain.write_text(f"network: {net_path}\nchip:\n  base: {os.path.join(ROOT, 'configs', 'chip_loihi2.yaml')}\n"
                     "  mapping:\n    rates: workload\n")
    res = subprocess.run([binary, "map", str(plain), "--out", str(tmp_path / "plain")], capture_output=True,
                         text=True)
    assert res.returncode != 0
    assert "chip.mapping.rates: 'workload' measures the rates on the FSDDIM loop's own images" in res.stderr
