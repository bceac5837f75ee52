"""A profile's notebooks from scratch, one at a time and two at once, side by side.

In one call, every notebook of the profile runs through the real runner (``python -m lib.run
--jobs N``) once per ``--jobs`` value, each in a results tree of its own under
results/benchmarks/runner_jobs/jobs<N>/ (``COMPENDIUM_RESULTS``; the data is the profile's own,
made by ``make data`` first). Printed per value: the wall-clock minutes, the CPU minutes of the
runner and everything it started, the ratio of each to one at a time, and every result file
whose bytes differ from the one-at-a-time build's (orderings, definitions' scores, review and
per-class tables, and every run's per-epoch outputs): none is the claim that running notebooks
at once changes nothing.

Run:  .venv/bin/python benchmarks/runner_jobs.py [--profile smoke] [--jobs 1 2]
Writes results/benchmarks/runner_jobs.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib import paths  # noqa: E402

#: The results compared between builds, as glob patterns under ``results/<profile>/``: what
#: the chapters compute from the runs (no timings, no figures), and the runs' own outputs.
COMPARED = ("difficulty/**/*.csv", "definitions/**/*.csv", "review/**/*.csv",
            "classes/**/*.csv", "**/train_outputs.npy", "**/dev_outputs.npy")


def _build(profile: str, jobs: int, root: Path) -> dict:
    """Run the profile's notebooks into ``root``; its wall and CPU seconds."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    subprocess.run([sys.executable, "-m", "lib.run", "--profile", profile, "--jobs", str(jobs)],
                   cwd=paths.ROOT, env={**os.environ, "COMPENDIUM_RESULTS": str(root)},
                   check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"jobs": jobs, "wall_s": round(time.time() - started, 1),
            "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime,
                           1)}


def _files(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes()
            for pattern in COMPARED for f in root.glob(pattern) if f.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    base = paths.RESULTS / "benchmarks" / "runner_jobs"
    builds, reference = [], None
    for jobs in args.jobs:
        root = base / f"jobs{jobs}"
        print(f"building {args.profile} with --jobs {jobs} ...", flush=True)
        build = _build(args.profile, jobs, root)
        files = _files(root / args.profile)
        if reference is None:
            reference = files
        build["files_compared"] = len(reference)
        build["differing"] = sorted(name for name in reference.keys() | files.keys()
                                    if reference.get(name) != files.get(name))
        builds.append(build)
    first = builds[0]
    print(f"\n{'jobs':>4} {'wall min':>9} {'ratio':>6} {'CPU min':>8} {'ratio':>6}  "
          f"result files differing from --jobs {first['jobs']}")
    for build in builds:
        print(f"{build['jobs']:>4} {build['wall_s'] / 60:>9.2f} "
              f"{build['wall_s'] / first['wall_s']:>6.2f} {build['cpu_s'] / 60:>8.2f} "
              f"{build['cpu_s'] / first['cpu_s']:>6.2f}  {len(build['differing'])} of "
              f"{build['files_compared']}" + (f": {build['differing'][:3]}"
                                             if build["differing"] else ""))
    out = paths.RESULTS / "benchmarks" / "runner_jobs.json"
    out.write_text(json.dumps({"profile": args.profile, "cores": os.cpu_count(),
                               "builds": builds}, indent=2))
    print(f"written to {paths.relative(out)}")


if __name__ == "__main__":
    main()
