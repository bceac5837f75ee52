"""The smoke sweep under each Hydra launcher, side by side: wall time and orderings.

In one call, the smoke profile's ensemble (both datasets, every run) is trained and scored
from scratch through the real `autrainer train` and `aucurriculum curriculum`, once per
launcher, each in a results tree of its own under results/benchmarks/launchers/<launcher>/
(the data is the smoke profile's: data/smoke, made by `make data PROFILE=smoke` first):
  - basic: Hydra's default, one run after another in the command's process;
  - joblib: --jobs runs at once on this machine (loky processes; joblib gives each
    cores / jobs threads);
  - slurm (with --slurm, where a SLURM cluster answers, e.g. tests/services/slurm.sh): one
    job per run, --slurm-cpus cores each.
Printed per launcher: the wall-clock seconds of training and of scoring, the ratio to basic,
and whether each dataset's ordering is byte-identical to basic's. The sweep runs one
`autrainer train` per dataset (two runs each on smoke), so at most two runs overlap.

Run:  .venv/bin/python benchmarks/launchers.py [--jobs 2] [--slurm] [--slurm-cpus 1]
Writes results/benchmarks/launchers.json.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from benchmarks.publish import publish  # noqa: E402
from lib import paths, profiles, scoring, training  # noqa: E402
from lib.launchers import Launcher  # noqa: E402

RESULTS = paths.RESULTS
OUTPUT = RESULTS / "benchmarks" / "launchers.json"


def measure(launcher: Launcher) -> dict:
    """Train and score the smoke ensemble from scratch under one launcher."""
    smoke = profiles.load("smoke")
    ensemble = replace(training.Ensemble.from_parameters(smoke), launcher=launcher)
    scorer = scoring.Scoring.from_parameters(smoke)
    paths.RESULTS = RESULTS / "benchmarks" / "launchers" / launcher.kind
    shutil.rmtree(paths.RESULTS, ignore_errors=True)
    started = time.perf_counter()
    training.train_ensemble("smoke", ensemble, log=lambda line: None, summarise=False)
    trained = time.perf_counter()
    scoring.score_ensemble("smoke", ensemble, scorer, log=lambda line: None)
    scored = time.perf_counter()
    orderings = {d: paths.ordering_file("smoke", d).read_bytes() for d in ensemble.datasets}
    paths.RESULTS = RESULTS
    return {"launcher": launcher.kind, "runs": len(ensemble.runs),
            "train_seconds": round(trained - started, 1),
            "score_seconds": round(scored - trained, 1), "orderings": orderings}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="runs at once under joblib")
    parser.add_argument("--slurm", action="store_true", help="also one SLURM job per run")
    parser.add_argument("--slurm-cpus", type=int, default=1, help="cores of each SLURM job")
    args = parser.parse_args()
    launchers = [Launcher("basic"), Launcher("joblib", jobs=args.jobs)]
    if args.slurm:
        launchers.append(Launcher("slurm", cpus=args.slurm_cpus, memory_gb=2, time_minutes=30))
    rows = []
    for launcher in launchers:
        print(f"{launcher.kind}: training and scoring the smoke sweep ...", flush=True)
        rows.append(measure(launcher))
    basic = rows[0]
    print("\n| launcher | runs | train s | score s | train, x basic | orderings = basic |")
    print("|---|---:|---:|---:|---:|---|")
    for row in rows:
        same = all(row["orderings"][d] == basic["orderings"][d] for d in basic["orderings"])
        row["orderings_identical_to_basic"] = same
        row["train_ratio_to_basic"] = round(row["train_seconds"] / basic["train_seconds"], 2)
        print(f"| {row['launcher']} | {row['runs']} | {row['train_seconds']} | "
              f"{row['score_seconds']} | {row['train_ratio_to_basic']} | "
              f"{'yes' if same else 'no'} |")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps([{k: v for k, v in row.items() if k != "orderings"}
                                  for row in rows], indent=2) + "\n")
    print(f"\nwritten to {paths.relative(OUTPUT)}")
    publish("launchers", "The smoke sweep under each Hydra launcher", pd.DataFrame(
        [{"launcher": row["launcher"], "runs": row["runs"],
          "training s": row["train_seconds"], "scoring s": row["score_seconds"],
          "training, x basic": row["train_ratio_to_basic"],
          "orderings = basic": "yes" if row["orderings_identical_to_basic"] else "no"}
         for row in rows]), "launchers.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
