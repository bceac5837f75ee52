"""Figures, a module per chapter, and what they share: styles, axes, log-mel drawing, HTML.

Each chapter's figures live in ``lib.plots.<chapter>`` (``data``, ``training``,
``difficulty``, ``definitions``, ``explanations``, ``classes``, ``inference``, ``validation``, ``pruning``,
``results``).
Every figure function draws what it is given and computes nothing of its own: statistics,
spectrograms and aggregates come from the chapter's ``lib`` module. Each takes ``ax=None``
(``axes=None`` for a figure of several panels) to draw into a figure of the caller's, and
returns its figure. Every axis is labelled with its unit. HTML pieces embed audio and images
as data URIs so they play and show in the static book without a kernel.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import audio, toolkit
from lib.keywords import FLIPPED, NONSPEECH

# --- Shared styles ----------------------------------------------------------------------------

SPLIT_COLOURS = {"train": "#1f77b4", "dev": "#ff7f0e", "test": "#2ca02c"}
MODEL_COLOURS = {"Cnn10": "#1f77b4", "Cnn14": "#d62728"}
#: Markers and colours of the keyword set's injected samples on difficulty figures.
KIND_STYLE = {FLIPPED: {"marker": "X", "color": "#d62728"},
              NONSPEECH: {"marker": "s", "color": "#9467bd"}}
#: The paper's colours for the difficulty bands.
BAND_COLOURS = {"easy": "#2ca02c", "medium": "#1f77b4", "hard": "#d62728"}


# --- Shared pieces ----------------------------------------------------------------------------

def new_axes(ax: plt.Axes | None, figsize: tuple[float, float], **kwargs: Any
             ) -> tuple[plt.Figure, Any]:
    """The caller's axes and their figure, or a new figure of ``figsize`` (``kwargs`` go to
    ``plt.subplots``, for figures of several panels)."""
    if ax is not None:
        first = ax if isinstance(ax, plt.Axes) else np.asarray(ax).flat[0]
        return first.figure, ax
    return plt.subplots(figsize=figsize, **kwargs)


def finished(fig: plt.Figure) -> plt.Figure:
    """A figure laid out tight, as every figure function returns it."""
    fig.tight_layout()
    return fig


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def figure_png(fig: plt.Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def draw_log_mel(ax: plt.Axes, spectrogram: np.ndarray, title: str = "",
                 cmap: str = "magma") -> plt.cm.ScalarMappable:
    """A log-mel (frames x mel bins) with time in s and mel-bin centre frequency in Hz."""
    seconds = spectrogram.shape[0] * toolkit.MEL["hop_size"] / toolkit.MEL["sample_rate"]
    image = ax.imshow(spectrogram.T, origin="lower", aspect="auto", cmap=cmap,
                      extent=(0, seconds, 0, spectrogram.shape[1]))
    centres = audio.mel_bin_centres_hz(toolkit.MEL["mel_bins"], toolkit.MEL["fmin"],
                                       toolkit.MEL["fmax"])
    ticks = [0, 16, 32, 48, 63]
    ax.set_yticks([t + 0.5 for t in ticks], [f"{centres[t]:.0f}" for t in ticks])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz, mel scale)")
    if title:
        ax.set_title(title)
    return image


def mark_injected(ax: plt.Axes, table: pd.DataFrame, x: str, y: str) -> None:
    """Ring the injected samples (flipped labels, non-speech) of a scatter."""
    if "kind" not in table:
        return
    for kind, style in KIND_STYLE.items():
        part = table[table["kind"] == kind]
        if len(part):
            ax.scatter(part[x], part[y], s=60, facecolors="none", edgecolors=style["color"],
                       marker=style["marker"], linewidths=1.4, label=f"injected: {kind}",
                       zorder=3)
