"""Figures of the results chapter (90_results): our numbers beside the paper's."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import finished, legend_beside, new_axes


def beside_paper(table: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Figure:
    """Our value and the paper's for each quantity both report, on one scale; accuracy rows
    mark the chance level of our data."""
    rows = table.dropna(subset=["ours"]).reset_index(drop=True)
    fig, ax = new_axes(ax, (10, 0.55 * len(rows) + 1.8))
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows.itertuples()):
        if pd.notna(row.paper):
            ax.plot([row.ours, row.paper], [yi, yi], color="0.75", zorder=1)
    # the paper's marker is hollow and larger, so ours stays visible where the two coincide
    ax.scatter(rows["ours"], y, marker="o", color="#1f77b4", label="ours", zorder=3)
    ax.scatter(rows["paper"], y, marker="D", s=70, facecolors="none", edgecolors="#d62728",
               linewidths=1.5, label="paper", zorder=2)
    if "chance" in rows and rows["chance"].notna().any():
        ax.scatter(rows["chance"], y, marker="|", s=200, color="0.4", zorder=2,
                   label="chance on our data (accuracy rows)")
    ax.set_yticks(y, [f"{r.quantity.removeprefix('Spearman: ')}\n({r.dataset})"
                      for r in rows.itertuples()], fontsize=8)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("value (accuracy as a fraction, or Spearman correlation)")
    legend_beside(ax, below=True, ncols=3, fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return finished(fig)

