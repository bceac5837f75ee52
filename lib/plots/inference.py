"""Figures of the inference chapter (06_inference)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from lib.plots import finished, legend_beside, new_axes


def inference_probabilities(table: pd.DataFrame, labels: list[str], title: str,
                            ax: plt.Axes | None = None) -> plt.Figure:
    """Class probabilities of every classified file (rows) as a heat map."""
    rows = table[table["error"] == ""]
    values = rows[labels].to_numpy(dtype=float)
    fig, ax = new_axes(ax, (max(5.0, 1.0 + 0.7 * len(labels)), max(2.6, 0.9 + 0.3 * len(rows))))
    image = ax.imshow(values, vmin=0, vmax=1, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows["filename"])
    ax.set(xlabel="class", ylabel="input file", title=title)
    fig.colorbar(image, ax=ax, label="probability")
    return finished(fig)


def reliability(tables: dict[str, pd.DataFrame], eces: dict[str, float], title: str,
                ax: plt.Axes | None = None) -> plt.Figure:
    """Reliability diagram: accuracy against mean confidence per confidence bin (a marker
    per bin, its area the bin's share of its set's answers), one series per set of answers,
    the diagonal where a model is calibrated."""
    fig, ax = new_axes(ax, (6.0, 6.0))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="calibrated")
    for (name, table), marker in zip(tables.items(), "os^D"):
        size = 15 + 300 * table["answers"] / table["answers"].sum()
        ax.plot(table["confidence"], table["accuracy"], linewidth=1, alpha=0.6)
        ax.scatter(table["confidence"], table["accuracy"], s=size, marker=marker, alpha=0.7,
                   label=f"{name}: ECE {eces[name]:.3f} ({int(table['answers'].sum())} answers)")
    ax.set(xlim=(0, 1.02), ylim=(-0.02, 1.02), xlabel="mean confidence in the bin "
           "(top probability)", ylabel="accuracy in the bin (share right)", title=title)
    ax.set_aspect("equal")
    legend_beside(ax, below=True, fontsize=8)  # below: long labels would squash the square
    return finished(fig)


def confidence_by_set(sets: dict[str, pd.Series], threshold: float, title: str,
                      ax: plt.Axes | None = None) -> plt.Figure:
    """Top probabilities of each set of answers (a row of points per set, their mean as a
    bar) against the low-confidence threshold."""
    fig, ax = new_axes(ax, (6.4, 0.9 + 0.55 * len(sets)))
    for row, (name, values) in enumerate(sets.items()):
        jitter = (pd.Series(range(len(values))) % 5 - 2) * 0.06
        ax.scatter(values.to_numpy(), row + jitter.to_numpy(), s=14, alpha=0.6)
        ax.plot([values.mean()] * 2, [row - 0.3, row + 0.3], color="black", linewidth=2)
    ax.axvline(threshold, color="#d62728", linestyle="--")
    ax.set_yticks(range(len(sets)), list(sets))
    ax.set(xlim=(0, 1.02), ylim=(-0.5, len(sets) - 0.5 + 0.4), title=title,
           xlabel="ensemble's top probability (bar: mean; dashed: the low-confidence threshold, "
           f"{threshold:.2f})")
    return finished(fig)
