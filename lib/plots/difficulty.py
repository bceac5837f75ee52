"""Figures of the difficulty chapter (02_difficulty): scores, ranks, agreement, dynamics."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.groundtruth import GENUINE
from lib.plots import KIND_STYLE, finished, legend_beside, mark_injected, new_axes
from lib.significance import Correlation


def score_histogram(ordering: pd.DataFrame, dataset: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Ensemble CumulativeAccuracy of every sample, stacked by kind where known."""
    fig, ax = new_axes(ax, (7, 3.4))
    bins = np.linspace(0, 1, 21)
    if "kind" in ordering:
        kinds = [GENUINE, *KIND_STYLE]
        ax.hist([ordering[ordering["kind"] == k]["score"] for k in kinds], bins=bins,
                stacked=True, label=kinds,
                color=["#7f7f7f", *(s["color"] for s in KIND_STYLE.values())])
        legend_beside(ax, title="sample")
    else:
        ax.hist(ordering["score"], bins=bins, color="#7f7f7f")
    ax.set_xlabel("ensemble CumulativeAccuracy (fraction of checkpoints correct; 1 = easiest)")
    ax.set_ylabel("training samples (count)")
    ax.set_title(f"{dataset}: difficulty scores")
    return finished(fig)


def class_ranks(ordering: pd.DataFrame, dataset: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Per class (easiest class first): the samples' normalised ranks, box plus points."""
    order = ordering.groupby("label")["rank"].mean().sort_values().index
    fig, ax = new_axes(ax, (max(6, 0.55 * len(order) + 2), 3.8))
    ax.boxplot([ordering[ordering["label"] == c]["rank"] for c in order],
               positions=range(len(order)), widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0)
    positions = {c: i for i, c in enumerate(order)}
    table = ordering.assign(x=ordering["label"].map(positions)
                            + jitter.uniform(-0.2, 0.2, len(ordering)))
    ax.scatter(table["x"], table["rank"], s=8, color="#7f7f7f", alpha=0.6)
    mark_injected(ax, table, "x", "rank")
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_xlabel("labelled class (ordered by mean rank)")
    ax.set_ylabel("normalised rank\n(0 easiest, 1 hardest)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"{dataset}: difficulty per class")
    if "kind" in table:
        legend_beside(ax, fontsize=8)
    return finished(fig)


def agreement_matrix(matrix: pd.DataFrame, title: str, ax: plt.Axes | None = None,
                     label: str = "ranking (run or ensemble)") -> plt.Figure:
    """Spearman correlations between rankings (each a ``label``), annotated."""
    size = 1.0 + 0.7 * len(matrix)
    fig, ax = new_axes(ax, (size + 1.5, size))
    image = ax.imshow(matrix.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
    for (i, j), value in np.ndenumerate(matrix.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(matrix)), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(matrix)), matrix.index)
    ax.set(xlabel=label, ylabel=label, title=title)
    fig.colorbar(image, ax=ax, label="Spearman correlation")
    return finished(fig)


def convergence(table: pd.DataFrame, dataset: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Spearman correlation of the k-run ensemble with the full one, over random run orders.

    The last point compares the full ensemble with itself, so it is 1 by construction and is
    drawn hollow."""
    fig, ax = new_axes(ax, (6, 3.4))
    ax.fill_between(table["runs"], table["min"], table["max"], alpha=0.25, color="#1f77b4",
                    label="range over random run orders")
    ax.plot(table["runs"], table["mean"], "o-", color="#1f77b4", label="mean")
    last = table.iloc[-1]
    ax.plot([last["runs"]], [last["mean"]], "o", color="white", markeredgecolor="#1f77b4",
            label="all runs against themselves (1 by construction)")
    ax.set_xlabel("runs in the ensemble (count)")
    ax.set_ylabel("Spearman correlation with all runs")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(min(0.0, float(table["min"].min())), 1.02)
    ax.grid(alpha=0.3)
    legend_beside(ax)
    ax.set_title(f"{dataset}: how the ranking settles as runs are added")
    return finished(fig)


def rank_vs_snr(genuine: pd.DataFrame, correlation: Correlation, dataset: str,
                ax: plt.Axes | None = None) -> plt.Figure:
    """Each genuine sample's normalised rank against the SNR it was mixed at, titled with their
    Spearman correlation, its n and p."""
    fig, ax = new_axes(ax, (6, 3.6))
    ax.scatter(genuine["snr_db"], genuine["rank"], s=12, alpha=0.6, color="#7f7f7f")
    ax.set_xlabel("signal-to-noise ratio of the clip (dB)")
    ax.set_ylabel("normalised rank\n(0 easiest, 1 hardest)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"{dataset}: difficulty vs SNR, genuine clips\n{correlation}")
    return finished(fig)


def data_map(dynamics: pd.DataFrame, dataset: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Data map: mean true-class probability vs its variability, coloured by correctness."""
    fig, ax = new_axes(ax, (6.5, 6))
    points = ax.scatter(dynamics["variability"], dynamics["confidence"],
                        c=dynamics["correctness"], cmap="viridis", vmin=0, vmax=1, s=14)
    mark_injected(ax, dynamics, "variability", "confidence")
    fig.colorbar(points, ax=ax, label="correctness (fraction of epochs right)")
    ax.set_xlabel("variability (std of true-class probability over epochs)")
    ax.set_ylabel("confidence (mean true-class probability)")
    ax.set_ylim(-0.02, 1.02)
    if "kind" in dynamics:  # below: the colour bar takes the right-hand side
        legend_beside(ax, below=True, fontsize=8, ncol=3)
    ax.set_title(f"{dataset}: data map (mean over runs)")
    return finished(fig)


def forgetting(dynamics: pd.DataFrame, dataset: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Forgetting events (right, then wrong at the next epoch) of every sample in every run."""
    fig, ax = new_axes(ax, (6, 3.2))
    learned = dynamics[~dynamics["never_learned"].astype(bool)]
    values = np.arange(int(dynamics["forgetting_events"].max()) + 1)
    ax.bar(values, [(learned["forgetting_events"] == v).sum() for v in values], 0.6,
           label="learned at least once", color="#1f77b4")
    never = values.max() + 1
    ax.bar([never], [int(dynamics["never_learned"].astype(bool).sum())], 0.6,
           label="never learned", color="#d62728")
    ax.set_xticks([*values, never], [*map(str, values), "never\nlearned"])
    ax.set_xlabel("forgetting events in one run (count)")
    ax.set_ylabel("sample-run pairs (count)")
    legend_beside(ax)
    ax.set_title(f"{dataset}: forgetting events")
    return finished(fig)


def score_agreement(x: pd.Series, y: pd.Series, correlation: Correlation, xlabel: str,
                    ylabel: str, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Two scores of the same samples against each other, titled with their Spearman
    correlation, its n and p."""
    fig, ax = new_axes(ax, (4.8, 4.4))
    ax.scatter(x, y, s=12, alpha=0.6, color="#1f77b4")
    ax.plot([0, 1], [0, 1], ":", color="#7f7f7f")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n{correlation}")
    return finished(fig)

