"""Figures of the classes chapter (05_classes): class difficulty against recall."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import finished, legend_beside, new_axes


def difficulty_recall(overview: pd.DataFrame, band: tuple[np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray], title: str, chance: float,
                      ax: plt.Axes | None = None) -> plt.Figure:
    """Class mean difficulty against test recall: labelled points, least-squares line and its
    95 % confidence band (``band``: grid, fit, low, high), as the paper's scatter, with the
    recall of guessing (``chance``) dotted."""
    fig, ax = new_axes(ax, (6.5, 4.3))
    grid, fitted, low, high = band
    ax.fill_between(grid, low, high, color="#0000ff", alpha=0.15, label="95 % confidence band")
    ax.plot(grid, fitted, color="#0000ff", label="least-squares line")
    ax.scatter(overview["mean_difficulty"], overview["test_recall"], s=50, color="#ff6666",
               edgecolor="black", zorder=3)
    for label, row in overview.iterrows():
        ax.annotate(str(label), (row["mean_difficulty"], row["test_recall"]), fontsize=8,
                    xytext=(4, 4), textcoords="offset points",
                    bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "#aaaaaa",
                          "alpha": 0.8})
    ax.axhline(chance, ls=":", color="0.4", label=f"chance ({chance:.2f})")
    ax.margins(x=0.15)  # room for the labels of the classes at either end
    ax.set_xlabel("class mean difficulty (mean normalised rank; 1 = hardest)")
    ax.set_ylabel("test recall (fraction)")
    ax.grid(ls="--", alpha=0.4)
    legend_beside(ax, fontsize=8)
    ax.set_title(title)
    return finished(fig)

