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


# --- Training ------------------------------------------------------------------------------

MODEL_COLOURS = {"Cnn10": "#1f77b4", "Cnn14": "#d62728"}
#: Markers and colours of the keyword set's injected samples on difficulty figures.
KIND_STYLE = {"flipped label": {"marker": "X", "color": "#d62728"},
              "non-speech": {"marker": "s", "color": "#9467bd"}}


def learning_curves(curves: pd.DataFrame, dataset: str) -> plt.Figure:
    """Loss and accuracy per epoch, train (solid) and dev (dashed), a line per seed."""
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
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
    acc_ax.set_ylabel("accuracy (fraction correct)")
    acc_ax.set_ylim(0, 1)
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=8)
    fig.suptitle(f"{dataset}: learning curves (one line per seed)")
    fig.tight_layout()
    return fig


def against_published(ours: pd.DataFrame, published: pd.DataFrame, metric: str) -> plt.Figure:
    """Per model: our runs' test metric next to the paper's, one dot per seed."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
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
    fig.tight_layout()
    return fig


# --- Difficulty -----------------------------------------------------------------------------

def _mark_injected(ax: plt.Axes, table: pd.DataFrame, x: str, y: str) -> None:
    if "kind" not in table:
        return
    for kind, style in KIND_STYLE.items():
        part = table[table["kind"] == kind]
        if len(part):
            ax.scatter(part[x], part[y], s=60, facecolors="none", edgecolors=style["color"],
                       marker=style["marker"], linewidths=1.4, label=f"injected: {kind}",
                       zorder=3)


def score_histogram(ordering: pd.DataFrame, dataset: str) -> plt.Figure:
    """Ensemble CumulativeAccuracy of every sample, stacked by kind where known."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    bins = np.linspace(0, 1, 21)
    if "kind" in ordering:
        kinds = ["genuine", *KIND_STYLE]
        ax.hist([ordering[ordering["kind"] == k]["score"] for k in kinds], bins=bins,
                stacked=True, label=kinds,
                color=["#7f7f7f", *(s["color"] for s in KIND_STYLE.values())])
        ax.legend(title="sample")
    else:
        ax.hist(ordering["score"], bins=bins, color="#7f7f7f")
    ax.set_xlabel("ensemble CumulativeAccuracy (fraction of checkpoints correct; 1 = easiest)")
    ax.set_ylabel("training samples (count)")
    ax.set_title(f"{dataset}: difficulty scores")
    fig.tight_layout()
    return fig


def class_ranks(ordering: pd.DataFrame, dataset: str) -> plt.Figure:
    """Per class (easiest class first): the samples' normalised ranks, box plus points."""
    order = ordering.groupby("label")["rank"].mean().sort_values().index
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(order) + 2), 3.8))
    ax.boxplot([ordering[ordering["label"] == c]["rank"] for c in order],
               positions=range(len(order)), widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0)
    positions = {c: i for i, c in enumerate(order)}
    table = ordering.assign(x=ordering["label"].map(positions)
                            + jitter.uniform(-0.2, 0.2, len(ordering)))
    ax.scatter(table["x"], table["rank"], s=8, color="#7f7f7f", alpha=0.6)
    _mark_injected(ax, table, "x", "rank")
    ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
    ax.set_xlabel("labelled class (ordered by mean rank)")
    ax.set_ylabel("normalised rank (0 easiest, 1 hardest)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"{dataset}: difficulty per class")
    if "kind" in table:
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def agreement_matrix(matrix: pd.DataFrame, title: str) -> plt.Figure:
    """Spearman correlations between rankings, annotated."""
    size = 1.0 + 0.7 * len(matrix)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(matrix.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
    for (i, j), value in np.ndenumerate(matrix.to_numpy(dtype=float)):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(len(matrix)), matrix.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(matrix)), matrix.index)
    ax.set_xlabel("ranking (run or ensemble)")
    ax.set_ylabel("ranking (run or ensemble)")
    fig.colorbar(image, ax=ax, label="Spearman correlation")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def convergence(table: pd.DataFrame, dataset: str) -> plt.Figure:
    """Spearman correlation of the k-run ensemble with the full one, over random run orders."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.fill_between(table["runs"], table["min"], table["max"], alpha=0.25, color="#1f77b4",
                    label="range over random run orders")
    ax.plot(table["runs"], table["mean"], "o-", color="#1f77b4", label="mean")
    ax.set_xlabel("runs in the ensemble (count)")
    ax.set_ylabel("Spearman correlation with all runs")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(min(0.0, float(table["min"].min())), 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title(f"{dataset}: how the ranking settles as runs are added")
    fig.tight_layout()
    return fig


def rank_vs_snr(table: pd.DataFrame, dataset: str) -> plt.Figure:
    """Each genuine sample's normalised rank against the SNR it was mixed at."""
    genuine = table[table["kind"] == "genuine"]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.scatter(genuine["snr_db"], genuine["rank"], s=12, alpha=0.6, color="#7f7f7f")
    rho = genuine["snr_db"].corr(genuine["rank"], method="spearman")
    ax.set_xlabel("signal-to-noise ratio of the clip (dB)")
    ax.set_ylabel("normalised rank (0 easiest, 1 hardest)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"{dataset}: difficulty vs SNR (genuine clips; Spearman ρ = {rho:.2f})")
    fig.tight_layout()
    return fig


def data_map(dynamics: pd.DataFrame, dataset: str) -> plt.Figure:
    """Data map: mean true-class probability vs its variability, coloured by correctness."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    points = ax.scatter(dynamics["variability"], dynamics["confidence"],
                        c=dynamics["correctness"], cmap="viridis", vmin=0, vmax=1, s=14)
    _mark_injected(ax, dynamics, "variability", "confidence")
    fig.colorbar(points, ax=ax, label="correctness (fraction of epochs right)")
    ax.set_xlabel("variability (std of true-class probability over epochs)")
    ax.set_ylabel("confidence (mean true-class probability)")
    ax.set_ylim(-0.02, 1.02)
    if "kind" in dynamics:
        ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"{dataset}: data map (mean over runs)")
    fig.tight_layout()
    return fig


def forgetting(dynamics: pd.DataFrame, dataset: str) -> plt.Figure:
    """Forgetting events (right, then wrong at the next epoch) of every sample in every run."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    learned = dynamics[~dynamics["never_learned"].astype(bool)]
    values = np.arange(int(dynamics["forgetting_events"].max()) + 1)
    ax.bar(values, [(learned["forgetting_events"] == v).sum() for v in values], 0.6,
           label="learned at least once", color="#1f77b4")
    never = values.max() + 1
    ax.bar([never], [int(dynamics["never_learned"].astype(bool).sum())], 0.6,
           label="never learned", color="#d62728")
    ax.set_xticks([*values, never], [*map(str, values), "never\nlearned"])
    ax.set_xlabel("forgetting events in one run (count)")
    ax.set_ylabel("sample-run pairs (count)")
    ax.legend()
    ax.set_title(f"{dataset}: forgetting events")
    fig.tight_layout()
    return fig


def score_agreement(x: pd.Series, y: pd.Series, xlabel: str, ylabel: str,
                    title: str) -> plt.Figure:
    """Two scores of the same samples against each other, with their Spearman correlation."""
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.scatter(x, y, s=12, alpha=0.6, color="#1f77b4")
    ax.plot([0, 1], [0, 1], ":", color="#7f7f7f")
    rho = x.corr(y, method="spearman")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\nSpearman ρ = {rho:.2f}")
    fig.tight_layout()
    return fig


# --- Selection and explanations ----------------------------------------------------------------

#: The paper's colours for the difficulty bands.
BAND_COLOURS = {"easy": "#2ca02c", "medium": "#1f77b4", "hard": "#d62728"}


def sample_explanations(spectrogram: np.ndarray, cams: dict[str, np.ndarray],
                        title: str) -> plt.Figure:
    """A sample's log-mel, then its Grad-CAM of each run over the spectrogram in grey."""
    fig, axes = plt.subplots(1, 1 + len(cams), figsize=(3.2 * (1 + len(cams)), 2.8),
                             squeeze=False)
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
    fig.tight_layout()
    return fig


def band_profiles(table: pd.DataFrame, axis: str, title: str) -> plt.Figure:
    """The paper's figure: mean log power (dots, left) and mean Grad-CAM importance share
    (crosses, dashed, right) of the easy, medium and hard samples, over frequency or time.

    ``table`` is :func:`lib.explain.profiles`' frequency or time table with a ``band`` column;
    ``axis`` is ``hz`` or ``seconds``.
    """
    fig, left = plt.subplots(figsize=(6.4, 4.2))
    right = left.twinx()
    means = table.groupby(["band", axis])[["log_power", "importance"]].mean().reset_index()
    for band, colour in BAND_COLOURS.items():
        rows = means[means["band"] == band]
        if rows.empty:
            continue
        left.plot(rows[axis], rows["log_power"], "o-", ms=3, color=colour, alpha=0.8,
                  label=f"{band}: log power")
        right.plot(rows[axis], rows["importance"], "x--", ms=4, color=colour, alpha=0.7,
                   label=f"{band}: importance")
    if axis == "hz":
        left.set_xscale("log")
        left.set_xlabel("frequency (Hz, mel-bin centre)")
        right.set_ylabel("importance (share of Grad-CAM per mel bin)")
    else:
        left.set_xlabel("time (s)")
        right.set_ylabel("importance (share of Grad-CAM per frame)")
    left.set_ylabel("mean log power (dB)")
    handles = [h for ax in (left, right) for h in ax.get_legend_handles_labels()[0]]
    left.legend(handles, [h.get_label() for h in handles], fontsize=7, ncol=2,
                loc="lower left")
    left.set_title(title)
    fig.tight_layout()
    return fig


def edge_focus(table: pd.DataFrame, fraction: float, title: str) -> plt.Figure:
    """Share of Grad-CAM importance in the first and last ``fraction`` of the time axis, per
    band (a point per sample and run), against what a map ignoring time would give."""
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
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
    ax.set_xlabel("difficulty band")
    ax.set_ylabel(f"importance share in first + last {fraction:.0%} of time")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def faithfulness(table: pd.DataFrame, title: str) -> plt.Figure:
    """Mean drop in the explained class's probability when the top Grad-CAM cells are masked,
    against as many random cells, per band and masked share."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    means = table.groupby(["band", "fraction"])[["drop_gradcam", "drop_random"]].mean()
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
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title)
    fig.tight_layout()
    return fig


# --- Classes and inference ---------------------------------------------------------------------

def difficulty_recall(overview: pd.DataFrame, band: tuple[np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray], title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Class mean difficulty against test recall: labelled points, least-squares line and its
    95 % confidence band (``band``: grid, fit, low, high), as the paper's scatter."""
    fig = ax.figure if ax is not None else plt.subplots(figsize=(6.5, 4.3))[0]
    ax = ax if ax is not None else fig.axes[0]
    grid, fitted, low, high = band
    ax.fill_between(grid, low, high, color="#0000ff", alpha=0.15, label="95 % confidence band")
    ax.plot(grid, fitted, color="#0000ff", label="least-squares line")
    ax.scatter(overview["mean_difficulty"], overview["test_recall"], s=50, color="#ff6666",
               edgecolor="black", zorder=3)
    for label, row in overview.iterrows():
        ax.annotate(str(label), (row["mean_difficulty"], row["test_recall"]), fontsize=8,
                    xytext=(4, 4), textcoords="offset points",
                    bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "#aaaaaa",
                          "alpha": 0.8})
    ax.set_xlabel("class mean difficulty (mean normalised rank; 1 = hardest)")
    ax.set_ylabel("test recall (fraction)")
    ax.grid(ls="--", alpha=0.4)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def inference_probabilities(table: pd.DataFrame, labels: list[str], title: str) -> plt.Figure:
    """Class probabilities of every classified file (rows) as a heat map."""
    rows = table[table["error"] == ""]
    values = rows[labels].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(labels), 0.9 + 0.3 * len(rows)))
    image = ax.imshow(values, vmin=0, vmax=1, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(rows)), rows["filename"])
    ax.set_xlabel("class")
    ax.set_ylabel("input file")
    fig.colorbar(image, ax=ax, label="probability")
    ax.set_title(title)
    fig.tight_layout()
    return fig


# --- Results --------------------------------------------------------------------------------

def beside_paper(table: pd.DataFrame) -> plt.Figure:
    """Our value and the paper's for each quantity both report, on one scale."""
    rows = table.dropna(subset=["ours"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4))
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows.itertuples()):
        if pd.notna(row.paper):
            ax.plot([row.ours, row.paper], [yi, yi], color="0.75", zorder=1)
    ax.scatter(rows["ours"], y, marker="o", color="#1f77b4", label="ours", zorder=2)
    ax.scatter(rows["paper"], y, marker="D", color="#d62728", label="paper", zorder=2)
    ax.set_yticks(y, [f"{r.quantity.removeprefix('Spearman over classes: ')}\n({r.dataset})"
                      for r in rows.itertuples()], fontsize=8)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.set_xlabel("value (accuracy as a fraction, or Spearman correlation)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# --- Validation -----------------------------------------------------------------------------

def roc_curves(curves: dict[str, pd.DataFrame], aurocs: dict[str, float],
               title: str) -> plt.Figure:
    """One ROC curve per score for detecting the flagged samples, chance as a diagonal."""
    fig, ax = plt.subplots(figsize=(8.4, 4.6))
    for name, curve in curves.items():
        ax.plot(curve["fpr"], curve["tpr"], drawstyle="default",
                label=f"{name} (AUROC {aurocs[name]:.2f})")
    ax.plot([0, 1], [0, 1], ":", color="0.5", label="chance")
    ax.set_xlabel("false positive rate (share of other samples flagged)")
    ax.set_ylabel("true positive rate (share of injected samples found)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.03, 1.0))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def snr_binned(table: pd.DataFrame, title: str) -> plt.Figure:
    """Mean normalised rank per SNR quantile bin, with its standard error."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.errorbar(table["snr_db"], table["mean_rank"], yerr=table["sem"], fmt="o-", capsize=3)
    for row in table.itertuples():
        ax.annotate(f"n={row.samples}", (row.snr_db, row.mean_rank), fontsize=7,
                    textcoords="offset points", xytext=(4, 6))
    ax.axhline(0.5, color="0.5", ls=":", label="mean rank of all samples")
    ax.set_xlabel("signal-to-noise ratio, bin median (dB)")
    ax.set_ylabel("mean normalised rank (0 easiest, 1 hardest)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def mean_rank_bars(table: pd.DataFrame, group: str, title: str) -> plt.Figure:
    """Mean normalised rank per group (a word, an engine, a voice), hardest first."""
    fig, ax = plt.subplots(figsize=(6, 0.28 * len(table) + 1.2))
    ax.barh(table.index.astype(str)[::-1], table["mean_rank"][::-1], color="#1f77b4")
    ax.axvline(0.5, color="0.5", ls=":")
    ax.set_xlabel("mean normalised rank (0 easiest, 1 hardest)")
    ax.set_ylabel(group)
    ax.set_xlim(0, 1)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def confusion_matrix(matrix: pd.DataFrame, title: str) -> plt.Figure:
    """Share of each true class predicted as each class, pooled over the runs."""
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
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
    fig.tight_layout()
    return fig


def rank_intervals(table: pd.DataFrame, level: float, title: str) -> plt.Figure:
    """Each sample's bootstrap rank interval: its width against its rank."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.scatter(table["rank"], table["width"], s=10, alpha=0.6, color="#1f77b4")
    ax.set_xlabel("normalised rank in the full ensemble (0 easiest, 1 hardest)")
    ax.set_ylabel(f"width of the {level:.0%} rank interval")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def noise_sweep(table: pd.DataFrame, title: str) -> plt.Figure:
    """Left: each score's AUROC for the flipped labels against the share flipped. Right: the
    share of samples cleanlab flags, against the share actually flipped."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8),
                                      gridspec_kw={"width_ratios": [1.6, 1]})
    for name, part in table.groupby("score", sort=False):
        left.plot(part["flip_fraction"] * 100, part["auroc"], "o-", label=name)
    left.axhline(0.5, color="0.5", ls=":", label="chance")
    left.set_xlabel("training labels flipped (%)")
    left.set_ylabel("AUROC for the flipped labels")
    left.set_xlim(-1, float(table["flip_fraction"].max()) * 100 + 1)
    left.set_ylim(0, 1)
    left.legend(fontsize=7, loc="lower right")
    points = table.drop_duplicates("flip_fraction")
    right.plot(points["flip_fraction"] * 100, points["flagged_by_cleanlab"] * 100, "o-",
               color="#e377c2", label="flagged by cleanlab")
    top = float(max(points["flip_fraction"].max(), points["flagged_by_cleanlab"].max())) * 100
    right.plot([0, top], [0, top], ":", color="0.5", label="flagged = flipped")
    right.set_xlabel("training labels flipped (%)")
    right.set_ylabel("training samples flagged (%)")
    right.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
