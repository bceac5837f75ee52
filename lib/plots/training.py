"""Figures of the training chapter (01_training): learning curves, our runs beside the paper's."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import MODEL_COLOURS, finished, legend_beside, new_axes


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
    legend_beside(acc_ax, fontsize=8)
    acc_ax.set_ylabel("accuracy (fraction correct)")
    acc_ax.set_ylim(0, 1)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    legend_beside(loss_ax, fontsize=8)
    fig.suptitle(f"{dataset}: learning curves (one line per seed)")
    return finished(fig)


def against_published(ours: pd.DataFrame, published: pd.DataFrame, metric: str,
                      chance: dict[str, float], ax: plt.Axes | None = None) -> plt.Figure:
    """Per model: our runs' test metric next to the paper's on the dataset ours stands in for,
    one dot per seed, with our data's chance level.

    ``ours`` has our ``dataset`` and the ``paper_dataset`` it stands in for
    (:func:`lib.training.on_paper_datasets`); ``chance`` is keyed by our dataset."""
    fig, ax = new_axes(ax, (7, 3.4))
    labels = []
    for i, ((paper_dataset, model), part) in enumerate(
            ours.groupby(["paper_dataset", "model"], sort=False)):
        theirs = published[(published["dataset"] == paper_dataset)
                           & (published["model"] == model)][metric]
        for values, offset, marker, source in ((part[metric], -0.1, "o", "ours"),
                                               (theirs, 0.1, "D", "paper")):
            ax.scatter(np.full(len(values), i) + offset, values, marker=marker,
                       color=MODEL_COLOURS.get(model), label=source if i == 0 else None)
        level = chance[part["dataset"].iloc[0]]
        ax.hlines(level, i - 0.3, i + 0.05, colors="#7f7f7f", linestyles=":",
                  label="chance on our data" if i == 0 else None)
        labels.append(f"ours: {part['dataset'].iloc[0]}\npaper: {paper_dataset}\n{model}")
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel(f"{metric.replace('_', ' ')} (fraction)")
    ax.set_ylim(0, 1)
    ax.set_xlabel("model, on our data (circles) and on the paper's (diamonds)")
    legend_beside(ax, fontsize=7)
    ax.grid(axis="y", alpha=0.3)
    return finished(fig)

