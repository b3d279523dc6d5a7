#!/usr/bin/python3
"""Architecture design-space sweeps: expand a sweep file into points, run them with Snakemake, collect
DIR/results.csv and the plots.

    spikemesh sweep SWEEP.yaml --out DIR [--cores N] [--profile PROFILE_DIR]
    scripts/sweep/sweep.py SWEEP.yaml --out DIR [--cores N] [--profile PROFILE_DIR]   (the same)

Sweep file (YAML; docs/sweeps.md):

    base: ../example_run.yaml          # the run config every point starts from (relative to this file)
    set:                               # optional: overrides applied to every point
      timesteps: 8
    product:                           # axes combined as a cartesian product
      chip.mesh.cores_per_router: [1, 2, 4]
      chip.router.input_buffer_flits: [2, 8]
    zip:                               # axes walked together (equal lengths), crossed with `product`
      chip.mesh.routers_x: [2, 4]
      chip.mesh.routers_y: [2, 1]
    repeats: 2                         # optional: every point with seed_key = 0 .. repeats-1
    seed_key: seed                     # optional (default `seed`, the random-stimulus seed)
    quality:                           # optional: overrides that make each point compute its quality
      fsddim.quality: psnr             #   metric; the CSV then carries the quality columns

Every point runs `spikemesh run BASE --set key=value ... --out DIR/points/<id>` (id: a hash of the point's
overrides, so the same point keeps its folder when axes are added). A finished point
(DIR/points/<id>/report.json) is never run again; a failing point records its error in
DIR/points/<id>/error.txt and the others go on; rerunning retries only the unfinished points. Every attempt
appends a line to DIR/attempts.log.

Exit status: 0 all points finished, 1 some failed or were not run, 2 the sweep file was rejected (nothing
ran), 130 interrupted (what finished is kept; rerun to go on).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import fcntl
import hashlib
import io
import itertools
import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from pareto import sweep_front  # noqa: E402
SNAKEFILE = HERE / "Snakefile"
TOP_KEYS = {"base", "set", "product", "zip", "repeats", "seed_key", "quality"}


class SweepError(Exception):
    """A problem with the sweep file, reported before anything runs."""


def spikemesh_bin() -> str:
    """$SPIKEMESH_BIN (`spikemesh sweep` sets it to itself), else the binary that goes with these scripts:
    PREFIX/bin/spikemesh when installed (in PREFIX/share/spikemesh/sweep), build/spikemesh in a checkout."""
    if os.environ.get("SPIKEMESH_BIN"):
        return os.environ["SPIKEMESH_BIN"]
    installed = HERE.parents[2] / "bin" / "spikemesh"
    return str(installed if HERE.parent.name == "spikemesh" else ROOT / "build" / "spikemesh")


def write_whole(path: Path, text: str) -> None:
    """Writes `path` through a temporary file and one rename, so a reader (or a rerun after a kill) sees the
    old file or the new one, never half of one. The sweep folder's flock keeps writers to one at a time."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


class _Loader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping key, for error messages."""


def _construct_mapping(loader, node):
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        _Loader.lines[id(mapping), key] = key_node.start_mark.line + 1
    return mapping


_Loader.lines = {}
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _scalar_ok(v) -> bool:
    return isinstance(v, (bool, int, float, str)) and not (isinstance(v, float) and not math.isfinite(v))


def load_sweep(path: Path) -> dict:
    """Reads and validates a sweep file; raises SweepError naming the file, the key and its line."""
    _Loader.lines = {}
    try:
        doc = yaml.load(path.read_text(), Loader=_Loader)
    except OSError as e:
        raise SweepError(f"{path}: cannot read the sweep file: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise SweepError(f"{path}: YAML error: {e}") from e
    if not isinstance(doc, dict):
        raise SweepError(f"{path}: expected a mapping of sweep keys at the top level ({', '.join(sorted(TOP_KEYS))})")

    def where(mapping, key):
        line = _Loader.lines.get((id(mapping), key))
        return f"{path}:{line}" if line else str(path)

    for key in doc:
        if key not in TOP_KEYS:
            raise SweepError(f"{where(doc, key)}: unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})")
    if "base" not in doc:
        raise SweepError(f"{path}: base: missing (the run config every point starts from)")
    if not isinstance(doc["base"], str):
        raise SweepError(f"{where(doc, 'base')}: base: expected a file name")
    base = (path.parent / doc["base"]).resolve()
    if not base.is_file():
        raise SweepError(f"{where(doc, 'base')}: base: no such config file {base}")

    axes: dict[str, str] = {}
    groups = {}
    for group in ("set", "quality", "product", "zip"):
        g = doc.get(group)
        if g is None:
            g = {}
        if not isinstance(g, dict):
            what = "config key -> value" if group in ("set", "quality") else "config key -> list of values"
            raise SweepError(f"{where(doc, group)}: {group}: expected a mapping of {what}")
        for key, value in g.items():
            at = f"{where(g, key)}: {group}.{key}"
            if not isinstance(key, str) or not key:
                raise SweepError(f"{at}: expected a config key such as chip.mesh.cores_per_router")
            if key in axes:
                raise SweepError(f"{at}: the key is also given under {axes[key]}")
            axes[key] = group
            values = [value] if group in ("set", "quality") else value
            if group in ("product", "zip"):
                if not isinstance(value, list):
                    raise SweepError(f"{at}: expected a list of values")
                if not value:
                    raise SweepError(f"{at}: empty axis (expected at least one value)")
                if group == "product" and len({json.dumps(v) for v in value}) != len(value):
                    raise SweepError(f"{at}: a value is listed twice")
            for v in values:
                if not _scalar_ok(v):
                    raise SweepError(f"{at}: {v!r}: expected a number, string or true/false")
        groups[group] = g
    zip_lengths = {k: len(v) for k, v in groups["zip"].items()}
    if len(set(zip_lengths.values())) > 1:
        raise SweepError(f"{where(doc, 'zip')}: zip: the zipped axes need equal lengths, got "
                         + ", ".join(f"{k}: {n}" for k, n in zip_lengths.items()))
    if len(set(zip_lengths.values())) == 1:
        tuples = [json.dumps(t) for t in zip(*groups["zip"].values())]
        if len(set(tuples)) != len(tuples):
            raise SweepError(f"{where(doc, 'zip')}: zip: a combination of the zipped values is listed twice")
    if not groups["product"] and not groups["zip"]:
        raise SweepError(f"{path}: no axes: give `product` or `zip` with at least one key")
    repeats = doc.get("repeats", 1)
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise SweepError(f"{where(doc, 'repeats')}: repeats: expected an integer >= 1, got {repeats!r}")
    seed_key = doc.get("seed_key", "seed")
    if not isinstance(seed_key, str) or not seed_key:
        raise SweepError(f"{where(doc, 'seed_key')}: seed_key: expected a config key")
    if repeats > 1 and seed_key in axes:
        raise SweepError(f"{where(doc, 'seed_key')}: seed_key: {seed_key} is also under {axes[seed_key]}; "
                         "drop `repeats` or that key")
    return {
        "base": str(base),
        "set": groups["set"],
        "quality": groups["quality"],
        "product": groups["product"],
        "zip": groups["zip"],
        "repeats": repeats,
        "seed_key": seed_key,
    }


def swept_keys(sweep: dict) -> list[str]:
    """The CSV's key columns: the product axes, the zipped axes, then the seed when repeated."""
    return list(sweep["product"]) + list(sweep["zip"]) + ([sweep["seed_key"]] if sweep["repeats"] > 1 else [])


def plot_axes(sweep: dict) -> list:
    """The axes the plots walk: each product key, and the zipped keys together as one axis (a tuple)."""
    return list(sweep["product"]) + ([tuple(sweep["zip"])] if sweep["zip"] else [])


def point_id(overrides: dict) -> str:
    return hashlib.sha1(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:10]


def expand(sweep: dict) -> list[dict]:
    """All points in a fixed order: the product axes (first key slowest) crossed with the zipped group,
    each repeated per seed. `overrides` holds only the swept values; `set` and `quality` are added at run."""
    prod_keys, zip_keys = list(sweep["product"]), list(sweep["zip"])
    zipped = list(zip(*(sweep["zip"][k] for k in zip_keys))) if zip_keys else [()]
    points = []
    for combo in itertools.product(*(sweep["product"][k] for k in prod_keys)):
        for z in zipped:
            for r in range(sweep["repeats"]):
                overrides = dict(zip(prod_keys, combo))
                overrides.update(zip(zip_keys, z))
                if sweep["repeats"] > 1:
                    overrides[sweep["seed_key"]] = r
                points.append({"id": point_id(overrides), "overrides": overrides})
    return points


def yaml_value(v) -> str:
    """A value as `--set key=VALUE` parses it (YAML): true/false, numbers, strings as written."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


def run_overrides(sweep: dict, overrides: dict) -> dict:
    """What a point passes to `spikemesh run`: the fixed `set`, the `quality` switches, its swept values."""
    return {**sweep["set"], **sweep["quality"], **overrides}


def set_args(overrides: dict) -> list[str]:
    args = []
    for k, v in overrides.items():
        args += ["--set", f"{k}={yaml_value(v)}"]
    return args


def check_keys(sweep: dict, cores: int) -> None:
    """Validates every swept key and value with `spikemesh run BASE --check` before anything runs: once
    with the fixed overrides alone, then once per axis value (that value alone on top), so a rejection
    names the key that caused it. The check also maps the network, but a chip too small for the network is
    not a bad sweep file: that point fails when it runs and says so. Only config errors reject the sweep."""
    fixed = {**sweep["set"], **sweep["quality"]}
    checks = [(None, None, fixed)]
    for group in ("product", "zip"):
        for key, values in sweep[group].items():
            for v in values:
                checks.append((f"{group}.{key}", v, {**fixed, key: v}))
    if sweep["repeats"] > 1:
        checks.append(("seed_key", sweep["seed_key"], {**fixed, sweep["seed_key"]: sweep["repeats"] - 1}))

    def run(c):
        cmd = [spikemesh_bin(), "run", sweep["base"], "--check"] + set_args(c[2])
        try:
            res = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            raise SweepError(f"cannot run {cmd[0]}: {e.strerror} (build it, or set SPIKEMESH_BIN)") from e
        return c, res

    with concurrent.futures.ThreadPoolExecutor(max(1, cores)) as pool:
        results = list(pool.map(run, checks))
    for (label, value, over), res in results:
        if res.returncode == 0:
            continue
        if res.returncode < 0:
            raise SweepError(f"{spikemesh_bin()} run --check crashed (signal {-res.returncode}) with {over}")
        lines = (res.stderr.strip() or res.stdout.strip()).splitlines()
        msg = lines[-1].replace("spikemesh run: error: ", "") if lines else f"exit status {res.returncode}"
        # "mapping: ..." (the network does not fit this chip) is a point's result, decided when that point
        # runs with all its values; anything else is a bad key, value or file, named by the message.
        if msg.startswith("mapping:"):
            continue
        if label is None:
            raise SweepError(f"{sweep['base']} with the sweep's set/quality overrides is rejected: {msg}")
        raise SweepError(f"{label} = {yaml_value(value)}: rejected by `spikemesh run --check`: {msg}")


# ----------------------------------------------------------------------------------------------------------
# results.csv

def _get(d, dotted: str):
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def _leaves(prefix: str, obj, out: dict) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _leaves(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        out[prefix] = obj


def per_image(report: dict) -> tuple[dict, int]:
    """The cost of one image and the number of images. A run of the FSDDIM loop (`fsddim.images` > 0)
    reports per-image results under `fsddim` (`per_image`: a list of {latency_s, energy_j: {total, dynamic,
    static, breakdown}}; `per_image_mean`): the mean over the images, breakdown included. A plain run is one
    'image': the whole-run latency and energy. Dotted leaves, e.g. energy_j.breakdown.core.total."""
    for block in (report.get("fsddim"), report):
        if not isinstance(block, dict):
            continue
        items = block.get("per_image")
        if isinstance(items, list) and items and all(isinstance(i, dict) and "latency_s" in i for i in items):
            flat = [{} for _ in items]
            for f, item in zip(flat, items):
                _leaves("", {"latency_s": item["latency_s"], "energy_j": item.get("energy_j", {})}, f)
            keys = [k for k in flat[0] if all(k in f for f in flat)]
            return {k: sum(f[k] for f in flat) / len(flat) for k in keys}, len(items)
        if isinstance(block.get("per_image_mean"), dict):
            f: dict = {}
            _leaves("", block["per_image_mean"], f)
            n = block.get("images")
            return f, n if isinstance(n, int) and n > 0 else 1
    f = {}
    _leaves("", {"latency_s": report.get("latency_s"), "energy_j": report.get("energy_j", {})}, f)
    return f, 1


# The quality columns and the report.json keys they come from (sim/fsddim_run.cpp writes them under
# fsddim.quality): the mean PSNR over the images whose PSNR is finite, and how many images were identical to
# the ones compared against (infinite PSNR, which JSON cannot hold). psnr_db compares with the exported
# model's images (`fsddim.quality: psnr`), psnr_db_vs_float with the float model's (`fsddim.float_checkpoint`).
QUALITY_COLUMNS = [("psnr_db", "fsddim.quality.psnr_db", "fsddim.quality.identical_images"),
                   ("psnr_db_vs_float", "fsddim.quality.psnr_db_vs_float", "fsddim.quality.identical_to_float")]


def point_results(report: dict) -> dict:
    """The result columns of one finished point."""
    img, images = per_image(report)
    cycles, timesteps = report.get("cycles"), report.get("timesteps")
    chip, mapping = report.get("chip", {}), report.get("mapping", {})
    counters = _get(report, "counters.chip") or {}
    cores_used = mapping.get("cores_used")
    # Per-core counters sit at counters["chip.core_N"] (or nested as counters.chip.core_N).
    cores = {**{k: v for k, v in report.get("counters", {}).items() if re.fullmatch(r"chip\.core_\d+", k)},
             **{k: v for k, v in counters.items() if re.fullmatch(r"core_\d+", k)}}
    busy = [v["busy_cycles"] for v in cores.values() if isinstance(v, dict) and "busy_cycles" in v]
    row = {
        "images": images,
        "latency_s_per_image": img.get("latency_s"),
        "energy_j_per_image": img.get("energy_j.total"),
        "energy_j_dynamic_per_image": img.get("energy_j.dynamic"),
        "energy_j_static_per_image": img.get("energy_j.static"),
        "cycles": cycles,
        "timesteps": timesteps,
        "cycles_per_timestep": cycles / timesteps if cycles is not None and timesteps else None,
        "spikes": counters.get("spikes"),
        "spikes_per_image": counters["spikes"] / images if "spikes" in counters else None,
        "flit_hops": counters.get("flit_hops"),
        "stall_cycles": counters.get("stall_cycles"),
        "cores": chip.get("cores"),
        "cores_used": cores_used,
        # Share of the chip's cores the mapping uses, and how busy the used cores were over the run.
        "core_utilisation": cores_used / chip["cores"] if cores_used is not None and chip.get("cores") else None,
        "busy_fraction": (sum(busy) / (cores_used * cycles)) if busy and cores_used and cycles else None,
    }
    for col, key, identical in QUALITY_COLUMNS:
        row[col] = _get(report, key)
        if row[col] is None and _get(report, identical):
            row[col] = float("inf")   # every image equals the one it is compared with: PSNR is infinite
    # The energy breakdown per component kind (and per event), whatever the table calls them.
    for k, v in img.items():
        if k.startswith("energy_j.breakdown."):
            row["energy_j_per_image." + k[len("energy_j.breakdown."):]] = v
    return row


FIXED_RESULT_COLUMNS = ["images", "latency_s_per_image", "energy_j_per_image", "energy_j_dynamic_per_image",
                        "energy_j_static_per_image", "cycles", "timesteps", "cycles_per_timestep", "spikes",
                        "spikes_per_image", "flit_hops", "stall_cycles", "cores", "cores_used", "core_utilisation",
                        "busy_fraction"]


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return v


def collect(out_dir: Path, sweep: dict, points: list[dict]) -> tuple[list[dict], list[str]]:
    """Writes DIR/results.csv: one row per point in plan order, columns point, status, the swept keys, the
    results (breakdown columns as the reports name them), wall_s, error, and slurm_job_id, slurm_log when
    points ran as Slurm jobs (their latest attempt's job). Returns the rows and columns."""
    rows, breakdown, on_slurm = [], [], False
    for p in points:
        pdir = out_dir / "points" / p["id"]
        row = {"point": p["id"], **{k: p["overrides"].get(k) for k in swept_keys(sweep)}}
        job = pdir / "slurm.json"
        if job.is_file():
            on_slurm = True
            j = json.loads(job.read_text())
            row["slurm_job_id"], row["slurm_log"] = j.get("job_id"), j.get("log")
        report = pdir / "report.json"
        err = pdir / "error.txt"
        if report.is_file():
            row["status"] = "ok"
            res = point_results(json.loads(report.read_text()))
            for k in res:
                if k.startswith("energy_j_per_image.") and k not in breakdown:
                    breakdown.append(k)
            row.update(res)
            timing = pdir / "timing.json"
            if timing.is_file():
                row["wall_s"] = json.loads(timing.read_text()).get("wall_s")
        elif err.is_file():
            row["status"] = "failed"
            lines = err.read_text().strip().splitlines()
            row["error"] = lines[-1] if lines else "failed"
        else:
            row["status"] = "not run"
        rows.append(row)
    quality = [c for c, _, _ in QUALITY_COLUMNS] if sweep["quality"] else []
    columns = (["point", "status"] + swept_keys(sweep) + FIXED_RESULT_COLUMNS + quality + breakdown
               + ["wall_s", "error"] + (["slurm_job_id", "slurm_log"] if on_slurm else []))
    f = io.StringIO(newline="")
    w = csv.writer(f)
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    write_whole(out_dir / "results.csv", f.getvalue())
    return rows, columns


# ----------------------------------------------------------------------------------------------------------

def finished(out: Path, p: dict) -> bool:
    return (out / "points" / p["id"] / "report.json").is_file()


def report_progress(out: Path, seen: int, n_done: int, total: int) -> tuple[int, int]:
    """Prints the points that finished or failed since byte `seen` of DIR/attempts.log."""
    log = out / "attempts.log"
    if not log.is_file():
        return seen, n_done
    with log.open("rb") as f:
        f.seek(seen)
        chunk = f.read()
    end = chunk.rfind(b"\n") + 1   # whole lines only
    for line in chunk[:end].decode().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "done":
            n_done += 1
            print(f"  [{n_done}/{total}] point {parts[1]} finished", flush=True)
        elif len(parts) >= 3 and parts[2] == "failed":
            err = out / "points" / parts[1] / "error.txt"
            last = err.read_text().strip().splitlines()[-1] if err.is_file() and err.read_text().strip() else ""
            print(f"  point {parts[1]} failed: {last}", flush=True)
    return seen + end, n_done


def cancel_submitted_jobs(snakemake_log: Path, start: int, profile: Path) -> None:
    """After Ctrl-C on a cluster: cancel, with the profile's cluster-cancel, every job this run submitted.

    Snakemake 7 cancels only the jobs in its list of active ones, and its status thread takes that list out
    while it asks the scheduler about each job (seconds on a busy controller): a Ctrl-C in that moment
    leaves every queued point running to the end. The job ids are in Snakemake's log ("Submitted job N with
    external jobid 'ID'"); cancelling a job that already ended does nothing (the scheduler says so and the
    message is dropped).
    """
    try:
        with snakemake_log.open("rb") as f:
            f.seek(start)
            text = f.read().decode(errors="replace")
        profile_config = yaml.safe_load((profile / "config.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return
    cancel = profile_config.get("cluster-cancel")
    ids = re.findall(r"with external jobid '([^']+)'", text)
    if not cancel or not ids:
        return
    try:
        subprocess.run([*str(cancel).split(), *ids], capture_output=True, timeout=60, start_new_session=True,
                       cwd=profile)
    except (OSError, subprocess.TimeoutExpired):
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="spikemesh sweep", description=__doc__.split("\n\n")[0],
                                 epilog="The sweep file format: docs/sweeps.md.")
    ap.add_argument("sweep", type=Path, help="sweep file (YAML)")
    ap.add_argument("--out", type=Path, required=True, help="sweep folder (created; rerun with the same one to resume)")
    ap.add_argument("--cores", type=int, default=1, help="points run in parallel on this machine (Snakemake --cores)")
    ap.add_argument("--profile", type=Path, help="Snakemake profile folder for cluster runs "
                                                 "(e.g. configs/sweeps/slurm; see docs/sweeps.md)")
    ap.add_argument("--no-plots", action="store_true", help="write results.csv only")
    ap.add_argument("--dry-run", action="store_true", help="validate, print the points, run nothing")
    args = ap.parse_args(argv)
    if args.cores < 1:
        ap.error("--cores: expected an integer >= 1")
    if args.profile is not None and not (args.profile / "config.yaml").is_file():
        ap.error(f"--profile {args.profile}: no config.yaml in that folder")
    try:
        sweep = load_sweep(args.sweep)
        points = expand(sweep)
    except SweepError as e:
        print(f"spikemesh sweep: error: {e}", file=sys.stderr)
        return 2
    try:
        check_keys(sweep, args.cores)
    except SweepError as e:
        print(f"spikemesh sweep: error: {args.sweep}: {e}", file=sys.stderr)
        return 2
    out = args.out.resolve()
    if args.dry_run:
        for p in points:
            print(p["id"], " ".join(f"{k}={yaml_value(v)}" for k, v in p["overrides"].items()))
        return 0
    (out / "points").mkdir(parents=True, exist_ok=True)
    # One sweep per folder at a time; the lock dies with the process, so a killed sweep never blocks a rerun.
    lock = open(out / ".sweep.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"spikemesh sweep: error: {out} is in use by another sweep", file=sys.stderr)
        return 2
    # A point's id covers only its swept values: the rest of what it ran (base, set, quality) must not change
    # under the results already in DIR. Axes may grow; new values are new points.
    old_plan = out / "sweep.json"
    if old_plan.is_file():
        old = json.loads(old_plan.read_text())
        for key in ("base", "set", "quality", "seed_key"):
            if old.get(key) != sweep[key]:
                print(f"spikemesh sweep: error: {args.sweep}: {key} differs from the sweep already in {out} "
                      f"({old.get(key)!r} there, {sweep[key]!r} now): its finished points would not match; "
                      "use another --out", file=sys.stderr)
                return 2
    plan = {"sweep_file": str(args.sweep.resolve()), "spikemesh": spikemesh_bin(), "python": sys.executable,
            "run_point": str(HERE / "run_point.py"), **sweep,
            "points": [{**p, "run_overrides": run_overrides(sweep, p["overrides"])} for p in points]}
    write_whole(out / "sweep.json", json.dumps(plan, indent=1))
    todo = [p for p in points if not finished(out, p)]
    print(f"spikemesh sweep: {len(points)} points, {len(points) - len(todo)} already finished, {len(todo)} to run",
          flush=True)
    rc = 0
    if todo:
        # Only the unfinished points are asked for, so nothing finished is ever rerun (whatever Snakemake's
        # rerun triggers think of a changed Snakefile); --nolock because the flock above guards the folder
        # and Snakemake's own lock outlives a killed run.
        cmd = ["snakemake", *(f"points/{p['id']}/.snakemake_done" for p in todo), "--snakefile", str(SNAKEFILE),
               "--directory", str(out), "--cores", str(args.cores), "--keep-going", "--rerun-incomplete",
               "--nolock", "--quiet", "--config", f"plan={out / 'sweep.json'}"]
        if args.profile is not None:
            cmd += ["--profile", str(args.profile.resolve())]
        # Snakemake's own chatter goes to DIR/snakemake.log; the console gets one line per finished point.
        log_start = (out / "attempts.log").stat().st_size if (out / "attempts.log").is_file() else 0
        # On one machine the points are Snakemake's children and Ctrl-C reaches them with the terminal's
        # SIGINT (Snakemake's local cancel only waits for them). On a cluster the points are jobs, cancelled
        # by the profile's cluster-cancel, and Snakemake must get exactly one SIGINT, ours: a second one, or
        # one that kills the status command it is running, stops it before it cancels the jobs. So there it
        # runs in a session of its own, out of the terminal's reach.
        snakemake_log_start = (out / "snakemake.log").stat().st_size if (out / "snakemake.log").is_file() else 0
        with (out / "snakemake.log").open("a") as snakelog:
            proc = subprocess.Popen(cmd, stdout=snakelog, stderr=subprocess.STDOUT,
                                    start_new_session=args.profile is not None)
        interrupted = []

        def stop(signum, _frame):
            interrupted.append(signum)
            proc.send_signal(signal.SIGINT)   # Snakemake stops its jobs on SIGINT

        old = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            seen, n_done = log_start, len(points) - len(todo)
            while True:
                try:
                    rc = proc.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    rc = None
                seen, n_done = report_progress(out, seen, n_done, len(points))
                if rc is not None:
                    break
        finally:
            for s, h in old.items():
                signal.signal(s, h)
        if interrupted:
            if args.profile is not None:
                cancel_submitted_jobs(out / "snakemake.log", snakemake_log_start, args.profile)
            rows, _ = collect(out, sweep, points)
            done = sum(r["status"] == "ok" for r in rows)
            print(f"spikemesh sweep: interrupted; {done} of {len(points)} points finished and kept "
                  f"({out / 'results.csv'}); rerun the same command to go on", file=sys.stderr)
            return 130
        attempted = (out / "attempts.log").is_file() and (out / "attempts.log").stat().st_size > log_start
        if rc != 0 and not attempted:   # Snakemake itself failed (a profile, a scheduler): show why
            tail = (out / "snakemake.log").read_text().strip().splitlines()[-15:]
            print(f"spikemesh sweep: snakemake exited with status {rc} ({out / 'snakemake.log'}):\n  "
                  + "\n  ".join(tail), file=sys.stderr)
    rows, _ = collect(out, sweep, points)
    bad = [r for r in rows if r["status"] != "ok"]
    print(f"spikemesh sweep: wrote {out / 'results.csv'} ({len(rows) - len(bad)} ok, {len(bad)} failed or not run)")
    for r in bad:
        print(f"  point {r['point']}: {r['status']}{': ' + r['error'] if r.get('error') else ''}")
    names, front = sweep_front(rows)
    if front:
        better = "energy and latency per image lower" + (f", {names[2]} higher" if len(names) == 3 else "")
        print(f"  Pareto front ({better} is better): {len(front)} point{'s' if len(front) != 1 else ''}")
        for r in front:
            print(f"    point {r['point']}: " + ", ".join(f"{n} {r[n]}" for n in names))
    if not args.no_plots:
        from plots import plot_sweep   # matplotlib only when plotting
        for png in plot_sweep(out, rows, plot_axes(sweep)):
            print(f"  plot {png}")
    return 0 if not bad and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
