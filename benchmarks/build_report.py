"""What a profile's build took: each notebook's time, the disk of each results folder, and the
test suite's count and time, published for the book's *Measured* page.

Reads what the build already recorded, so it costs nothing to run: the runner's stamps
(``results/<profile>/notebooks/.stamps``: each notebook's last successful run and its
seconds), the size of every folder under ``results/<profile>/``, and, with ``--pytest-log``,
pytest's closing line of a ``make test`` run. ``--wall-seconds`` adds the measured wall time
of the whole command (``make book`` from a fresh clone, say), ``--note`` a sentence on how it
was run. Writes ``results/benchmarks/build_<profile>.json`` and ``book/measured/build_<profile>.md``.

Run:  .venv/bin/python benchmarks/build_report.py --profile demo [--pytest-log LOG]
      [--wall-seconds N] [--note TEXT]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.publish import publish  # noqa: E402
from lib import paths, run  # noqa: E402


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``, each hard-linked file counted once."""
    seen, total = set(), 0
    for file in folder.rglob("*"):
        if file.is_file() and not file.is_symlink():
            stat = file.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total


def notebook_times(profile: str) -> pd.DataFrame:
    """Each notebook's last successful run: when it started and its seconds."""
    stamps = paths.executed_notebooks_dir(profile) / ".stamps"
    rows = []
    for notebook in run.notebooks():
        stamp = stamps / f"{notebook.stem}.json"
        if stamp.is_file():
            record = json.loads(stamp.read_text())
            rows.append({"step": notebook.name, "minutes": round(record["seconds"] / 60, 2),
                         "started": record["started"].replace("T", " ")[:16]})
    return pd.DataFrame(rows)


def pytest_summary(log: Path) -> dict:
    """Counts and seconds from pytest's closing line (``N passed, M failed ... in S s``)."""
    line = next((line for line in reversed(log.read_text(errors="replace").splitlines())
                 if re.search(r"\d+ (passed|failed)", line) and " in " in line), "")
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", line)}
    seconds = re.search(r" in ([\d.]+)s", line)
    return {**counts, "seconds": float(seconds.group(1)) if seconds else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--pytest-log", type=Path, help="output of a `make test` run")
    parser.add_argument("--wall-seconds", type=float, help="wall time of the whole command")
    parser.add_argument("--note", default="", help="how the build was run, in a sentence")
    args = parser.parse_args(argv)
    times = notebook_times(args.profile)
    if times.empty:
        print(f"error: no finished notebook of profile {args.profile} "
              f"({paths.relative(paths.executed_notebooks_dir(args.profile))})", file=sys.stderr)
        return 1
    root = paths.results_dir(args.profile)
    disk = {folder.name: round(folder_bytes(folder) / 1e6, 1)
            for folder in sorted(root.iterdir()) if folder.is_dir()}
    tests = pytest_summary(args.pytest_log) if args.pytest_log else None
    table = pd.concat([times.drop(columns="started"), pd.DataFrame(
        [{"step": "all notebooks", "minutes": round(times["minutes"].sum(), 2)}]
        + ([{"step": "whole command (wall)", "minutes": round(args.wall_seconds / 60, 2)}]
           if args.wall_seconds else [])
        + ([{"step": f"tests: {tests.get('passed', 0)} passed, {tests.get('failed', 0)} "
                     "failed", "minutes": round(tests["seconds"] / 60, 2)}]
           if tests and tests["seconds"] else []))], ignore_index=True)
    disk_table = pd.DataFrame([{"folder": f"results/{args.profile}/{name}", "MB": mb}
                               for name, mb in disk.items()]
                              + [{"folder": f"results/{args.profile}", "MB": round(sum(disk.values()), 1)}])
    output = paths.RESULTS / "benchmarks" / f"build_{args.profile}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"profile": args.profile, "notebooks": times.to_dict("records"),
                                  "disk_mb": disk, "tests": tests,
                                  "wall_seconds": args.wall_seconds, "note": args.note},
                                 indent=2) + "\n")
    print(table.to_string(index=False), "\n", disk_table.to_string(index=False))
    publish(f"build_{args.profile}", f"The `{args.profile}` build: time and disk", table,
            "build_report.py",
            f"{args.note}\n\nDisk, each file once (hard links shared by the pruning and sweep "
            f"copies counted once):\n\n{disk_table.to_markdown(index=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
