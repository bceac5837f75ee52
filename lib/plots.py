"""Figures and static HTML pieces; no computation beyond what a figure needs.

Every figure has labelled axes with units. HTML pieces embed audio and images as data URIs so
they play and show in the static book without a kernel.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import audio, toolkit

SPLIT_COLOURS = {"train": "#1f77b4", "dev": "#ff7f0e", "test": "#2ca02c"}


def class_counts(counts: pd.DataFrame, title: str) -> plt.Figure:
    """Grouped bars: clips per class and split."""
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(counts) + 2), 3.2))
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
    ax.legend(title="split")
    fig.tight_layout()
    return fig


def draw_log_mel(ax: plt.Axes, spectrogram: np.ndarray, title: str = "") -> plt.cm.ScalarMappable:
    """A log-mel (frames x mel bins) with time in s and mel-bin centre frequency in Hz."""
    seconds = spectrogram.shape[0] * toolkit.MEL["hop_size"] / toolkit.MEL["sample_rate"]
    image = ax.imshow(spectrogram.T, origin="lower", aspect="auto", cmap="magma",
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


def covariates(table: pd.DataFrame) -> plt.Figure:
    """The keyword set's known covariates: SNR, engine, speech length, injected samples."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    axes = axes.flat
    speech = table[~table["nonspeech"].astype(bool)]
    bins = np.linspace(speech["snr_db"].min(), speech["snr_db"].max(), 16)
    for split, part in speech.groupby("split"):
        axes[0].hist(part["snr_db"], bins=bins, alpha=0.6, label=split,
                     color=SPLIT_COLOURS.get(split))
    axes[0].set_xlabel("signal-to-noise ratio (dB)")
    axes[0].set_ylabel("clips (count)")
    axes[0].set_title("SNR per split")
    axes[0].legend(title="split")
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
    injected = pd.DataFrame({"flipped label": train.groupby("label")["label_flipped"].sum(),
                             "non-speech": train.groupby("label")["nonspeech"].sum()})
    injected.plot.bar(ax=axes[3], rot=30)
    axes[3].set_xlabel("labelled class")
    axes[3].set_ylabel("injected training clips (count)")
    axes[3].set_title("injected hard samples")
    fig.tight_layout()
    return fig


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def figure_png(fig: plt.Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def audio_table(examples: pd.Series, caption: str) -> str:
    """HTML: per class, an audio player and its log-mel thumbnail (works without a kernel)."""
    cells = []
    for label, file in examples.items():
        fig, ax = plt.subplots(figsize=(2.6, 1.9))
        draw_log_mel(ax, toolkit.log_mel(Path(file)))
        ax.set_title(str(label), fontsize=9)
        png = _data_uri(figure_png(fig), "image/png")
        wav = _data_uri(Path(file).read_bytes(), "audio/wav")
        cells.append(
            f'<figure style="display:inline-block;margin:4px;text-align:center">'
            f'<img src="{png}" alt="log-mel spectrogram of {html.escape(str(label))}" '
            f'width="220"/><figcaption><audio controls preload="none" src="{wav}" '
            f'style="width:210px"></audio></figcaption></figure>')
    return (f'<div class="audio-gallery"><p><em>{html.escape(caption)}</em></p>'
            + "".join(cells) + "</div>")
