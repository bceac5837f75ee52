"""Figures of the training chapter (01_training): learning curves, our runs beside the paper's."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import MODEL_COLOURS, finished, new_axes


def learning_curves(curves: pd.DataFrame, dataset: str, chance: float,
                    axes: np.ndarray | None = None) -> plt.Figure:
    """Loss and accuracy per epoch, train (solid) and dev (dashed), a line per seed (two
    panels), the accuracy of guessing (``chance``) dotted."""
    fig, axes = new_axes(axes, (11, 3.8), ncols=2)
    loss_ax, acc_ax = np.asarray(axes).flat
    for (model, seed), run in curves.groupby(["model", "seed"]):
        colour = MODEL_COLOURS.get(model)
        first = seed == curves[curves["model"] == model]["seed"].min()
        loss_ax.plot(run["epoch"], run["train_loss"], "-", color=colour, alpha=0.8,
                     label=f"{model} train" if first else None)
        loss_ax.plot(run["epoch"], run["dev_loss"], "--", color=colour, alpha=0.8,
                     label=f"{model} dev" if first else None)
        acc_ax.plot(run["epoch"], run["train_accuracy"], "-", color=colour, alpha=0.8)
        acc_ax.plot(run["epoch"], run["dev_accuracy"], "--", color=colour, alpha=0.8)
    loss_ax.set_ylabel("loss (balanced cross-entropy, nats)")
    acc_ax.axhline(chance, ls=":", color="0.4", label=f"chance ({chance:.2f})")
    acc_ax.legend(fontsize=8, loc="lower right")
    acc_ax.set_ylabel("accuracy (fraction correct)")
    acc_ax.set_ylim(0, 1)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=8)
    fig.suptitle(f"{dataset}: learning curves (one line per seed)")
    return finished(fig)


def against_published(ours: pd.DataFrame, published: pd.DataFrame, metric: str,
                      ax: plt.Axes | None = None) -> plt.Figure:
    """Per model: our runs' test metric next to the paper's, one dot per seed."""
    fig, ax = new_axes(ax, (7, 3.2))
    groups = [("ours", ours), ("paper", published)]
    labels = []
    for i, ((dataset, model), part) in enumerate(
            pd.concat([t.assign(source=s) for s, t in groups]).groupby(
                ["dataset", "model"], sort=False)):
        for source, marker in (("ours", "o"), ("paper", "D")):
            values = part[part["source"] == source][metric]
            ax.scatter(np.full(len(values), i) + (0.1 if source == "paper" else -0.1), values,
                       marker=marker, color=MODEL_COLOURS.get(model),
                       label=source if i == 0 else None)
        labels.append(f"{dataset}\n{model}")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel(f"{metric.replace('_', ' ')} (fraction)")
    ax.set_ylim(0, 1)
    ax.set_xlabel("dataset and model (circles: our runs; diamonds: the paper's)")
    ax.grid(axis="y", alpha=0.3)
    return finished(fig)

