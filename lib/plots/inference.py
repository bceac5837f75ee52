"""Figures of the inference chapter (06_inference)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from lib.plots import finished, new_axes


def inference_probabilities(table: pd.DataFrame, labels: list[str], title: str,
                            ax: plt.Axes | None = None) -> plt.Figure:
    """Class probabilities of every classified file (rows) as a heat map."""
    rows = table[table["error"] == ""]
    values = rows[labels].to_numpy(dtype=float)
    fig, ax = new_axes(ax, (1.0 + 0.7 * len(labels), 0.9 + 0.3 * len(rows)))
    image = ax.imshow(values, vmin=0, vmax=1, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows["filename"])
    ax.set(xlabel="class", ylabel="input file", title=title)
    fig.colorbar(image, ax=ax, label="probability")
    return finished(fig)

