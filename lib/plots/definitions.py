"""Figures of the definitions chapter (02b_definitions): every definition at a glance."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.plots import KIND_STYLE, finished, legend_beside, new_axes


def overview(detection: pd.DataFrame, stability: pd.DataFrame, cost: pd.DataFrame, title: str,
             axes: np.ndarray | None = None) -> plt.Figure:
    """A row per definition, three panels: AUROC with its interval for each injected kind
    (chance at 0.5), run-to-run and split-half Spearman (chance at 0), minutes on this machine.
    ``detection`` has ``kind, definition, auroc, auroc_low, auroc_high``; ``stability`` and
    ``cost`` are indexed by definition (``run_to_run``, ``split_half``; ``minutes``)."""
    names = list(cost.index)
    extras = [n for n in detection["definition"].unique() if n not in names]
    rows = names + extras
    y = np.arange(len(rows))[::-1]
    fig, axes = new_axes(axes, (11, 0.42 * len(rows) + 1.6), ncols=3, sharey=True,
                         gridspec_kw={"width_ratios": [2.2, 1.4, 1.0]})
    found, stable, spent = axes
    kinds = list(detection["kind"].unique())
    for k, kind in enumerate(kinds):
        part = detection[detection["kind"] == kind].set_index("definition").reindex(rows)
        offset = (k - (len(kinds) - 1) / 2) * min(0.22, 0.8 / len(kinds))
        style = KIND_STYLE.get(kind, {"marker": "o", "color": "0.3"})
        found.errorbar(part["auroc"], y + offset,
                       xerr=[part["auroc"] - part["auroc_low"], part["auroc_high"] - part["auroc"]],
                       fmt=style["marker"], color=style["color"], capsize=2, label=kind)
    found.axvline(0.5, color="0.5", ls=":", label="chance")
    found.set(xlim=(min(0.3, detection["auroc_low"].min() - 0.02), 1.02),
              xlabel="AUROC, 90 % interval (1 = all found first)")
    legend_beside(found, fontsize=7)
    for k, (column, label) in enumerate((("run_to_run", "run to run"),
                                         ("split_half", "split halves"))):
        values = stability.reindex(rows)[column] if column in stability else pd.Series(
            np.nan, index=rows)
        stable.barh(y + (k - 0.5) * 0.36, values.fillna(0), height=0.34, label=label)
        for name, yy, value in zip(rows, y, values):
            if np.isnan(value) and name in names and k == 0:
                stable.text(0.02, yy, "one run", fontsize=7, va="center", color="0.4")
    stable.axvline(0, color="0.5", ls=":")
    stable.set(xlim=(-0.2, 1.0), xlabel="Spearman between runs (0 = chance)")
    legend_beside(stable, fontsize=7)
    minutes = cost.reindex(rows)["minutes"]
    spent.barh(y, minutes.fillna(0), color="0.45")
    for yy, value, source in zip(y, minutes, cost.reindex(rows)["source"]):
        if np.isnan(value):
            continue
        note = f"{value:.1f}"
        if isinstance(source, str) and source != "aucurriculum":
            note += f" ({source})"
        spent.text(max(value if not np.isnan(value) else 0, 0) + 0.05, yy, note, fontsize=7,
                   va="center")
    spent.set(xlabel="minutes on this machine", xlim=(0, max(1.0, float(minutes.max()) * 2.2)))
    found.set_yticks(y, rows)
    fig.suptitle(title)
    return finished(fig)


def kinds_heat(matrix: pd.DataFrame, counts: dict[str, int], title: str) -> plt.Figure:
    """AUROC of each score (rows) for each kind of hard sample (columns), chance (0.5) white:
    red finds the kind, blue ranks it easier than the genuine clips."""
    values = matrix.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(2.2 + 1.3 * matrix.shape[1], 1.2 + 0.42 * matrix.shape[0]))
    image = ax.imshow(values, vmin=0, vmax=1, cmap="RdBu_r", aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        if not np.isnan(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(matrix.shape[1]),
                  [f"{kind}\n({counts.get(kind, 0)} clips)" for kind in matrix.columns],
                  rotation=30, ha="right")
    ax.set_yticks(range(matrix.shape[0]), matrix.index)
    ax.set(xlabel="kind of hard sample", ylabel="score", title=title)
    fig.colorbar(image, ax=ax, label="AUROC against the genuine clips (0.5: chance)")
    return finished(fig)
