"""Uncertainty of the numbers the book states: n and p for a correlation, an interval for a
share or a mean.

A Spearman correlation over six classes and one over 600 samples are different claims; the
book writes each with its n and its p-value (exact over every permutation when n is small,
the usual t approximation otherwise), an accuracy with its binomial interval.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: The level of every bootstrap interval the book states (AUROC, a mean, a rank, a faithfulness
#: difference): 90 %.
INTERVAL_LEVEL = 0.9
#: Up to this many points the p-value of a Spearman correlation is exact (8! = 40320
#: permutations); above it the t approximation is close enough.
EXACT_UP_TO = 8


@dataclass(frozen=True)
class Correlation:
    """A Spearman correlation with what it takes to judge it."""

    rho: float
    n: int
    p: float

    def __str__(self) -> str:
        return f"Spearman {self.rho:.2f} (n = {self.n}, {p_text(self.p)})"

    def as_record(self) -> dict[str, float]:
        return {"rho": round(self.rho, 4), "n": self.n, "p": round(self.p, 4)}


def p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def spearman(a: pd.Series, b: pd.Series) -> Correlation:
    """Spearman's rho of two series joined on their index (rows missing in either dropped),
    with a two-sided p-value: exact up to :data:`EXACT_UP_TO` points. Undefined (NaN) when
    either series is constant, such as a score every sample of a tiny split shares."""
    joined = pd.concat([a.rename("a"), b.rename("b")], axis=1, join="inner").dropna()
    n = len(joined)
    if n < 3 or joined["a"].nunique() < 2 or joined["b"].nunique() < 2:
        return Correlation(float("nan"), n, float("nan"))
    x, y = joined["a"].rank().to_numpy(), joined["b"].rank().to_numpy()
    rho = float(np.corrcoef(x, y)[0, 1])
    if n > EXACT_UP_TO:
        return Correlation(rho, n, spearman_p(rho, n))
    permuted = _permutation_rhos(x, y)
    return Correlation(rho, n, float(np.mean(np.abs(permuted) >= abs(rho) - 1e-12)))


def _permutation_rhos(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The correlation of ``x`` with every ordering of ``y``: the exact null distribution of
    a rank correlation over few points."""
    return np.array([np.corrcoef(x, np.array(order))[0, 1]
                     for order in itertools.permutations(y)])


def spearman_p(rho: float, n: int) -> float:
    """Two-sided p-value of a Spearman correlation from rho and n (t approximation), for
    correlations recorded without their data."""
    if not n > 3 or not math.isfinite(rho):
        return float("nan")
    if abs(rho) >= 1:
        return 0.0
    t = rho * math.sqrt((n - 2) / (1 - rho * rho))
    return float(2 * stats.t.sf(abs(t), n - 2))


def critical_rho(n: int, alpha: float = 0.05) -> float:
    """The smallest |rho| over ``n`` points whose two-sided p is below ``alpha``: exact over
    every permutation up to :data:`EXACT_UP_TO` points, the t approximation above."""
    if n < 3:
        return float("nan")
    if n > EXACT_UP_TO:
        t = stats.t.ppf(1 - alpha / 2, n - 2)
        return float(t / math.sqrt(n - 2 + t * t))
    ranks = np.arange(n, dtype=float)
    values = np.sort(np.abs(_permutation_rhos(ranks, ranks)))
    for rho in np.unique(np.round(values, 12)):
        if np.mean(values >= rho - 1e-12) < alpha:
            return float(rho)
    return float("nan")


def share_interval(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson interval of a share (an accuracy over n clips)."""
    if n <= 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    share = successes / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: np.ndarray, draws: int = 2000, level: float = INTERVAL_LEVEL,
                  seed: int = 0) -> tuple[float, float]:
    """Bootstrap interval of a mean (e.g. of paired differences)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(draws, len(values))).mean(axis=1)
    return float(np.quantile(means, (1 - level) / 2)), float(np.quantile(means, (1 + level) / 2))


def sign_flip_p(differences: np.ndarray, draws: int = 4999, seed: int = 0) -> float:
    """Two-sided p of paired differences against no difference: how often flipping each pair's
    sign at random gives a mean at least as far from 0 (with one seed's right/wrong per clip
    this is McNemar's exact test, by simulation)."""
    values = np.asarray(differences, dtype=float)
    observed = abs(values.mean()) if len(values) else 0.0
    if not len(values) or observed == 0.0:
        return 1.0
    signs = np.random.default_rng(seed).choice([-1.0, 1.0], size=(draws, len(values)))
    extreme = int((np.abs((signs * values).mean(axis=1)) >= observed - 1e-12).sum())
    return (extreme + 1) / (draws + 1)

