"""Figures of the selection and explanation chapters (03_selection, 04_explanations): Grad-CAM."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import toolkit
from lib.plots import BAND_COLOURS, draw_log_mel, finished, legend_beside, new_axes


def sample_explanations(spectrogram: np.ndarray, cams: dict[str, np.ndarray],
                        title: str, axes: np.ndarray | None = None) -> plt.Figure:
    """A sample's log-mel, then its Grad-CAM of each run over the spectrogram in grey (one
    panel each)."""
    fig, axes = new_axes(axes, (3.2 * (1 + len(cams)), 2.8), ncols=1 + len(cams),
                         squeeze=False)
    axes = np.asarray(axes).reshape(1, -1)
    image = draw_log_mel(axes[0, 0], spectrogram, "log-mel")
    fig.colorbar(image, ax=axes[0, 0], label="log power (dB)")
    seconds = spectrogram.shape[0] * toolkit.MEL["hop_size"] / toolkit.MEL["sample_rate"]
    for ax, (run, cam) in zip(axes[0, 1:], cams.items()):
        draw_log_mel(ax, spectrogram, f"Grad-CAM {run}", cmap="gray")
        heat = ax.imshow(cam.T / cam.max() if cam.max() > 0 else cam.T, origin="lower",
                         aspect="auto", cmap="jet", alpha=0.45, vmin=0, vmax=1,
                         extent=(0, seconds, 0, spectrogram.shape[1]))
        ax.set_ylabel("")
    if cams:
        fig.colorbar(heat, ax=axes[0, -1], label="importance (of max)")
    fig.suptitle(title, fontsize=10)
    return finished(fig)


def band_profiles(means: pd.DataFrame, axis: str, title: str, peaks: pd.DataFrame | None = None,
                  ax: plt.Axes | None = None) -> plt.Figure:
    """The paper's figure: mean log power (dots, left) and mean Grad-CAM importance share
    (crosses, dashed, right) of the easy, medium and hard samples, over frequency or time.

    ``means`` is :func:`lib.explain.band_means`: a row per band and ``axis`` value (``hz`` or
    ``seconds``); ``peaks`` (:func:`lib.explain.peaks`), when given, are ringed on the curves.
    """
    fig, left = new_axes(ax, (6.4, 4.2))
    right = left.twinx()
    for band, colour in BAND_COLOURS.items():
        rows = means[means["band"] == band]
        if rows.empty:
            continue
        left.plot(rows[axis], rows["log_power"], "o-", ms=3, color=colour, alpha=0.8,
                  label=f"{band}: log power")
        right.plot(rows[axis], rows["importance"], "x--", ms=4, color=colour, alpha=0.7,
                   label=f"{band}: importance")
        if peaks is not None and band in peaks.index:
            right.plot([peaks.loc[band, axis]], [peaks.loc[band, "importance"]], "o", ms=11,
                       mfc="none", color=colour, label=f"{band}: importance peak")
    if axis == "hz":
        left.set_xscale("log")
        left.set_xlabel("frequency (Hz, mel-bin centre)")
        right.set_ylabel("importance (share of Grad-CAM per mel bin)")
    else:
        left.set_xlabel("time (s)")
        right.set_ylabel("importance (share of Grad-CAM per frame)")
    left.set_ylabel("mean log power (dB)")
    handles = [h for ax in (left, right) for h in ax.get_legend_handles_labels()[0]]
    legend_beside(left, handles, [h.get_label() for h in handles], below=True, fontsize=7,
                  ncol=3)
    left.set_title(title)
    return finished(fig)


def edge_focus(table: pd.DataFrame, fraction: float, title: str,
               ax: plt.Axes | None = None) -> plt.Figure:
    """Share of Grad-CAM importance in the first and last ``fraction`` of the time axis, per
    band (a point per sample and run), against what a map ignoring time would give."""
    fig, ax = new_axes(ax, (7.0, 4.0))
    bands = [b for b in BAND_COLOURS if b in set(table["band"])]
    ax.boxplot([table[table["band"] == b]["edge_share"] for b in bands],
               positions=range(len(bands)), widths=0.5, showfliers=False)
    jitter = np.random.default_rng(0)
    for i, band in enumerate(bands):
        values = table[table["band"] == band]["edge_share"]
        ax.scatter(i + jitter.uniform(-0.15, 0.15, len(values)), values, s=9, alpha=0.5,
                   color=BAND_COLOURS[band])
    ax.axhline(2 * fraction, ls=":", color="#7f7f7f", label="uniform over time")
    ax.set_xticks(range(len(bands)), bands)
    ax.set(xlabel="difficulty band", ylabel=f"importance share in the first\nand last "
           f"{fraction:.0%} of time", ylim=(0, 1), title=title)
    legend_beside(ax, fontsize=8)
    return finished(fig)


def faithfulness(means: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Mean drop in the explained class's probability when the top Grad-CAM cells are masked,
    against as many random cells (``means``: indexed by band and masked share)."""
    fig, ax = new_axes(ax, (7.5, 3.8))
    for band, colour in BAND_COLOURS.items():
        if band not in means.index.get_level_values(0):
            continue
        rows = means.loc[band]
        ax.plot(rows.index * 100, rows["drop_gradcam"], "o-", color=colour,
                label=f"{band}: top Grad-CAM cells")
        ax.plot(rows.index * 100, rows["drop_random"], "s:", color=colour, alpha=0.6,
                label=f"{band}: random cells")
    ax.axhline(0, color="#7f7f7f", lw=0.8)
    ax.set_xlabel("spectrogram cells masked (% of all)")
    ax.set_ylabel("drop in explained-class probability")
    legend_beside(ax, fontsize=7)
    ax.set_title(title)
    return finished(fig)

