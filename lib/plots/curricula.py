"""Figures of the curricula chapter (09_curricula): the pacing, test accuracy per schedule,
learning curves, and when each kind of training sample entered training and was fitted."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import finished, legend_beside, new_axes
from lib.plots.pruning import KIND_COLOURS

#: One colour per schedule, the same on every figure of the chapter.
SCHEDULE_COLOURS = {"curriculum": "#2ca02c", "anti": "#d62728", "random": "#7f7f7f",
                    "none": "#000000", "inclusion": "#1f77b4"}


def pacing(sizes: list[int], samples: int, title: str, ax: plt.Axes | None = None
           ) -> plt.Figure:
    """Training samples each epoch draws from under the pacing, against the whole split."""
    fig, ax = new_axes(ax, (7.5, 3.2))
    epochs = np.arange(1, len(sizes) + 1)
    ax.step(epochs, sizes, where="mid", color=SCHEDULE_COLOURS["curriculum"], lw=2,
            label="paced (every schedule)")
    ax.axhline(samples, color="0.4", ls="--", lw=1, label=f"whole split ({samples})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training samples drawn from (count)")
    ax.set_xticks(epochs)
    ax.set_ylim(0, samples * 1.08)
    legend_beside(ax, fontsize=8)
    ax.set_title(title)
    return finished(fig)


def accuracy(table: pd.DataFrame, reseeded: pd.Series, chance: float, title: str,
             ax: plt.Axes | None = None) -> plt.Figure:
    """Test accuracy of every point (mean over seeds, bars from the lowest to the highest
    seed), the runs without a curriculum of the same seeds as a dashed line, and the range of
    all the main ensemble's seeds of the model as a band: what reseeding alone does."""
    fig, ax = new_axes(ax, (7.2, 0.42 * len(table) + 1.6))
    rows = table.iloc[::-1]
    y = np.arange(len(rows))
    ax.axvspan(reseeded.min(), reseeded.max(), color="0.85", zorder=0,
               label=f"no curriculum, lowest to highest of {len(reseeded)} seeds")
    ax.axvline(table["test_accuracy"].iloc[0], color="0.4", ls="--", lw=1,
               label=f"no curriculum, same seeds: {table['test_accuracy'].iloc[0]:.3f}")
    means = rows["test_accuracy"].to_numpy()
    for i, row in enumerate(rows.itertuples()):
        ax.errorbar(means[i], y[i], xerr=[[means[i] - row.low], [row.high - means[i]]],
                    fmt="o", capsize=3, color=SCHEDULE_COLOURS.get(row.schedule, "#1f77b4"))
    ax.set_yticks(y, rows["point"])
    ax.set_xlabel("test accuracy (mean over seeds)")
    low = min(table["low"].min(), reseeded.min()) - 0.03
    if chance >= low:
        ax.axvline(chance, color="0.5", ls=":", label=f"chance ({chance:.2f})")
    ax.set_xlim(max(low, 0), min(1.0, max(table["high"].max(), reseeded.max())) + 0.02)
    legend_beside(ax, fontsize=8)
    ax.set_title(f"{title}\nchance is {chance:.2f}" + (" (left of the axis)" if chance < low
                                                        else ""))
    return finished(fig)


def learning_curves(curves: pd.DataFrame, chance: float, title: str,
                    ax: plt.Axes | None = None) -> plt.Figure:
    """Dev accuracy per epoch of every point (mean over its seeds); the runs without a
    curriculum in black."""
    fig, ax = new_axes(ax, (7.2, 4.0))
    seen: dict[str, int] = {}
    for point, part in curves.groupby("point", sort=False):
        mean = part.groupby("epoch")["dev_accuracy"].mean()
        schedule = part["schedule"].iloc[0]
        nth = seen[schedule] = seen.get(schedule, -1) + 1  # two orderings, one schedule
        style = "s--" if schedule == "none" else ("o-", "^-.", "v:", "D-")[nth % 4]
        ax.plot(mean.index, mean.to_numpy(), style,
                ms=4, lw=2 if schedule == "none" else 1.3,
                color=SCHEDULE_COLOURS.get(schedule), label=point,
                alpha=1.0 if schedule in ("none", "random") or "CumulativeAccuracy" in point
                else 0.6)
    ax.axhline(chance, color="0.5", ls=":", label=f"chance ({chance:.2f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("dev accuracy")
    ax.set_ylim(0, 1.02)
    legend_beside(ax, fontsize=8)
    ax.set_title(title)
    return finished(fig)


def entry(table: pd.DataFrame, epochs: int, title: str) -> plt.Figure:
    """Per point and kind of training sample: the mean epoch it entered training (left; never
    drawn counts as one after the last) and was first fitted (right; over the samples that
    were, so a kind never fitted has no bar)."""
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 0.5 * table["point"].nunique() + 1.8),
                             sharey=True)
    points = list(dict.fromkeys(table["point"]))
    kinds = list(dict.fromkeys(table["kind"]))
    height = 0.8 / len(kinds)
    for ax, column, label in ((axes[0], "entered", "first epoch drawn (mean)"),
                              (axes[1], "fitted", "first epoch fitted (mean of those fitted)")):
        for k, kind in enumerate(kinds):
            part = table[table["kind"] == kind].set_index("point").reindex(points)
            ax.barh(np.arange(len(points)) + k * height, part[column].to_numpy(), height,
                    color=KIND_COLOURS.get(kind), label=kind)
        ax.set_xlabel(f"{label}, epoch")
        ax.set_xlim(0, epochs + 1.5)
        ax.axvline(epochs + 1, color="0.6", ls=":", lw=1)
    axes[0].set_yticks(np.arange(len(points)) + 0.4 - height / 2, points)
    axes[0].invert_yaxis()
    legend_beside(axes[1], fontsize=8)
    fig.suptitle(title)
    return finished(fig)
