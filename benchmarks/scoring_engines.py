"""The two scoring engines side by side on the demo's keyword set: time and disk of one run each.

For each model given, the same run (the demo's data, optimiser, schedule, precision, epochs and
seed 1) is trained twice through the real `autrainer train`, in one call of this script:
  - engine aucurriculum: every epoch's model state kept, then `aucurriculum curriculum` scores
    the run (CumulativeAccuracy, stop best);
  - engine in-training: lib.callbacks.ScoredSplitRecorder records the training split after
    every epoch, only the best model state is kept, and the score comes from the
    records.
Printed per model: the wall-clock minutes of each `autrainer train` call (the recorder runs
after the dev evaluation, outside autrainer's own training timer, so the wall clock is what
shows its cost), the scoring minutes of each, the disk of each run folder, and the largest
difference between the two scores of one sample (0 expected). The ratio of the two training
times is what the recorder costs; the aucurriculum pass it replaces is the scoring time of the
first. Everything lives under results/benchmarks/engines/ (the data is the demo's: data/demo,
made by `make data` first); every call trains both runs again, one after the other.

Run:  .venv/bin/python benchmarks/scoring_engines.py [--models Cnn10 Cnn14]
Writes results/benchmarks/scoring_engines.json.
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
from lib import paths, profiles, scoring, toolkit, training  # noqa: E402
from lib.datasets import KEYWORD_SET  # noqa: E402

OUTPUT = paths.RESULTS / "benchmarks" / "scoring_engines.json"
ENGINES = ("aucurriculum", "in-training")


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def profile_for(engine: str, model: str) -> str:
    """A profile name whose results sit under results/benchmarks/engines/, data from demo."""
    return f"benchmarks/engines/{model}-{engine}"


def measure(model: str) -> dict:
    demo = profiles.load("demo")
    ensemble = replace(training.Ensemble.from_parameters(demo), datasets=(KEYWORD_SET,),
                       models=(model,), seeds=(1,), seeds_by_model=())
    row: dict = {"model": model, "epochs": ensemble.settings.epochs}
    scores = {}
    for engine in ENGINES:
        profile = profile_for(engine, model)
        data = paths.dataset_dir(profile, KEYWORD_SET)
        if not data.exists():  # the demo's data, seen from this profile's folder
            data.parent.mkdir(parents=True, exist_ok=True)
            data.symlink_to(paths.dataset_dir("demo", KEYWORD_SET).resolve())
        variant = replace(ensemble, recorded="train" if engine == "in-training" else None,
                          aucurriculum="all" if engine == "aucurriculum" else "none")
        run = variant.runs[0]
        every_epoch = engine == "aucurriculum"
        shutil.rmtree(training.run_dir(profile, run), ignore_errors=True)
        toolkit.write_training_config(profile, [KEYWORD_SET], {model: [1]},
                                      ensemble.settings, record=variant.recorded,
                                      every_epoch=every_epoch)
        print(f"{model}, {engine}: training {ensemble.settings.epochs} epochs ...", flush=True)
        started = time.perf_counter()
        toolkit.train(profile, log_name="train")
        train_minutes = (time.perf_counter() - started) / 60
        folder = training.run_dir(profile, run)
        variant.retain(profile, run)  # as the pipeline does after every run
        started = time.perf_counter()
        scorer = scoring.Scoring(engine=engine)
        if engine == "aucurriculum":
            shutil.rmtree(toolkit.score_run_dir(profile, scorer.function, scorer.subset,
                                                scorer.stop, run.name), ignore_errors=True)
            toolkit.score(profile, scorer.function, {KEYWORD_SET: [run.name]},
                          scorer.stop, scorer.subset, ensemble.settings.device,
                          ensemble.settings.batch_size)
        table = scoring.run_scores(profile, scorer, [run], ensemble.settings.epochs)[
            scoring.short_run(run)]
        score_minutes = (time.perf_counter() - started) / 60
        scores[engine] = table.set_index("sample_id")["sum"] / table.set_index(
            "sample_id")["count"]
        metrics = training.run_metrics(profile, [run]).iloc[0]
        row[engine] = {"train_minutes": round(train_minutes, 2),
                       "autrainer_train_timer_minutes": round(
                           float(metrics["train_seconds"]) / 60, 2),
                       "score_minutes": round(score_minutes, 2),
                       "run_folder_mb": round(folder_mb(folder), 1),
                       "test_accuracy": round(float(metrics["test_accuracy"]), 4)}
        print(f"{model}, {engine}: {row[engine]}", flush=True)
    row["samples"] = len(scores["aucurriculum"])
    row["max_score_difference"] = float(
        (scores["aucurriculum"] - scores["in-training"].loc[scores["aucurriculum"].index])
        .abs().max())
    row["recorder_training_overhead"] = round(
        row["in-training"]["train_minutes"] / row["aucurriculum"]["train_minutes"] - 1, 3)
    row["disk_ratio"] = round(row["aucurriculum"]["run_folder_mb"]
                              / row["in-training"]["run_folder_mb"], 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["Cnn10"], choices=["Cnn10", "Cnn14"])
    args = parser.parse_args()
    rows = [measure(model) for model in args.models]
    print(f"\n{'model':<7}{'engine':<14}{'train min':>10}{'score min':>10}{'run MB':>9}"
          f"{'test acc':>9}")
    for row in rows:
        for engine in ENGINES:
            r = row[engine]
            print(f"{row['model']:<7}{engine:<14}{r['train_minutes']:>10.2f}"
                  f"{r['score_minutes']:>10.2f}{r['run_folder_mb']:>9.1f}"
                  f"{r['test_accuracy']:>9.3f}")
        print(f"{row['model']}: the recorder adds {row['recorder_training_overhead']:.0%} to "
              f"training, the aucurriculum pass it replaces took "
              f"{row['aucurriculum']['score_minutes']:.2f} min; {row['disk_ratio']:.1f} x less "
              f"disk per run; largest score difference over {row['samples']} samples: "
              f"{row['max_score_difference']:.3g}")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"written to {paths.relative(OUTPUT)}")
    publish("scoring_engines", "The two scoring engines on one demo run", pd.DataFrame(
        [{"model": row["model"], "engine": engine,
          "training min": round(row[engine]["train_minutes"], 2),
          "scoring min": round(row[engine]["score_minutes"], 2),
          "run folder MB": round(row[engine]["run_folder_mb"], 1),
          "test accuracy": round(row[engine]["test_accuracy"], 3),
          "largest score difference": row["max_score_difference"]}
         for row in rows for engine in ENGINES]), "scoring_engines.py")


if __name__ == "__main__":
    main()
