"""Score every training sample of a profile's ensemble and write one ordering per dataset.

aucurriculum computes each run's CumulativeAccuracy (``aucurriculum curriculum``, through
:mod:`lib.toolkit`); :mod:`lib.difficulty` joins the runs per sample. The ordering files
(``results/<profile>/difficulty/<dataset>_ordering.csv``) are what later chapters read. They are
written only once everything is computed, and atomically, so a failure keeps the old ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from lib import difficulty, paths, toolkit, training
from lib.datasets import LAYOUTS
from lib.training import Ensemble, Run


@dataclass(frozen=True)
class Scoring:
    """How difficulty is scored: aucurriculum's function, the last checkpoint that enters it
    (``best`` epoch or ``last``) and the split whose samples are scored."""
    function: str = "CumulativeAccuracy"
    stop: str = "best"
    subset: str = "train"

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Scoring":
        """From checked parameters (SCORING, SCORING_STOP, SCORING_SUBSET)."""
        return cls(values["SCORING"], values["SCORING_STOP"], values["SCORING_SUBSET"])

    def scores_file(self, profile: str, run: Run) -> Path:
        """aucurriculum's scores of one run (``sample_id, label, sum, count``)."""
        return toolkit.score_run_dir(profile, self.function, self.subset, self.stop,
                                     run.name) / "scores.csv"


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


def run_scores(profile: str, scorer: Scoring, runs: list[Run]) -> dict[str, pd.DataFrame]:
    """Each run's aucurriculum scores (``sample_id, label, sum, count``), keyed ``Cnn10_s1``."""
    layout = LAYOUTS[runs[0].dataset]
    return {short_run(run): difficulty.read_run_scores(
        scorer.scores_file(profile, run), layout.index_column, layout.target_column)
        for run in runs}


def score_ensemble(profile: str, ensemble: Ensemble, scorer: Scoring,
                   log: Callable[[str], None] = print) -> dict[str, pd.DataFrame]:
    """Score the ensemble's runs with aucurriculum and write each dataset's ordering.

    Checks first that every run finished with all its epochs (one-line error otherwise), so a
    broken run never half-updates the orderings.
    """
    if scorer.function not in toolkit.SCORES:
        raise difficulty.DifficultyError(f"unknown scoring function {scorer.function!r}; "
                                         f"known: {', '.join(toolkit.SCORES)}")
    runs = ensemble.runs
    if not runs:
        raise difficulty.DifficultyError("empty ensemble: the profile names no runs")
    for run in runs:
        training.check_run(profile, run, ensemble.epochs)
    grouped = _runs_by_dataset(runs)
    log(f"scoring {len(runs)} runs with {scorer.function} (stop={scorer.stop}, "
        f"subset={scorer.subset}) on {toolkit.resolve_device(ensemble.device)}")
    with toolkit.exclusive(profile):
        toolkit.score(profile, scorer.function,
                      {dataset: [r.name for r in rs] for dataset, rs in grouped.items()},
                      scorer.stop, scorer.subset, ensemble.device, ensemble.batch_size,
                      _ScoreProgress(profile, scorer, runs, log))
    orderings = {dataset: difficulty.ensemble(run_scores(profile, scorer, dataset_runs))
                 for dataset, dataset_runs in grouped.items()}
    for dataset, ordering in orderings.items():
        _write_atomically(ordering, ordering_file(profile, dataset))
        log(f"{dataset}: {len(ordering)} samples ordered -> "
            f"{paths.relative(ordering_file(profile, dataset))}")
    return orderings


class _ScoreProgress:
    """A line per run as aucurriculum finishes scoring it."""

    def __init__(self, profile: str, scorer: Scoring, runs: list[Run],
                 log: Callable[[str], None]) -> None:
        self.files = {run.label: scorer.scores_file(profile, run) for run in runs}
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


def aucurriculum_ensemble(profile: str, scorer: Scoring, dataset: str) -> pd.DataFrame:
    """aucurriculum's own (row-position) ensemble file for a dataset, read as published."""
    file = toolkit.scores_dir(profile, scorer.function, scorer.subset) / \
        f"{toolkit.score_id(scorer.function, dataset)}.csv"
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


def ensemble_dynamics(profile: str, ensemble: Ensemble, stop: str) -> dict[str, pd.DataFrame]:
    """Dynamics of every run up to its ``stop`` epoch (``best`` | ``last``), long format per
    dataset; written next to the orderings."""
    tables = {}
    for dataset, runs in _runs_by_dataset(ensemble.runs).items():
        tables[dataset] = pd.concat([run_dynamics(profile, run, ensemble.epochs, stop)
                                     for run in runs], ignore_index=True)
        _write_atomically(tables[dataset], dynamics_file(profile, dataset))
    return tables
