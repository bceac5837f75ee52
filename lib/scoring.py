"""Score every training sample of a profile's ensemble and write one ordering per dataset.

aucurriculum computes each run's CumulativeAccuracy (``aucurriculum curriculum``, through
:mod:`lib.toolkit`); :mod:`lib.difficulty` joins the runs per sample. The ordering files
(``results/<profile>/difficulty/<dataset>_ordering.csv``) are what later chapters read. They are
written only once everything is computed, and atomically, so a failure keeps the old ones.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lib import difficulty, paths, toolkit, training
from lib.datasets import LAYOUTS
from lib.training import Run

def ordering_file(profile: str, dataset: str) -> Path:
    return paths.difficulty_dir(profile) / f"{dataset}_ordering.csv"


def dynamics_file(profile: str, dataset: str) -> Path:
    return paths.difficulty_dir(profile) / f"{dataset}_dynamics.csv"


def short_run(run: Run) -> str:
    """A run's column name in tables: ``Cnn10_s1``."""
    return f"{run.model}_s{run.seed}"


def _runs_by_dataset(runs: list[Run]) -> dict[str, list[Run]]:
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.dataset, []).append(run)
    return grouped


def run_scores(profile: str, params: dict[str, Any], runs: list[Run]) -> dict[str, pd.DataFrame]:
    """Each run's aucurriculum scores (``sample_id, label, sum, count``), keyed ``Cnn10_s1``."""
    layout = LAYOUTS[runs[0].dataset]
    return {short_run(run): difficulty.read_run_scores(
        toolkit.score_run_dir(profile, params["SCORING"], params["SCORING_SUBSET"],
                              params["SCORING_STOP"], run.name) / "scores.csv",
        layout.index_column, layout.target_column) for run in runs}


def score_ensemble(profile: str, params: dict[str, Any],
                   log: Callable[[str], None] = print) -> dict[str, pd.DataFrame]:
    """Score the profile's runs with aucurriculum and write each dataset's ordering.

    Checks first that every run finished with all its epochs (one-line error otherwise), so a
    broken run never half-updates the orderings.
    """
    if params["SCORING"] not in toolkit.SCORES:
        raise difficulty.DifficultyError(f"unknown scoring function {params['SCORING']!r}; "
                                         f"known: {', '.join(toolkit.SCORES)}")
    runs = training.planned_runs(params)
    if not runs:
        raise difficulty.DifficultyError("empty ensemble: the profile names no runs")
    for run in runs:
        training.check_run(profile, run, params["EPOCHS"])
    grouped = _runs_by_dataset(runs)
    log(f"scoring {len(runs)} runs with {params['SCORING']} (stop={params['SCORING_STOP']}, "
        f"subset={params['SCORING_SUBSET']}) on {toolkit.resolve_device(params['DEVICE'])}")
    with toolkit.exclusive(profile):
        toolkit.score(profile, params["SCORING"],
                      {dataset: [r.name for r in rs] for dataset, rs in grouped.items()},
                      params["SCORING_STOP"], params["SCORING_SUBSET"], params["DEVICE"],
                      params["BATCH_SIZE"], _ScoreProgress(profile, params, runs, log))
    orderings = {dataset: difficulty.ensemble(run_scores(profile, params, dataset_runs))
                 for dataset, dataset_runs in grouped.items()}
    for dataset, ordering in orderings.items():
        _write_atomically(ordering, ordering_file(profile, dataset))
        log(f"{dataset}: {len(ordering)} samples ordered -> "
            f"{paths.relative(ordering_file(profile, dataset))}")
    return orderings


class _ScoreProgress:
    """A line per run as aucurriculum finishes scoring it."""

    def __init__(self, profile: str, params: dict[str, Any], runs: list[Run],
                 log: Callable[[str], None]) -> None:
        self.files = {run.label: toolkit.score_run_dir(
            profile, params["SCORING"], params["SCORING_SUBSET"], params["SCORING_STOP"],
            run.name) / "scores.csv" for run in runs}
        self.log = log
        self.seen = {label for label, file in self.files.items() if file.is_file()}
        if self.seen:
            log(f"    {len(self.seen)} of {len(runs)} runs already scored; reusing them")

    def __call__(self) -> None:
        for label, file in self.files.items():
            if label not in self.seen and file.is_file():
                self.seen.add(label)
                self.log(f"[{len(self.seen)}/{len(self.files)}] scored {label}")


def agreement_scores(per_run: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per sample: every run's own score, then the ensemble of each model's runs."""
    by_model: dict[str, list[str]] = {}
    for name in per_run:
        by_model.setdefault(name.split("_s")[0], []).append(name)
    runs = difficulty.group_scores(per_run, {name: [name] for name in per_run})
    models = difficulty.group_scores(per_run, {f"{m} ensemble": rs for m, rs in by_model.items()})
    return runs.join(models)


def write_summary(profile: str, numbers: dict[str, Any]) -> Path:
    """Key numbers of the difficulty chapter, for tests and the book."""
    file = paths.difficulty_dir(profile) / "summary.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(numbers, indent=2, default=float) + "\n")
    return file


def _write_atomically(table: pd.DataFrame, file: Path) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_suffix(".partial")
    table.to_csv(partial, index=False)
    partial.replace(file)


def read_ordering(profile: str, dataset: str) -> pd.DataFrame:
    file = ordering_file(profile, dataset)
    if not file.is_file():
        raise difficulty.DifficultyError(f"{paths.relative(file)}: ordering missing; run "
                                         "notebooks/02_difficulty first")
    return pd.read_csv(file)


def aucurriculum_ensemble(profile: str, params: dict[str, Any], dataset: str) -> pd.DataFrame:
    """aucurriculum's own (row-position) ensemble file for a dataset, read as published."""
    file = toolkit.scores_dir(profile, params["SCORING"], params["SCORING_SUBSET"]) / \
        f"{toolkit.score_id(params['SCORING'], dataset)}.csv"
    return difficulty.read_published(file)


# --- Training dynamics from autrainer's per-epoch outputs ------------------------------------

def run_dynamics(profile: str, run: Run, epochs: int, stop: str) -> pd.DataFrame:
    """Training dynamics of one run, per training sample (see :func:`difficulty.dynamics`)."""
    folder = training.run_dir(profile, run)
    layout = LAYOUTS[run.dataset]
    ids = toolkit.run_split_table(folder, "train")[layout.index_column].to_numpy()
    outputs = []
    for epoch in range(1, epochs + 1):
        files = toolkit.epoch_outputs_files(folder, epoch)
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise training.RunError(f"{paths.relative(folder)}: epoch {epoch} outputs missing "
                                    f"({', '.join(missing)})")
        logits, targets, positions = (np.load(f) for f in files)
        outputs.append(difficulty.epoch_outputs(epoch, ids[positions], logits, targets))
    stop_epoch = int(training.best_record(folder)["iteration"]) if stop == "best" else epochs
    table = difficulty.dynamics(outputs, stop_epoch)
    table.insert(1, "run", short_run(run))
    return table


def ensemble_dynamics(profile: str, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Dynamics of every run, long format per dataset; written next to the orderings."""
    tables = {}
    for dataset, runs in _runs_by_dataset(training.planned_runs(params)).items():
        tables[dataset] = pd.concat([run_dynamics(profile, run, params["EPOCHS"],
                                                  params["SCORING_STOP"]) for run in runs],
                                    ignore_index=True)
        _write_atomically(tables[dataset], dynamics_file(profile, dataset))
    return tables
