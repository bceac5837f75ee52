"""A profile's notebooks from scratch, one at a time and two at once, side by side.

In one call, every notebook of the profile runs through the real runner (``python -m lib.run
--jobs N``) once per ``--jobs`` value, each in a results tree of its own under
results/benchmarks/runner_jobs/jobs<N>/ (``COMPENDIUM_RESULTS``; the data is the profile's own,
made by ``make data`` first). Printed per value: the wall-clock minutes, the CPU minutes of the
runner and everything it started, the ratio of each to one at a time, and every result file
whose bytes differ from the one-at-a-time build's (orderings, definitions' scores, review and
per-class tables, and every run's per-epoch outputs): none is the claim that running notebooks
at once changes nothing.

Run:  .venv/bin/python benchmarks/runner_jobs.py [--profile smoke] [--jobs 1 2] [--republish]
Writes results/benchmarks/runner_jobs.json; publishes book/measured/runner_jobs.md
(``--republish``: from the saved JSON, building nothing).
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

import pandas as pd  # noqa: E402

from benchmarks.publish import publish  # noqa: E402
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
    parser.add_argument("--republish", action="store_true",
                        help="publish the saved measurement again, building nothing")
    args = parser.parse_args()
    out = paths.RESULTS / "benchmarks" / "runner_jobs.json"
    if not args.republish:
        out.write_text(json.dumps({"profile": args.profile, "cores": os.cpu_count(),
                                   "builds": measure(args.profile, args.jobs)}, indent=2))
        print(f"written to {paths.relative(out)}")
    saved = json.loads(out.read_text())
    report(saved["profile"], saved["builds"])


def measure(profile: str, values: list[int]) -> list[dict]:
    """Each ``--jobs`` value's build, and the result files differing from the first's."""
    base = paths.RESULTS / "benchmarks" / "runner_jobs"
    builds, reference = [], None
    for jobs in values:
        root = base / f"jobs{jobs}"
        print(f"building {profile} with --jobs {jobs} ...", flush=True)
        build = _build(profile, jobs, root)
        files = _files(root / profile)
        if reference is None:
            reference = files
        build["files_compared"] = len(reference)
        build["differing"] = sorted(name for name in reference.keys() | files.keys()
                                    if reference.get(name) != files.get(name))
        builds.append(build)
    return builds


def report(profile: str, builds: list[dict]) -> None:
    """The builds side by side, printed and published."""
    first = builds[0]
    table = pd.DataFrame([{
        "jobs": build["jobs"], "wall minutes": round(build["wall_s"] / 60, 2),
        "wall ratio": round(build["wall_s"] / first["wall_s"], 2),
        "CPU minutes": round(build["cpu_s"] / 60, 2),
        "CPU ratio": round(build["cpu_s"] / first["cpu_s"], 2),
        f"result files differing from --jobs {first['jobs']}":
            f"{len(build['differing'])} of {build['files_compared']}"
            + (f" ({', '.join(build['differing'][:3])})" if build["differing"] else "")}
        for build in builds])
    print("\n" + table.to_string(index=False))
    publish("runner_jobs", f"The {profile} profile's notebooks one at a time and at once",
            table, "runner_jobs.py", notes=(
                f"Every notebook of the `{profile}` profile from scratch through "
                "`python -m lib.run --jobs N`, each build in a results tree of its own; CPU "
                "minutes are the runner's and everything it started. Compared byte for byte: "
                + ", ".join(f"`{p}`" for p in COMPARED) + "."))


if __name__ == "__main__":
    main()
