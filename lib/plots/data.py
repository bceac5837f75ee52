"""Figures of the data chapter (00_data): classes, covariates, example clips."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib.groundtruth import INJECTED, NONSPEECH_COLUMN
from lib.plots import (SPLIT_COLOURS, data_uri, draw_log_mel, figure_png, finished, legend_beside,
                       new_axes)


def class_counts(counts: pd.DataFrame, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Grouped bars: clips per class and split."""
    fig, ax = new_axes(ax, (max(6, 0.6 * len(counts) + 2), 3.2))
    width = 0.8 / len(counts.columns)
    x = np.arange(len(counts))
    for i, split in enumerate(counts.columns):
        ax.bar(x + i * width, counts[split], width, label=split,
               color=SPLIT_COLOURS.get(split))
    ax.set_xticks(x + width * (len(counts.columns) - 1) / 2, counts.index, rotation=30,
                  ha="right")
    ax.set_xlabel("class")
    ax.set_ylabel("clips (count)")
    ax.set_title(title)
    legend_beside(ax, title="split")
    return finished(fig)


def durations(table: pd.DataFrame, clip_seconds: float, title: str,
              ax: plt.Axes | None = None) -> plt.Figure:
    """A user's clips' lengths before the copy (``source_seconds`` of :func:`lib.data.samples`),
    per split, and the one length the copy cut or padded them to."""
    fig, ax = new_axes(ax, (6.4, 3.2))
    bins = np.linspace(0, max(float(table["source_seconds"].max()), clip_seconds) * 1.05, 30)
    for split, part in table.groupby("split", sort=False):
        ax.hist(part["source_seconds"], bins=bins, alpha=0.6, label=split,
                color=SPLIT_COLOURS.get(split))
    ax.axvline(clip_seconds, color="0.2", ls="--", lw=1.2,
               label=f"copied at {clip_seconds:g} s")
    ax.set_xlabel("duration before the copy (s)")
    ax.set_ylabel("clips (count)")
    ax.set_title(title)
    legend_beside(ax)
    return finished(fig)


def covariates(table: pd.DataFrame, axes: np.ndarray | None = None) -> plt.Figure:
    """The keyword set's known covariates: SNR, engine, speech length, injected samples by
    kind, stacked (four panels)."""
    fig, axes = new_axes(axes, (11, 7.5), nrows=2, ncols=2)
    axes = np.asarray(axes).flat
    speech = table[~table[NONSPEECH_COLUMN].astype(bool)]
    bins = np.linspace(speech["snr_db"].min(), speech["snr_db"].max(), 16)
    for split, part in speech.groupby("split"):
        axes[0].hist(part["snr_db"], bins=bins, alpha=0.6, label=split,
                     color=SPLIT_COLOURS.get(split))
    axes[0].set_xlabel("signal-to-noise ratio (dB)")
    axes[0].set_ylabel("clips (count)")
    axes[0].set_title("SNR per split")
    legend_beside(axes[0], title="split")
    engines = table.groupby(["split", "engine"]).size().unstack(fill_value=0)
    engines.plot.bar(ax=axes[1], rot=0)
    axes[1].set_xlabel("split")
    axes[1].set_ylabel("clips (count)")
    axes[1].set_title("speech engine")
    axes[2].hist(speech["speech_seconds"], bins=15, color="#7f7f7f")
    axes[2].set_xlabel("spoken word length (s)")
    axes[2].set_ylabel("clips (count)")
    axes[2].set_title("word length after trimming")
    train = table[table["split"] == "train"]
    injected = pd.DataFrame({kind: train.groupby("label")[column].sum()
                             for kind, column in INJECTED.items()})
    injected.plot.bar(ax=axes[3], rot=30, stacked=True, legend=False)
    legend_beside(axes[3], title="kind")
    axes[3].set_xlabel("labelled class")
    axes[3].set_ylabel("injected training clips (count)")
    axes[3].set_title("injected hard samples")
    return finished(fig)


def audio_table(examples: pd.Series, spectrograms: dict[str, np.ndarray],
                caption: str) -> str:
    """HTML: per class (``examples``: class -> wav file), an audio player and the thumbnail of
    its log-mel (``spectrograms``, by class); plays and shows without a kernel."""
    cells = []
    for label, file in examples.items():
        fig, ax = plt.subplots(figsize=(2.6, 1.9))
        draw_log_mel(ax, spectrograms[label])
        ax.set_title(str(label), fontsize=9)
        png = data_uri(figure_png(fig), "image/png")
        wav = data_uri(Path(file).read_bytes(), "audio/wav")
        cells.append(
            f'<figure style="display:inline-block;margin:4px;text-align:center">'
            f'<img src="{png}" alt="log-mel spectrogram of {html.escape(str(label))}" '
            f'width="220"/><figcaption><audio controls preload="none" src="{wav}" '
            f'style="width:210px"></audio></figcaption></figure>')
    return (f'<div class="audio-gallery"><p><em>{html.escape(caption)}</em></p>'
            + "".join(cells) + "</div>")

