"""Training again, and the yardstick to judge it by: what pruning and curricula share.

A point is a few runs trained again under one change (a pruning rule and share, a curriculum)
on the first model of the main ensemble, with some of its seeds; it is compared with the main
ensemble's own runs of the same model and seeds (:func:`baseline`), seed against seed. How far
runs on the same data differ by seed alone (:func:`reseeded`, :func:`seed_spread`) sizes the
smallest difference that counts (:func:`yardstick`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from lib import classes, significance, training
from lib.training import Ensemble, Run


class RetrainingError(ValueError):
    """A point that cannot be compared with the main ensemble; one line."""


@dataclass(frozen=True)
class Point:
    """Runs trained again under one change, or the main ensemble's runs they are compared with;
    a chapter's point adds what the change was (:meth:`identity`)."""
    profile: str             # where its runs live
    runs: tuple[Run, ...]

    def identity(self) -> dict[str, Any]:
        """The columns naming the point in its tables."""
        return {}

    def metrics(self) -> pd.DataFrame:
        """A row per run: dataset, model, seed, test accuracy, training seconds."""
        table = training.run_metrics(self.profile, list(self.runs))
        return table[["dataset", "model", "seed", "test_accuracy", "train_seconds"]].assign(
            **self.identity())

    def correct(self) -> pd.DataFrame:
        """A row per test clip (its sample id, as text) and a column per seed: 1 where the
        run's best checkpoint names the clip's label, else 0."""
        columns = {}
        for run in self.runs:
            found = classes.predictions(self.profile, run, "test")
            found.index = found["sample_id"].astype(str)
            columns[run.seed] = (found["predicted"] == found["label"]).astype(float)
        return pd.DataFrame(columns)

    def recalls(self) -> pd.DataFrame:
        """Test recall per class and run (``seed``, ``label``, ``recall``), from the runs' saved
        test outputs."""
        return pd.concat([classes.recall_per_class(classes.predictions(self.profile, run, "test"))
                          .reset_index().assign(seed=run.seed, **self.identity())
                          for run in self.runs], ignore_index=True)


def small(ensemble: Ensemble, dataset: str, seeds: list[int]) -> Ensemble:
    """The first of the ensemble's models x ``seeds`` on one dataset, trained as the ensemble
    but without the in-training recorder and keeping no model state: a point is judged by its
    test accuracy and saved outputs, and is never scored (the recorder's pass over the training
    set is a fifth of a run's time)."""
    return replace(ensemble, datasets=(dataset,), models=ensemble.models[:1],
                   seeds=tuple(seeds), seeds_by_model=(), recorded=None, aucurriculum="none",
                   retention="none")


def baseline(profile: str, ensemble: Ensemble, dataset: str, seeds: list[int]) -> tuple[Run, ...]:
    """The main ensemble's runs of its first model and ``seeds``: what each point is compared
    with, checked to be there."""
    model = ensemble.models[0]
    missing = sorted(set(seeds) - set(ensemble.seeds_of(model)))
    if missing:
        raise RetrainingError(f"seed {missing[0]} is not a seed of {model} in the main "
                              f"ensemble ({list(ensemble.seeds_of(model))}), so it has no "
                              "run to compare with")
    runs = small(ensemble, dataset, seeds).runs
    for run in runs:
        training.check_run(profile, run, 0, "none")
    return tuple(runs)


def reseeded_runs(ensemble: Ensemble, dataset: str) -> list[Run]:
    """The main ensemble's runs of its first model on ``dataset``, one per seed."""
    return [run for run in ensemble.runs_of(dataset) if run.model == ensemble.models[0]]


def reseeded(profile: str, ensemble: Ensemble, dataset: str) -> pd.Series:
    """Test accuracy of each of the main ensemble's runs of the first model, by seed: how far
    runs on the same data differ by seed alone."""
    return training.run_metrics(profile, reseeded_runs(ensemble, dataset)).set_index(
        "seed")["test_accuracy"]


def seed_spread(accuracies: pd.Series) -> float:
    """The standard deviation of test accuracy over runs that differ by seed alone (NaN for
    one run)."""
    return float(accuracies.std()) if len(accuracies) > 1 else float("nan")


def yardstick(spread: float, seeds: int, test_clips: int) -> float:
    """How far a point's mean test accuracy over ``seeds`` seeds must move from the mean of
    the comparison runs of the same seeds to count beyond reseeding: twice its expected
    spread when runs differ by seed alone (a difference of two means over k seeds spreads
    sqrt(2 / k) times as much as one run, whose spread is ``spread``), or two test clips if
    larger (``spread`` NaN, one run: two test clips)."""
    noise = spread * (2 / seeds) ** 0.5 if spread == spread else 0.0
    return round(max(2 * noise, 2 / max(test_clips, 1)), 3)


def accuracy_over_seeds(metrics: pd.DataFrame, paired: pd.Series) -> dict[str, float]:
    """One point's test accuracy over its runs (:meth:`Point.metrics` rows, one per seed):
    ``runs``, mean, ``std``, ``low`` and ``high``, the mean ``difference`` from ``paired`` (the
    test accuracy by seed of the runs it is compared with, same seed against same seed) and
    ``minutes_per_run`` of training. The row of the pruning and the curricula tables."""
    accuracy = metrics.set_index("seed")["test_accuracy"]
    return {"runs": len(accuracy), "test_accuracy": accuracy.mean(), "std": accuracy.std(),
            "low": accuracy.min(), "high": accuracy.max(),
            "difference": (accuracy - paired.reindex(accuracy.index)).mean(),
            "minutes_per_run": metrics["train_seconds"].mean() / 60}


def paired_clips(point: Point, compared: Point) -> dict[str, float]:
    """The point against the runs it is compared with, on the same test clips and the seeds
    both have: per clip, the share of the point's runs that are right minus the share of the
    compared runs; their mean (the change of test accuracy), its 90 % bootstrap interval over
    clips and the two-sided sign-flip ``paired_p``. Clips are joined on their sample id."""
    mine, theirs = point.correct(), compared.correct()
    seeds = [seed for seed in mine.columns if seed in theirs.columns]
    joined = mine[seeds].join(theirs[seeds], how="inner", lsuffix="_point", rsuffix="_compared")
    if not seeds or joined.empty:
        raise RetrainingError(f"a point and the runs it is compared with share no "
                              f"{'seed' if not seeds else 'test clip'}: seeds "
                              f"{list(mine.columns)} against {list(theirs.columns)}")
    differences = (joined[[f"{seed}_point" for seed in seeds]].to_numpy().mean(axis=1)
                   - joined[[f"{seed}_compared" for seed in seeds]].to_numpy().mean(axis=1))
    low, high = significance.mean_interval(differences)
    return {"paired_low": low, "paired_high": high,
            "paired_p": significance.sign_flip_p(differences), "paired_clips": len(differences)}


def shown_over_seeds(table: pd.DataFrame) -> dict[str, Any]:
    """The book's columns of a table of :func:`accuracy_over_seeds` rows, three decimals (a
    range only where there are several seeds)."""
    return {"runs": table["runs"],
            "test accuracy": table["test_accuracy"].map("{:.3f}".format),
            "lowest–highest seed": [f"{r.low:.3f}–{r.high:.3f}" if r.runs > 1 else "one seed"
                                    for r in table.itertuples()],
            "difference, same seed": table["difference"].map("{:+.3f}".format),
            "paired 90 % interval, same clips": [
                "" if first else f"{r.paired_low:+.3f} to {r.paired_high:+.3f}"
                for first, r in zip(table.index == table.index[0], table.itertuples())],
            "p (paired)": table["paired_p"].where(table.index != table.index[0]),
            "training min per run": table["minutes_per_run"].map("{:.1f}".format)}
