"""Judging difficulty scores against the keyword set's ground truth.

The keyword set knows which training samples carry a flipped label and which hold no speech,
and every clip's SNR, voice and engine. This module gathers, per training sample id, that
truth (:func:`training_truth`) and every score to judge against it (:func:`sample_scores`),
each oriented higher = harder; :mod:`lib.detection` says how well each finds the injected
samples, :mod:`lib.cleanlab_baseline` adds the external baseline, :mod:`lib.sweep` repeats it
all at other shares of flipped labels. Every per-sample input is a Series indexed by sample
id, and every function aligns on that index, never on row order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import (claims, data, detection, difficulty, groundtruth, scoring, significance, training)
from lib.datasets import layout_of
from lib.difficulty import DifficultyError
from lib.record import (CUMULATIVE_ACCURACY, CUMULATIVE_ACCURACY_LOGS,
                        Validation as Record)
from lib.significance import Correlation

#: The scores judged, each oriented so that higher = harder: name -> (column, sign).
SCORES = {
    CUMULATIVE_ACCURACY: ("score", -1),
    CUMULATIVE_ACCURACY_LOGS: ("cumulative_accuracy", -1),
    "mean confidence": ("confidence", -1),
    "variability": ("variability", 1),
    "forgetting events": ("forgetting_events", 1),
    "per-sample loss": ("loss", 1),
    "learned for good from epoch": ("learned_from", 1),
}
#: How a dynamic computed from the in-training records (eval mode) is named after its
#: train-mode counterpart in :data:`SCORES`.
EVAL_MODE = " (eval mode)"
#: The same dynamics from the in-training records: eval mode, each epoch's final weights
#: (the forward passes CumulativeAccuracy counts), when the runs have them.
EVAL_SCORES = {f"{name}{EVAL_MODE}": SCORES[name] for name in
               ("mean confidence", "variability", "forgetting events",
                "learned for good from epoch")}


# --- The keyword set's ground truth and the scores to judge ----------------------------------

def training_truth(profile: str, dataset: str) -> pd.DataFrame:
    """Per training sample id: its label, injected flags and covariates (SNR, engine, voice)."""
    table = data.samples(profile, dataset)
    table = table[table["split"] == "train"]
    if groundtruth.FLIPPED_COLUMN not in table:
        raise DifficultyError(f"{dataset} records no ground truth (no metadata.csv with "
                              f"{groundtruth.FLIPPED_COLUMN}); validation needs the offline "
                              "keyword set or your own data with FLIP_FRACTION above 0")
    table = table.rename(columns={layout_of(dataset).target_column: "label"})
    for column in groundtruth.present(table).values():
        table[column] = table[column].astype(bool)
    return table


def sample_scores(profile: str, ensemble: training.Ensemble, stop: str,
                  dataset: str) -> pd.DataFrame:
    """Every score of :data:`SCORES` per training sample id, oriented higher = harder.

    CumulativeAccuracy comes from the scored ordering; the others from the runs' training
    dynamics up to their ``stop`` epoch, recomputed from autrainer's saved epoch outputs and
    averaged over runs.
    """
    dynamics = pd.concat([scoring.run_dynamics(profile, run, ensemble.settings.epochs, stop)
                          for run in ensemble.runs_of(dataset)])
    per_sample = difficulty.mean_over_runs(dynamics).set_index("sample_id")
    per_sample = per_sample.join(scoring.read_ordering(profile, dataset)
                                 .set_index("sample_id")[["score"]], how="outer")
    table = pd.DataFrame({name: sign * per_sample[column]
                          for name, (column, sign) in SCORES.items()})
    if ensemble.recorded != "train":
        return table
    recorded = difficulty.mean_over_runs(pd.concat([
        scoring.run_eval_dynamics(profile, run, ensemble.settings.epochs, stop)
        for run in ensemble.runs_of(dataset)])).set_index("sample_id")
    for name, (column, sign) in EVAL_SCORES.items():
        table[name] = sign * recorded[column]
    return table


#: The two ways of recording a dynamic that :func:`eval_against_train` compares.
MODES = Record.MODES


def eval_against_train(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Each dynamic in eval mode (records) against train mode (training logs): the Spearman
    correlation of the two over samples (with n and p), and each one's AUROC for every
    injected kind (against the genuine samples) with its 90 % bootstrap interval (``..., low`` and ``..., high``)."""
    rows = []
    for name in EVAL_SCORES:
        train_mode = name.removesuffix(EVAL_MODE)
        correlation = significance.spearman(scores[name], scores[train_mode])
        row = {"dynamic": train_mode, "spearman": correlation.rho, "n": correlation.n,
               "p": correlation.p}
        for flag, column in groundtruth.present(truth).items():
            flagged = groundtruth.against_genuine(truth, column)
            if flagged.any():
                for mode, score in zip(MODES, (scores[train_mode], scores[name])):
                    row[Record.mode_auroc(flag, mode)] = detection.auroc(score, flagged)
                    (row[Record.mode_auroc(flag, mode, Record.LOW)],
                     row[Record.mode_auroc(flag, mode, Record.HIGH)]) = \
                        detection.auroc_interval(score, flagged)
        rows.append(row)
    return pd.DataFrame(rows)


# --- Covariates ----------------------------------------------------------------------------

def snr_bins(rank: pd.Series, snr_db: pd.Series, bins: int = 5) -> pd.DataFrame:
    """Mean rank (and its standard error) of the samples in each SNR quantile bin."""
    joined = pd.concat({"rank": rank, "snr_db": snr_db}, axis=1, join="inner").dropna()
    joined["bin"] = pd.qcut(joined["snr_db"], bins, duplicates="drop")
    grouped = joined.groupby("bin", observed=True)
    return pd.DataFrame({"snr_db": grouped["snr_db"].median(),
                         "mean_rank": grouped["rank"].mean(),
                         "sem": grouped["rank"].sem(), "samples": grouped.size()}).reset_index()


def confusion(predictions: list[pd.DataFrame]) -> pd.DataFrame:
    """Share of each true class (rows) predicted as each class (columns), pooled over the runs'
    predictions (``sample_id, label, predicted`` tables)."""
    pooled = pd.concat(predictions, ignore_index=True)
    counts = pd.crosstab(pooled["label"], pooled["predicted"])
    classes = sorted(set(counts.index) | set(counts.columns))
    counts = counts.reindex(index=classes, columns=classes, fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0)


def confused_pairs(matrix: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """The ``top`` off-diagonal (true, predicted) pairs by share."""
    pairs = matrix.stack().rename("share").rename_axis(["true", "predicted"]).reset_index()
    pairs = pairs[pairs["true"] != pairs["predicted"]]
    return pairs.sort_values("share", ascending=False).head(top).reset_index(drop=True)


def modes_finding(modes: pd.DataFrame) -> str:
    """What :func:`eval_against_train`'s table says, in words, from its numbers: a mode finds
    a kind better only where the two AUROC intervals separate (:func:`lib.claims.count_claim`)."""
    sentences, pairs = [], []
    for row in modes.to_dict("records"):
        detections = []
        for flag in groundtruth.INJECTED:
            if Record.mode_auroc(flag, Record.EVAL_MODE) not in row:
                continue
            (trained, train_low, train_high), (evaluated, low, high) = [
                [row[Record.mode_auroc(flag, mode, bound)] for bound in ("", Record.LOW,
                                                                         Record.HIGH)]
                for mode in MODES]
            pairs.append(((low, high), (train_low, train_high)))
            detections.append(f"{flag} AUROC {evaluated:.2f} ({low:.2f}–{high:.2f}) in eval "
                              f"mode against {trained:.2f} ({train_low:.2f}–{train_high:.2f}) "
                              "in train mode")
        agreement = significance.Correlation(row["spearman"], row["n"], row["p"])
        sentences.append(f"**{row['dynamic']}**: {agreement} between the modes; "
                         + "; ".join(detections) + ".")
    verdict = claims.count_claim(pairs, "eval mode", "train mode", "finds the injected samples")
    return " ".join(sentences + [verdict])


# --- The chapter's record ---------------------------------------------------------------------

def _detection_record(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A :func:`lib.detection.detection` table as the record keeps it, by score name."""
    return {row.score: {Record.AUROC: round(row.auroc, 4),
                        Record.AUROC_INTERVAL: [round(row.auroc_low, 4), round(row.auroc_high, 4)],
                        Record.AVERAGE_PRECISION: round(row.average_precision, 4),
                        Record.PRECISION_AT_K: round(row.precision_at_k, 4)}
            for row in table.itertuples()}


def _sweep_record(points: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The sweep's points (:func:`lib.sweep.sweep_points` table) by flipped share."""
    return {f"{fraction:g}": {
        Record.FLAGGED_BY_CLEANLAB: round(float(part["flagged_by_cleanlab"].iloc[0]), 4),
        Record.AUROC: {row.score: (None if pd.isna(row.auroc) else round(row.auroc, 4))
                       for row in part.itertuples()}}
        for fraction, part in points.groupby("flip_fraction")}


@dataclass
class Checks:
    """What the Validation chapter found on one dataset, filled in as it goes; a dataset without
    ground truth has its stability checks only, the rest stay None."""
    #: cleanlab's label issues from the network's out-of-fold probabilities.
    cleanlab: pd.DataFrame | None = None
    #: Per injected kind, a detection table (:func:`lib.detection.detection`).
    detections: dict[str, pd.DataFrame] | None = None
    #: Eval against train mode (:func:`eval_against_train`).
    modes: pd.DataFrame | None = None
    rank_vs_snr: Correlation | None = None
    #: Mean rank per word, hardest first, and the most confused pairs.
    words: pd.DataFrame | None = None
    confused: pd.DataFrame | None = None
    #: Split halves (:func:`lib.difficulty.split_halves`) and bootstrap rank intervals.
    halves: pd.DataFrame | None = None
    intervals: pd.DataFrame | None = None
    #: The label-noise sweep's points (:func:`lib.sweep.sweep_points`).
    sweep: pd.DataFrame | None = None


def key_numbers(checks: dict[str, Checks]) -> dict[str, Any]:
    """The validation chapter's record (:class:`lib.record.Validation`), per dataset; a check
    left None has no entry."""
    numbers: dict[str, Any] = {}
    for dataset, found in checks.items():
        entry = numbers[dataset] = {}
        if found.cleanlab is not None:
            entry[Record.CLEANLAB_FLAGGED] = int(found.cleanlab["label_issue"].sum())
        if found.detections is not None:
            entry[Record.DETECTION] = {kind: _detection_record(table)
                                       for kind, table in found.detections.items()}
        if found.modes is not None:
            entry[Record.EVAL_VS_TRAIN_MODE] = (found.modes.set_index("dynamic").round(4)
                                                .to_dict("index"))
        if found.rank_vs_snr is not None:
            entry[Record.RANK_VS_SNR] = found.rank_vs_snr.as_record()
        if found.words is not None:
            entry[Record.HARDEST_WORD] = str(found.words.index[0])
        if found.confused is not None:
            pairs = found.confused
            entry[Record.MOST_CONFUSED] = f"{pairs['true'].iloc[0]} -> {pairs['predicted'].iloc[0]}"
        if found.halves is not None:
            entry[Record.STABILITY] = {
                Record.SPLIT_HALVES_SPEARMAN: round(float(found.halves["spearman"].mean()), 4),
                Record.MEDIAN_INTERVAL_WIDTH: round(float(found.intervals["width"].median()), 4)}
        if found.sweep is not None:
            entry[Record.SWEEP] = _sweep_record(found.sweep)
    return numbers
