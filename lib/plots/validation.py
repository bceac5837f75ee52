"""Figures of the validation chapter (07_validation): detection, stability, the sweep."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import finished, legend_beside, new_axes, series_colours


#: The most ROC curves one panel shows; the rest are in the chapter's table.
ROC_CURVES_SHOWN = 6


def roc_curves(curves: dict[str, pd.DataFrame], aurocs: dict[str, float],
               title: str, ax: plt.Axes | None = None, keep: tuple[str, ...] = ()) -> plt.Figure:
    """ROC curves for detecting the flagged samples, chance as a diagonal: the
    :data:`ROC_CURVES_SHOWN` scores with the highest AUROC and those in ``keep`` (more on one
    axis cannot be told apart; the table lists them all)."""
    fig, ax = new_axes(ax, (8.4, 4.6))
    ranked = sorted(curves, key=lambda name: -aurocs[name])
    kept = [name for name in ranked if name in keep]
    best = [name for name in ranked if name not in keep][:max(0, ROC_CURVES_SHOWN - len(kept))]
    shown = [name for name in ranked if name in kept or name in best]
    shown_note = (f"{len(shown)} of {len(curves)} scores: the highest AUROC"
                  + (" and the paper's" if kept else "") + "\n(all in the table)"
                  if len(shown) < len(curves) else None)
    colours = series_colours(list(curves))
    for name, curve in ((name, curves[name]) for name in shown):
        ax.plot(curve["fpr"], curve["tpr"], drawstyle="default", color=colours[name],
                label=f"{name} (AUROC {aurocs[name]:.2f})")
    ax.plot([0, 1], [0, 1], ":", color="0.5", label="chance")
    ax.set_xlabel("false positive rate (share of other samples flagged)")
    ax.set_ylabel("true positive rate (share of injected samples found)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    legend_beside(ax, fontsize=7, title=shown_note, title_fontsize=7)
    ax.set_title(title)
    return finished(fig)


def snr_binned(table: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Mean normalised rank per SNR quantile bin, with its standard error."""
    fig, ax = new_axes(ax, (6, 3.4))
    ax.errorbar(table["snr_db"], table["mean_rank"], yerr=table["sem"], fmt="o-", capsize=3)
    for row in table.itertuples():
        ax.annotate(f"n={row.samples}", (row.snr_db, row.mean_rank), fontsize=7,
                    textcoords="offset points", xytext=(4, 6))
    ax.axhline(0.5, color="0.5", ls=":", label="mean rank of all samples")
    ax.set_xlabel("signal-to-noise ratio, bin median (dB)")
    ax.set_ylabel("mean normalised rank\n(0 easiest, 1 hardest)")
    ax.set_ylim(0, 1)
    legend_beside(ax, fontsize=8)
    ax.set_title(title)
    return finished(fig)


#: Beyond this many groups, a bar chart shows the hardest and easiest half of it only.
GROUPS_SHOWN = 24


def mean_rank_bars(table: pd.DataFrame, group: str, title: str,
                   ax: plt.Axes | None = None) -> plt.Figure:
    """Mean normalised rank per group (a word, an engine, a voice), hardest first; of many
    groups the :data:`GROUPS_SHOWN` at both ends (the table has them all)."""
    if len(table) > GROUPS_SHOWN:
        half = GROUPS_SHOWN // 2
        title += f"\n(the {half} hardest and {half} easiest of {len(table)})"
        table = pd.concat([table.head(half), table.tail(half)])
    fig, ax = new_axes(ax, (6, 0.28 * len(table) + 1.2))
    ax.barh(table.index.astype(str)[::-1], table["mean_rank"][::-1], color="#1f77b4")
    ax.axvline(0.5, color="0.5", ls=":")
    ax.set_xlabel("mean normalised rank (0 easiest, 1 hardest)")
    ax.set_ylabel(group)
    ax.set_xlim(0, 1)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title)
    return finished(fig)


def confusion_matrix(matrix: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Share of each true class predicted as each class, pooled over the runs."""
    fig, ax = new_axes(ax, (5.2, 4.4))
    image = ax.imshow(matrix.to_numpy(), cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(matrix.columns)), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(matrix.index)), matrix.index)
    for (i, j), share in np.ndenumerate(matrix.to_numpy()):
        ax.text(j, i, f"{share:.2f}", ha="center", va="center", fontsize=7,
                color="white" if share > 0.6 else "black")
    fig.colorbar(image, ax=ax, label="share of the true class's training samples")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true (given) class")
    ax.set_title(title)
    return finished(fig)


def rank_intervals(table: pd.DataFrame, level: float, title: str,
                   ax: plt.Axes | None = None) -> plt.Figure:
    """Each sample's bootstrap rank interval: its width against its rank."""
    fig, ax = new_axes(ax, (6, 3.4))
    ax.scatter(table["rank"], table["width"], s=10, alpha=0.6, color="#1f77b4")
    ax.set_xlabel("normalised rank in the full ensemble (0 easiest, 1 hardest)")
    ax.set_ylabel(f"width of the {level:.0%} rank interval")
    ax.set(xlim=(-0.02, 1.02), ylim=(0, 1), title=title)
    ax.grid(alpha=0.3)
    return finished(fig)


def noise_sweep(table: pd.DataFrame, title: str, axes: np.ndarray | None = None) -> plt.Figure:
    """Left: each score's AUROC for the flipped labels against the share flipped. Right: the
    share of samples cleanlab flags, against the share actually flipped."""
    fig, axes = new_axes(axes, (10, 3.8), ncols=2, gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = np.asarray(axes).flat
    if table["flip_fraction"].nunique() == 1:
        return _noise_point(table, title, left, right)
    colours = series_colours(list(dict.fromkeys(table["score"])))
    for name, part in table.groupby("score", sort=False):
        left.plot(part["flip_fraction"] * 100, part["auroc"], "o-", color=colours[name],
                  label=name)
    left.axhline(0.5, color="0.5", ls=":", label="chance")
    left.set_xlabel("training labels flipped (%)")
    left.set_ylabel("AUROC for the flipped labels")
    left.set_xlim(-1, float(table["flip_fraction"].max()) * 100 + 1)
    left.set_ylim(0, 1)
    legend_beside(left, fontsize=7)
    points = table.drop_duplicates("flip_fraction")
    right.plot(points["flip_fraction"] * 100, points["flagged_by_cleanlab"] * 100, "o-",
               color="#e377c2", label="flagged by cleanlab")
    top = float(max(points["flip_fraction"].max(), points["flagged_by_cleanlab"].max())) * 100
    right.plot([0, top], [0, top], ":", color="0.5", label="flagged = flipped")
    right.set_xlabel("training labels flipped (%)")
    right.set_ylabel("training samples flagged (%)")
    legend_beside(right, fontsize=7)
    fig.suptitle(title)
    return finished(fig)


def _noise_point(table: pd.DataFrame, title: str, left: plt.Axes, right: plt.Axes) -> plt.Figure:
    """:func:`noise_sweep` at a single share flipped: no line to draw, so each score's AUROC
    as a bar (left) and the share cleanlab flags beside the share flipped (right)."""
    flipped = float(table["flip_fraction"].iloc[0]) * 100
    left.barh(table["score"][::-1], table["auroc"][::-1], color="#1f77b4")
    left.axvline(0.5, color="0.5", ls=":", label="chance")
    left.set_xlim(0, 1)
    left.set_xlabel(f"AUROC for the flipped labels, {flipped:.0f} % flipped")
    left.tick_params(axis="y", labelsize=7)
    legend_beside(left, fontsize=7)
    flagged = float(table["flagged_by_cleanlab"].iloc[0]) * 100
    right.bar(["flipped", "flagged by cleanlab"], [flipped, flagged],
              color=["#7f7f7f", "#e377c2"])
    right.set_ylabel("training samples (%)")
    right.get_figure().suptitle(f"{title} (one share flipped: a point, not a sweep)")
    return finished(right.get_figure())

