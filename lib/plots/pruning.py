"""Figures of the pruning chapter (08_pruning): accuracy after pruning, what was removed, and
which classes paid for it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import KIND_STYLE, finished, legend_beside, new_axes
from lib.pruning import CLEAN, LOW_SNR, point_name

#: One colour per rule, the same on every figure of the chapter.
RULE_COLOURS = {"hardest": "#d62728", "easiest": "#2ca02c", "random": "#7f7f7f",
                "cleanlab": "#9467bd", "oracle": "#000000"}
#: Colours of the removed samples' kinds (injected ones as on the difficulty figures).
KIND_COLOURS = {**{kind: style["color"] for kind, style in KIND_STYLE.items()},
                LOW_SNR: "#ff7f0e", CLEAN: "#1f77b4"}


def accuracy(table: pd.DataFrame, reseeded: pd.Series, chance: float, title: str,
             ax: plt.Axes | None = None) -> plt.Figure:
    """Test accuracy of each rule against the share removed (mean over seeds, bars from the
    lowest to the highest seed), the unpruned runs of the same seeds as a dashed line, and the
    range of all the main ensemble's seeds (``reseeded``) as a band: what reseeding alone does.
    The rules at one share sit side by side, a fraction of a percent apart, so that equal
    accuracies stay visible."""
    fig, ax = new_axes(ax, (7.2, 4.0))
    base = table[table["rule"] == "none"].iloc[0]
    ax.axhspan(reseeded.min(), reseeded.max(), color="0.85", zorder=0,
               label=f"unpruned, lowest to highest of {len(reseeded)} seeds")
    ax.axhline(base["test_accuracy"], color="0.4", ls="--", lw=1,
               label=f"unpruned, same seeds: {base['test_accuracy']:.3f}")
    rules = table[table["rule"] != "none"].groupby("rule", sort=False)
    for i, (rule, part) in enumerate(rules):
        part = part.sort_values("fraction")
        means = part["test_accuracy"].to_numpy()
        dodge = 0.25 * (i - (rules.ngroups - 1) / 2)
        ax.errorbar(100 * part["fraction"].to_numpy() + dodge, means,
                    yerr=np.vstack([means - part["low"].to_numpy(), part["high"].to_numpy() - means]),
                    fmt="*" if rule == "oracle" else "o-", ms=10 if rule == "oracle" else 6,
                    capsize=3, color=RULE_COLOURS.get(rule), label=rule)
    ax.set_xlabel("training samples removed (% of the training split)")
    ax.set_ylabel("test accuracy (mean over seeds)")
    low = min(table["low"].min(), reseeded.min()) - 0.02
    if chance >= low:
        ax.axhline(chance, color="0.5", ls=":", label=f"chance ({chance:.2f})")
    ax.set_ylim(max(low, 0), min(1.0, max(table["high"].max(), reseeded.max())) + 0.01)
    ax.set_xlim(-1, 100 * table["fraction"].max() + 1)
    legend_beside(ax, fontsize=8)
    ax.set_title(f"{title}\nchance is {chance:.2f}" + (" (below the axis)" if chance < low else ""))
    return finished(fig)


def composition(table: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Stacked bars: how many removed samples of each kind every point removed."""
    fig, ax = new_axes(ax, (7.2, 0.45 * len(table) + 1.4))
    names = [point_name(rule, fraction) for rule, fraction in table.index]
    left = np.zeros(len(table))
    for kind in table.columns:
        counts = table[kind].to_numpy(float)
        ax.barh(names, counts, left=left, color=KIND_COLOURS.get(kind), label=kind)
        left += counts
    ax.invert_yaxis()
    ax.set_xlabel("training samples removed (count)")
    ax.set_ylabel("pruning rule and share")
    legend_beside(ax, fontsize=8)
    ax.set_title(title)
    return finished(fig)


def classes(removed_share: pd.DataFrame, recall_change: pd.DataFrame, title: str,
            axes: np.ndarray | None = None) -> plt.Figure:
    """Two heat maps, a row per point and a column per class: the share of the class's training
    samples removed, and the change of its test recall against the unpruned runs."""
    fig, axes = new_axes(axes, (max(7.5, 0.9 * removed_share.shape[1] + 4),
                                0.45 * len(removed_share) + 2.0), ncols=2)
    names = [point_name(rule, fraction) for rule, fraction in removed_share.index]
    panels = [(removed_share * 100, "Blues", False, "training samples removed (% of the class)"),
              (recall_change * 100, "RdBu", True, "test recall change (percentage points)")]
    for ax, (values, cmap, centred, label) in zip(axes, panels):
        limit = max(float(np.nanmax(np.abs(values.to_numpy(float)))), 1.0)
        image = ax.imshow(values.to_numpy(float), cmap=cmap, aspect="auto",
                          vmin=-limit if centred else 0, vmax=limit)
        ax.set_xticks(range(values.shape[1]), values.columns, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("class")
        for (row, column), value in np.ndenumerate(values.to_numpy(float)):
            ax.text(column, row, f"{value:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if abs(value) > 0.6 * limit else "black")
        fig.colorbar(image, ax=ax, label=label, shrink=0.9)
    axes[0].set_ylabel("pruning rule and share")
    axes[0].set_title("what each rule took from a class")
    axes[1].set_title("test recall against the unpruned runs")
    fig.suptitle(title)
    return finished(fig)
