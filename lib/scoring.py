"""Score every training sample of a profile's ensemble and write one ordering per dataset.

Two engines give each run's CumulativeAccuracy: ``aucurriculum`` (``aucurriculum
curriculum`` through :mod:`lib.toolkit`, which reloads every epoch's saved model state) and
``in-training`` (the same forward passes, recorded during training by
:class:`lib.callbacks.ScoredSplitRecorder`, so only the model states scoring reads are kept;
aucurriculum still scores each dataset's reference run, for the comparison).
:mod:`lib.difficulty` joins the runs per sample. The ordering files
(``results/<profile>/difficulty/<dataset>_ordering.csv``) are what later chapters read. They are
written only once everything is computed, and atomically, so a failure keeps the old ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from lib import callbacks, difficulty, paths, toolkit, training
from lib.datasets import layout_of, read_named_csv
from lib.profiles import SCORING_FUNCTIONS
from lib.training import Ensemble, Run


@dataclass(frozen=True)
class Scoring:
    """How difficulty is scored: aucurriculum's function, the last checkpoint that enters it
    (``best`` epoch or ``last``), the split whose samples are scored, and the engine
    (``aucurriculum`` or ``in-training``)."""
    function: str = "CumulativeAccuracy"
    stop: str = "best"
    subset: str = "train"
    engine: str = "aucurriculum"

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Scoring":
        """From checked parameters (SCORING, SCORING_STOP, SCORING_SUBSET, SCORING_ENGINE)."""
        return cls(values["SCORING"], values["SCORING_STOP"], values["SCORING_SUBSET"],
                   values["SCORING_ENGINE"])

    def scores_file(self, profile: str, run: Run) -> Path:
        """aucurriculum's scores of one run (``sample_id, label, sum, count``)."""
        return toolkit.score_run_dir(profile, self.function, self.subset, self.stop,
                                     run.name) / "scores.csv"


def short_run(run: Run) -> str:
    """A run's column name in tables: ``Cnn10_s1``."""
    return f"{run.model}_s{run.seed}"


def _runs_by_dataset(runs: list[Run]) -> dict[str, list[Run]]:
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.dataset, []).append(run)
    return grouped


def run_scores(profile: str, scorer: Scoring, runs: list[Run], epochs: int
               ) -> dict[str, pd.DataFrame]:
    """Each run's scores (``sample_id, label, sum, count``) by the scorer's engine, keyed
    ``Cnn10_s1``."""
    if scorer.engine == "in-training":
        return {short_run(run): recorded_scores(profile, run, epochs, scorer.stop, scorer.subset)
                for run in runs}
    return aucurriculum_scores(profile, scorer, runs)


def aucurriculum_scores(profile: str, scorer: Scoring, runs: list[Run]
                        ) -> dict[str, pd.DataFrame]:
    """Each run's scores as aucurriculum wrote them (``scores.csv``), keyed ``Cnn10_s1``."""
    layout = layout_of(runs[0].dataset)
    return {short_run(run): difficulty.read_run_scores(
        scorer.scores_file(profile, run), layout.index_column, layout.target_column)
        for run in runs}


def score_ensemble(profile: str, ensemble: Ensemble, scorer: Scoring,
                   log: Callable[[str], None] = print) -> dict[str, pd.DataFrame]:
    """Score the ensemble's runs with aucurriculum and write each dataset's ordering.

    Checks first that every run finished with all its epochs (one-line error otherwise), so a
    broken run never half-updates the orderings.
    """
    if scorer.function not in SCORING_FUNCTIONS:  # before any work, as a one-line error
        raise difficulty.DifficultyError(f"unknown scoring function {scorer.function!r}; "
                                         f"known: {', '.join(SCORING_FUNCTIONS)}")
    runs = ensemble.runs
    if not runs:
        raise difficulty.DifficultyError("empty ensemble: the profile names no runs")
    by_aucurriculum = runs if scorer.engine == "aucurriculum" else reference_runs(ensemble)
    for run in runs:
        training.check_run(profile, run, ensemble.settings.epochs,
                           "every-epoch" if run in by_aucurriculum else ensemble.retention_of(run),
                           scorer.stop)
        if scorer.engine == "in-training":
            check_records(profile, run, ensemble.settings.epochs)
    grouped = _runs_by_dataset(runs)
    log(f"scoring {len(runs)} runs with {scorer.function} (stop={scorer.stop}, "
        f"subset={scorer.subset}, engine {scorer.engine}) on "
        f"{toolkit.resolve_device(ensemble.settings.device)}")
    if by_aucurriculum:  # none where the records score every run (a sweep point)
        with toolkit.exclusive(profile):
            toolkit.score(profile, scorer.function,
                          {dataset: [r.name for r in rs]
                           for dataset, rs in _runs_by_dataset(by_aucurriculum).items()},
                          scorer.stop, scorer.subset, ensemble.settings.device,
                          ensemble.settings.batch_size,
                          _ScoreProgress(profile, scorer, by_aucurriculum, log),
                          ensemble.launcher, log)
    orderings = {dataset: difficulty.join_runs(run_scores(profile, scorer, dataset_runs,
                                                         ensemble.settings.epochs))
                 for dataset, dataset_runs in grouped.items()}
    for dataset, ordering in orderings.items():
        _write_atomically(ordering, paths.ordering_file(profile, dataset))
        log(f"{dataset}: {len(ordering)} samples ordered -> "
            f"{paths.relative(paths.ordering_file(profile, dataset))}")
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
    file = paths.ordering_file(profile, dataset)
    if not file.is_file():
        raise difficulty.DifficultyError(f"{paths.relative(file)}: ordering missing; run "
                                         "notebooks/02_difficulty first")
    return read_named_csv(file)


def aucurriculum_ensemble(profile: str, scorer: Scoring, dataset: str) -> pd.DataFrame:
    """aucurriculum's own (row-position) ensemble file for a dataset, read as published."""
    file = toolkit.scores_dir(profile, scorer.function, scorer.subset) / \
        f"{toolkit.score_id(scorer.function, dataset)}.csv"
    return difficulty.read_published(file)


# --- The in-training engine: records written during training ---------------------------------

def reference_runs(ensemble: Ensemble) -> list[Run]:
    """The runs that keep every epoch's model state, so aucurriculum can score them too."""
    return [run for run in ensemble.runs if ensemble.keeps_every_epoch(run)]


def check_records(profile: str, run: Run, epochs: int) -> None:
    """One line when a run lacks the in-training record of any of its epochs."""
    folder = training.run_dir(profile, run)
    missing = [e for e in range(1, epochs + 1)
               if not callbacks.record_file(folder, e).is_file()]
    if missing:
        raise difficulty.DifficultyError(
            f"{paths.relative(folder)}: no in-training record of epoch {missing[0]} (trained "
            "before the recorder existed, or with SCORING_ENGINE aucurriculum); score it with "
            "SCORING_ENGINE: aucurriculum, or delete the run folder to train it again")


def run_records(profile: str, run: Run, epochs: int, subset: str = "train",
                split: pd.DataFrame | None = None) -> list[difficulty.EpochOutputs]:
    """A run's per-epoch records of the scored split (eval mode, that epoch's weights), each
    sample named by its id; one line when the run has none or lacks an epoch. ``split`` is the
    split's table as the run saw it (:func:`lib.toolkit.run_split_table`), when already read."""
    check_records(profile, run, epochs)
    folder = training.run_dir(profile, run)
    if split is None:
        split = toolkit.run_split_table(folder, subset)
    ids = split[layout_of(run.dataset).index_column].to_numpy()
    outputs = []
    for epoch in range(1, epochs + 1):
        with np.load(callbacks.record_file(folder, epoch)) as record:
            outputs.append(difficulty.EpochOutputs(
                epoch, ids[record["position"]], record["true_probability"],
                record["predicted"] == record["target"]))
    return outputs


def stop_epoch(profile: str, run: Run, stop: str, epochs: int) -> int:
    """The last epoch that enters a run's score: its best epoch, or its last."""
    return int(training.best_record(training.run_dir(profile, run))["iteration"]) \
        if stop == "best" else epochs


def recorded_scores(profile: str, run: Run, epochs: int, stop: str, subset: str = "train"
                    ) -> pd.DataFrame:
    """One run's CumulativeAccuracy from its records, as aucurriculum's ``scores.csv`` gives it:
    ``sample_id, label, sum`` (epochs right, 1..``stop``) ``, count`` (epochs counted)."""
    last = stop_epoch(profile, run, stop, epochs)
    split = toolkit.run_split_table(training.run_dir(profile, run), subset)
    outputs = [o for o in run_records(profile, run, epochs, subset, split) if o.epoch <= last]
    correct = pd.concat([pd.Series(o.correct.astype(float), index=o.sample_id)
                         for o in outputs], axis=1)
    layout = layout_of(run.dataset)
    labels = split.set_index(layout.index_column)[layout.target_column]
    return pd.DataFrame({"sample_id": correct.index, "label": labels.loc[correct.index].values,
                         "sum": correct.sum(axis=1).values,
                         "count": correct.notna().sum(axis=1).values})


def engine_agreement(profile: str, ensemble: Ensemble, scorer: Scoring) -> pd.DataFrame:
    """For every run scored both ways: the largest difference, over its samples, between the
    in-training CumulativeAccuracy and aucurriculum's (a row per run)."""
    rows = []
    for run in reference_runs(ensemble):
        theirs = aucurriculum_scores(profile, scorer, [run])[short_run(run)]
        ours = recorded_scores(profile, run, ensemble.settings.epochs, scorer.stop, scorer.subset)
        joined = ours.merge(theirs, on="sample_id", suffixes=("", "_aucurriculum"))
        difference = (joined["sum"] / joined["count"]
                      - joined["sum_aucurriculum"] / joined["count_aucurriculum"]).abs()
        rows.append({"dataset": run.dataset, "run": short_run(run), "samples": len(joined),
                     "max_difference": float(difference.max())})
    return pd.DataFrame(rows)


def run_eval_dynamics(profile: str, run: Run, epochs: int, stop: str,
                      subset: str = "train") -> pd.DataFrame:
    """Training dynamics of one run from its in-training records (eval mode, each epoch's final
    weights): the columns of :func:`run_dynamics` (train mode), at no extra forward pass."""
    table = difficulty.dynamics(run_records(profile, run, epochs, subset),
                                stop_epoch(profile, run, stop, epochs))
    table.insert(1, "run", short_run(run))
    return table


# --- Training dynamics from autrainer's per-epoch outputs ------------------------------------

def run_dynamics(profile: str, run: Run, epochs: int, stop: str) -> pd.DataFrame:
    """Training dynamics of one run, per training sample (see :func:`difficulty.dynamics`)."""
    folder = training.run_dir(profile, run)
    layout = layout_of(run.dataset)
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
        tables[dataset] = pd.concat([run_dynamics(profile, run, ensemble.settings.epochs, stop)
                                     for run in runs], ignore_index=True)
        _write_atomically(tables[dataset], paths.dynamics_file(profile, dataset))
    return tables
