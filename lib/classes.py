"""Class-level analysis: how hard each class is, against how well it is recognised.

Per class and run, recall on the training split (the run's best checkpoint, evaluated in eval
mode on the training samples) and on the test split (autrainer's own test predictions of that
checkpoint). Mean difficulty is the mean ensemble rank of the class's training samples (0 =
easiest, 1 = hardest). The correlations are the paper's ``class_correlation.csv``: Spearman
over classes between train and test recall (on the recalls averaged over runs, and per run as
mean ± std), and between mean difficulty and test recall.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy import stats

from lib import callbacks, data, groundtruth, paths, scoring, significance, toolkit, training
from lib.datasets import layout_of, read_named_csv
from lib.record import DIFFICULTY_TEST, Classes, Training
from lib.training import Run

#: The bases of the paper's ``class_correlation.csv``, in its order.
CORRELATIONS = ("Train - Test correlation",
                "Train - Test correlation (over single train recalls)",
                DIFFICULTY_TEST)


def _prediction_source(folder: Path, subset: str) -> Path:
    """Where a run's best-checkpoint predictions on a split come from: autrainer's saved test
    outputs; the in-training record of the best epoch, where the run recorded that split (the
    same eval-mode forward pass with the same weights, so no pass is run again); otherwise the
    best checkpoint itself."""
    if subset == "test":
        return toolkit.test_outputs_files(folder)[0]
    record = callbacks.record_file(folder, int(training.best_record(folder)["iteration"]))
    if callbacks.recorded_subset(folder) == subset and record.is_file():
        return record
    return toolkit.best_checkpoint(folder)


def predictions(profile: str, run: Run, subset: str, device: str = "cpu") -> pd.DataFrame:
    """Per sample of a split: ``sample_id``, ``label`` and the best checkpoint's ``predicted``
    (from :func:`_prediction_source`). Cached per run, and recomputed when the source is newer
    than the cache.
    """
    folder = training.run_dir(profile, run)
    cache = paths.predictions_file(profile, run.name, subset)
    source = _prediction_source(folder, subset)
    if cache.is_file() and cache.stat().st_mtime_ns > source.stat().st_mtime_ns:
        return read_named_csv(cache, ("predicted",), keep_default_na=False)
    layout = layout_of(run.dataset)
    table = toolkit.run_split_table(folder, subset)
    labels = np.asarray(toolkit.run_labels(folder))
    if subset == "test":
        logits = np.load(source)
        positions = np.load(toolkit.test_outputs_files(folder)[2])
        predicted = pd.Series(labels[logits.argmax(axis=1)], index=positions)
        predicted = predicted.sort_index().to_numpy()
    elif source.suffix == ".npz":
        with np.load(source) as record:
            predicted = np.empty(len(table), dtype=object)
            predicted[record["position"]] = labels[record["predicted"]]
    else:
        model = toolkit.RunModel(folder, device=device)
        features = [np.load(toolkit.features_file(profile, run.dataset, sample_id))
                    for sample_id in table[layout.index_column]]
        predicted = labels[model.probabilities(features).argmax(axis=1)]
    result = pd.DataFrame({"sample_id": table[layout.index_column].to_numpy(),
                           "label": table[layout.target_column].astype(str).to_numpy(),
                           "predicted": predicted})
    cache.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(cache, lambda partial: result.to_csv(partial, index=False))
    return result


def train_accuracy(profile: str, run: Run, device: str = "cpu") -> dict[str, float]:
    """Accuracy of the run's best checkpoint (eval mode) on its own training samples: on all of
    them, and on the genuine ones only where the set records injected samples (a flipped label
    or a non-speech clip "recognised" correctly would be memorised, not learned)."""
    table = predictions(profile, run, "train", device).set_index("sample_id")
    hits = table["predicted"].astype(str) == table["label"].astype(str)
    result = {Training.ALL: float(hits.mean())}
    kinds = data.sample_kinds(profile, run.dataset)
    if kinds is not None:
        result[Training.GENUINE] = float(hits[kinds.reindex(hits.index) == groundtruth.GENUINE]
                                         .mean())
    return result


def recall_per_class(table: pd.DataFrame) -> pd.Series:
    """Recall of each class: the share of its samples predicted as that class."""
    hits = table["predicted"].astype(str) == table["label"].astype(str)
    return hits.groupby(table["label"].astype(str)).mean().rename("recall")


def run_recalls(profile: str, runs: list[Run], device: str = "cpu",
                log: Callable[[str], None] = print) -> pd.DataFrame:
    """Long table: ``run``, ``subset``, ``label``, ``recall`` for every run and split."""
    rows = []
    for run in runs:
        for subset in ("train", "test"):
            recall = recall_per_class(predictions(profile, run, subset, device))
            rows.append(pd.DataFrame({"run": scoring.short_run(run), "subset": subset,
                                      "label": recall.index, "recall": recall.to_numpy()}))
        log(f"{run.label}: recall per class on train and test")
    return pd.concat(rows, ignore_index=True)


def overview(recalls: pd.DataFrame, ordering: pd.DataFrame) -> pd.DataFrame:
    """Per class: mean train and test recall over runs (with std), and mean difficulty.

    Columns follow the paper's ``class_overview.csv`` (``labels`` as the index name).
    """
    table = recalls.pivot_table(index="label", columns="subset", values="recall",
                                aggfunc=["mean", "std"])
    ranks = ordering["rank"].groupby(ordering["label"].astype(str))
    result = pd.DataFrame({
        "train_recall": table[("mean", "train")], "test_recall": table[("mean", "test")],
        "mean_difficulty": ranks.mean(),
        "train_recall_std": table[("std", "train")], "test_recall_std": table[("std", "test")],
        "train_samples": ranks.size()})
    result.index.name = "labels"
    return result.sort_index()


def correlations(by_class: pd.DataFrame, recalls: pd.DataFrame) -> pd.DataFrame:
    """The paper's ``class_correlation.csv`` (``Base``, ``Spearmanr``, ``STD``) with the number
    of classes ``n`` and a two-sided ``p`` (exact over permutations for few classes).

    "over single train recalls" pairs each run's train recall with the same run's test recall
    and reports mean ± std over runs; its spread is the STD, so it has no p.
    """
    single = []
    for _, per_run in recalls.groupby("run"):
        table = per_run.pivot(index="label", columns="subset", values="recall")
        single.append(significance.spearman(table["train"], table["test"]).rho)
    train_test = significance.spearman(by_class["train_recall"], by_class["test_recall"])
    difficulty_test = significance.spearman(by_class["mean_difficulty"], by_class["test_recall"])
    n = len(by_class)
    return pd.DataFrame({
        "Base": list(CORRELATIONS),
        "Spearmanr": [train_test.rho, float(np.mean(single)), difficulty_test.rho],
        "STD": [0.0, float(np.std(single)), 0.0],
        "n": [n, n, n],
        "p": [train_test.p, float("nan"), difficulty_test.p]})


#: How the book names the paper's correlations (the ``Base`` column of its csv).
CORRELATION_NAMES = dict(zip(CORRELATIONS, (
    "train recall vs test recall, per class",
    "train recall vs test recall, per class and run (mean over runs)",
    "mean difficulty vs test recall, per class")))


def correlations_beside_paper(ours: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Our :func:`correlations` beside the paper's, as the book shows them: a row per
    correlation in words, Spearman's rho, its spread over runs (where it is a mean over runs),
    n and p for ours, rho and spread for the paper's."""
    both = ours.merge(paper, on="Base", suffixes=("", " (paper)"))
    return pd.DataFrame({
        "correlation": both["Base"].map(CORRELATION_NAMES),
        "Spearman (ours)": both["Spearmanr"],
        "spread over runs (ours)": both["STD"].where(both["STD"] > 0),
        "classes (ours)": both["n"], "p (ours)": both["p"],
        "Spearman (paper)": both["Spearmanr (paper)"],
        "spread over runs (paper)": both["STD (paper)"].where(both["STD (paper)"] > 0)})


def regression_band(x: np.ndarray, y: np.ndarray, grid: np.ndarray, level: float = 0.95,
                    bounds: tuple[float, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares line of y on x over ``grid``, with the confidence band of its mean, both
    kept within ``bounds``, the range y can take (a recall: 0-1), where given."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * grid
    n = len(x)
    if n < 3:
        low = high = fitted
    else:
        residual = np.sqrt(np.sum((y - (intercept + slope * x)) ** 2) / (n - 2))
        spread = residual * np.sqrt(1 / n + (grid - x.mean()) ** 2
                                    / np.sum((x - x.mean()) ** 2))
        half = stats.t.ppf(0.5 + level / 2, n - 2) * spread
        low, high = fitted - half, fitted + half
    if bounds is not None:
        fitted, low, high = (np.clip(values, *bounds) for values in (fitted, low, high))
    return fitted, low, high


def published_overview(dataset: str) -> pd.DataFrame:
    """The paper's per-class table for one of its datasets (transcribed in data/published)."""
    table = pd.read_csv(paths.PUBLISHED / "paper_class_overview.csv", keep_default_na=False)
    table = table[table["dataset"] == dataset].drop(columns="dataset")
    return table.set_index("labels")


def published_correlations(dataset: str) -> pd.DataFrame:
    """The paper's ``class_correlation.csv`` for one of its datasets."""
    table = pd.read_csv(paths.PUBLISHED / "paper_class_correlation.csv")
    return table[table["dataset"] == dataset].drop(columns="dataset").reset_index(drop=True)


def key_numbers(overviews: dict[str, pd.DataFrame],
                correlation_tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The classes chapter's record (:class:`lib.record.Classes`), per dataset: its Spearman
    correlations over classes with their p-values, beside the paper's for the dataset it
    is or stands for (none for a user's own)."""
    numbers: dict[str, Any] = {}
    for dataset, table in correlation_tables.items():
        paper = layout_of(dataset).paper_dataset
        ours = table.set_index("Base")
        numbers[dataset] = {
            Classes.CLASSES: len(overviews[dataset]),
            Classes.CORRELATIONS: ours["Spearmanr"].round(4).to_dict(),
            Classes.P: ours["p"].round(4).to_dict()}
        if paper:
            published = published_correlations(paper).set_index("Base")
            numbers[dataset].update({
                Classes.DIFFICULTY_TEST_PAPER: float(published.loc[DIFFICULTY_TEST,
                                                                    "Spearmanr"]),
                Classes.PAPER_CLASSES: len(published_overview(paper))})
    return numbers
