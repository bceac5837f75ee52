"""How well a score finds known-bad samples: a detection problem, judged by AUROC (with a
bootstrap interval), average precision and precision at k (k = the number flagged).

Pure statistics beside :mod:`lib.significance`: a score is a Series indexed by sample id,
higher = harder; the truth a boolean Series on the same ids. Every function aligns the two on
that index, never on row order.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lib.difficulty import DifficultyError
from lib.claims import detected
from lib.significance import INTERVAL_LEVEL


def _aligned(score: pd.Series, truth: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Score and truth of the samples both know, as arrays (truth as bool)."""
    joined = pd.concat({"score": score, "truth": truth}, axis=1, join="inner").dropna()
    if joined.empty:
        raise DifficultyError("score and ground truth share no sample ids")
    return joined["score"].to_numpy(float), joined["truth"].to_numpy(bool)


def auroc(score: pd.Series, truth: pd.Series) -> float:
    """Probability that a flagged sample scores higher (harder) than an unflagged one, ties
    counting half (Mann-Whitney U / (n_pos n_neg)): 1 perfect, 0.5 chance, 0 reversed."""
    return _auroc(*_aligned(score, truth))


def _auroc(values: np.ndarray, flagged: np.ndarray) -> float:
    positives, negatives = int(flagged.sum()), int((~flagged).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = stats.rankdata(values)
    u = ranks[flagged].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def auroc_interval(score: pd.Series, truth: pd.Series, draws: int = 1000, level: float = INTERVAL_LEVEL,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUROC, resampling flagged and unflagged samples
    separately (so every draw keeps the injected count).

    With a handful of injected samples an AUROC moves by tenths from one draw of the data to
    the next; the interval says which differences between scores are worth reading.
    """
    values, flagged = _aligned(score, truth)
    positives, negatives = values[flagged], values[~flagged]
    if not len(positives) or not len(negatives):
        return float("nan"), float("nan")
    generator = np.random.default_rng(seed)
    mask = np.r_[np.ones(len(positives), bool), np.zeros(len(negatives), bool)]
    estimates = [_auroc(np.r_[generator.choice(positives, len(positives)),
                              generator.choice(negatives, len(negatives))], mask)
                 for _ in range(draws)]
    low, high = np.quantile(estimates, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def average_precision(score: pd.Series, truth: pd.Series) -> float:
    """Mean precision at the rank of each flagged sample, hardest first; tied scores share
    the precision of their whole tied group (so a constant score gets the base rate)."""
    values, flagged = _aligned(score, truth)
    if not flagged.any():
        return float("nan")
    order = np.argsort(-values, kind="stable")
    values, flagged = values[order], flagged[order]
    precisions = []
    seen = hits = 0
    for value in np.unique(values)[::-1]:
        group = values == value
        seen += int(group.sum())
        hits += int(flagged[group].sum())
        precisions += [hits / seen] * int(flagged[group].sum())
    return float(np.mean(precisions))


def precision_at_k(score: pd.Series, truth: pd.Series, k: int | None = None) -> float:
    """Share of flagged samples among the k hardest (k = the number flagged by default);
    a tie at the cut-off counts the tied group's expected share."""
    values, flagged = _aligned(score, truth)
    k = int(flagged.sum()) if k is None else k
    if k <= 0:
        return float("nan")
    threshold = np.sort(values)[::-1][k - 1]
    above = values > threshold
    at = values == threshold
    expected = flagged[above].sum() + (k - above.sum()) * flagged[at].mean()
    return float(expected / k)


def roc_curve(score: pd.Series, truth: pd.Series) -> pd.DataFrame:
    """False and true positive rates at every threshold, hardest first (ties move together)."""
    values, flagged = _aligned(score, truth)
    thresholds = np.unique(values)[::-1]
    positives, negatives = max(int(flagged.sum()), 1), max(int((~flagged).sum()), 1)
    rows = [{"threshold": np.inf, "fpr": 0.0, "tpr": 0.0}]
    for threshold in thresholds:
        chosen = values >= threshold
        rows.append({"threshold": threshold, "fpr": (chosen & ~flagged).sum() / negatives,
                     "tpr": (chosen & flagged).sum() / positives})
    return pd.DataFrame(rows)


def detection(scores: pd.DataFrame, truth: pd.Series, draws: int = 1000,
              level: float = INTERVAL_LEVEL) -> pd.DataFrame:
    """AUROC (with its ``level`` bootstrap interval over ``draws`` resamplings), average
    precision and precision at k of each column of ``scores`` (higher = harder, indexed by
    sample id) for the flagged samples of ``truth``."""
    rows = []
    for name in scores.columns:
        flagged = truth.reindex(scores[name].dropna().index).fillna(False).astype(bool)
        low, high = auroc_interval(scores[name], truth, draws, level)
        rows.append({"score": name, "auroc": auroc(scores[name], truth),
                     "auroc_low": low, "auroc_high": high,
                     "average_precision": average_precision(scores[name], truth),
                     "precision_at_k": precision_at_k(scores[name], truth),
                     "k": int(flagged.sum()), "base_rate": float(flagged.mean())})
    return pd.DataFrame(rows)


def presented(table: pd.DataFrame, level: float = INTERVAL_LEVEL) -> pd.DataFrame:
    """A :func:`detection` table as the book shows it: the interval beside its AUROC, short
    headers, three decimals (narrow enough for the page)."""
    return pd.DataFrame({
        "score": table["score"],
        f"AUROC [{level:.0%} interval]": [f"{row.auroc:.3f} [{row.auroc_low:.2f}, "
                                           f"{row.auroc_high:.2f}]" for row in table.itertuples()],
        "average precision": table["average_precision"].map("{:.3f}".format),
        "precision at k": table["precision_at_k"].map("{:.3f}".format),
        "base rate": table["base_rate"].map("{:.3f}".format)}).set_index("score")


def verdict(table: pd.DataFrame, flag: str, level: float = INTERVAL_LEVEL) -> str:
    """One sentence on a :func:`detection` table: which scores find the flagged samples, which
    rank them easier, and which cannot be told from chance at this many samples."""
    reading = pd.Series([detected((row.auroc_low, row.auroc_high)) for row in table.itertuples()],
                        index=table.index)
    above = table[reading == 1].sort_values("auroc", ascending=False)
    below = table[reading == -1].sort_values("auroc")
    parts = [f"With {int(table['k'].iloc[0])} {flag} samples the {level:.0%} AUROC intervals "
             f"are {(table['auroc_high'] - table['auroc_low']).median():.2f} wide (median)."]

    def listed(rows: pd.DataFrame) -> str:
        return "; ".join(f"{row.score} ({row.auroc:.2f}, {row.auroc_low:.2f}–{row.auroc_high:.2f})"
                         for row in rows.itertuples())

    if len(above):
        parts.append(f"Better than chance: {listed(above)}.")
    if len(below):
        parts.append(f"Ranking them as *easier* than the rest: {listed(below)}.")
    if not len(above) and not len(below):
        parts.append("No score can be told from chance here.")
    elif len(above) + len(below) < len(table):
        parts.append("The other scores cannot be told from chance here.")
    return " ".join(parts)
