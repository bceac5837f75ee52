"""Grad-CAM explanations of a trained run, and what they say about easy and hard samples.

Grad-CAM comes from captum (``LayerGradCam``): it is maintained with PyTorch, needs nothing
beyond torch, and works on any named layer of autrainer's models. The map of the chosen layer
(Cnn10 ``conv_block4.conv2``: 12 frames x 8 mel bands for a 1 s clip) is upsampled bilinearly
onto the 101 x 64 log-mel spectrogram, as in the paper.

Importance is compared as shares: each map is normalised to sum 1 over the spectrogram, so a
profile over frequency (or time) says which share of a sample's importance falls in each mel
bin (or frame), whatever the map's scale.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lib import significance
from lib.record import Explanations
from lib.significance import INTERVAL_LEVEL
from lib.audio import mel_bin_centres_hz
from lib.toolkit import MEL, RunModel

TARGETS = ("predicted", "true")


def map_mel_bands(layer: str, mel_bins: int = MEL["mel_bins"]) -> int | None:
    """How many mel bands a Grad-CAM map of a PANNs layer has: a layer inside ``conv_blockK``
    sees the mel axis pooled by 2 in each of the K - 1 blocks before it (Cnn10
    ``conv_block4.conv2``: 8 of 64), the block's own output once more. A map's importance can
    peak only at one of these bands' centres, whatever the upsampling; ``None`` for a layer
    not named so."""
    block, _, inner = layer.partition(".")
    if not block.startswith("conv_block") or not block[len("conv_block"):].isdigit():
        return None
    pooled = int(block[len("conv_block"):]) - (1 if inner else 0)  # a block's output is pooled
    return max(mel_bins // 2 ** pooled, 1)


def frame_seconds(frames: int, hop: int = MEL["hop_size"],
                  sample_rate: int = MEL["sample_rate"]) -> np.ndarray:
    """Start time in seconds of each spectrogram frame."""
    return np.arange(frames) * hop / sample_rate


def gradcam(model: RunModel, features: np.ndarray, layer: str,
            target: int | None = None) -> tuple[np.ndarray, int, np.ndarray]:
    """Grad-CAM of one sample, upsampled to the input's frames x mel bins.

    ``target`` None explains the predicted class. Returns the map (non-negative, frames x
    bins, unnormalised), the explained class index and the class probabilities.
    """
    import torch
    from captum.attr import LayerAttribution, LayerGradCam

    x = model.input(features)
    with torch.no_grad():
        probabilities = torch.softmax(model.model(x), dim=1)[0].cpu().numpy()
    explained = int(probabilities.argmax()) if target is None else int(target)
    cam = LayerGradCam(model.model, model.layer(layer))
    # A bf16 run's layer activations and gradients are bf16: the map is computed in the run's
    # precision, then upsampled in float32.
    coarse = cam.attribute(x, target=explained, relu_attributions=True).float()
    fine = LayerAttribution.interpolate(coarse, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    return fine[0, 0].detach().cpu().numpy().clip(min=0), explained, probabilities


def as_share(cam: np.ndarray) -> np.ndarray:
    """The map normalised to sum 1; an all-zero map (no positive evidence) spreads evenly."""
    total = float(cam.sum())
    return cam / total if total > 0 else np.full_like(cam, 1.0 / cam.size)


def profiles(spectrograms: dict[str, np.ndarray], cams: dict[tuple[str, str], np.ndarray]
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean log power and mean importance share per mel bin and per frame.

    ``spectrograms`` maps sample id to its frames x bins log-mel; ``cams`` maps (sample id,
    run) to a Grad-CAM of the same shape. Returns two long tables (over frequency, over time)
    with one row per sample and bin or frame: ``sample_id``, ``hz``/``seconds``, ``log_power``
    and ``importance`` (the sample's share, averaged over runs).
    """
    frequency, time = [], []
    hz = mel_bin_centres_hz(MEL["mel_bins"], MEL["fmin"], MEL["fmax"])
    by_sample: dict[str, list[np.ndarray]] = {}
    for (sample_id, _), cam in cams.items():
        by_sample.setdefault(sample_id, []).append(as_share(cam))
    for sample_id, spectrogram in spectrograms.items():
        shares = by_sample.get(sample_id, [])
        share = np.mean(shares, axis=0) if shares else np.full(spectrogram.shape, np.nan)
        frames, bins = spectrogram.shape
        frequency.append(pd.DataFrame({
            "sample_id": sample_id, "mel_bin": np.arange(bins), "hz": hz[:bins],
            "log_power": spectrogram.mean(axis=0), "importance": share.sum(axis=0)}))
        time.append(pd.DataFrame({
            "sample_id": sample_id, "frame": np.arange(frames),
            "seconds": frame_seconds(frames),
            "log_power": spectrogram.mean(axis=1), "importance": share.sum(axis=1)}))
    return pd.concat(frequency, ignore_index=True), pd.concat(time, ignore_index=True)


def band_means(table: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Mean log power and importance per band and ``axis`` value (``hz`` or ``seconds``) of a
    :func:`profiles` table joined with each sample's band: the paper's band figure."""
    return table.groupby(["band", axis])[["log_power", "importance"]].mean().reset_index()


def peaks(means: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Per band, where its mean importance of :func:`band_means` peaks (``axis`` value and
    importance): what the chapter prints and the figure marks, from one table."""
    top = means.loc[means.groupby("band")["importance"].idxmax()]
    return top.set_index("band")[[axis, "importance"]]


def faithfulness_summary(table: pd.DataFrame, level: float = INTERVAL_LEVEL) -> dict[str, dict[str, Any]]:
    """Per masked share of a :func:`faithfulness` table (a row per sample, run and share): mean
    drops, the number of maps, and a bootstrap interval of the mean paired difference
    (Grad-CAM minus random)."""
    summary = {}
    for fraction, rows in table.groupby("fraction"):
        difference = (rows["drop_gradcam"] - rows["drop_random"]).to_numpy()
        low, high = significance.mean_interval(difference, level=level)
        summary[str(fraction)] = {
            Explanations.DROP_GRADCAM: round(float(rows["drop_gradcam"].mean()), 4),
            Explanations.DROP_RANDOM: round(float(rows["drop_random"].mean()), 4),
            Explanations.MAPS: len(rows),
            Explanations.DIFFERENCE_INTERVAL: [round(low, 4), round(high, 4)]}
    return summary


def key_numbers(peak_tables: dict[str, pd.DataFrame], edges: dict[str, pd.DataFrame],
                edge_fraction: float, faithful: dict[str, pd.DataFrame],
                layer: str) -> dict[str, Any]:
    """The explanations chapter's record (:class:`lib.record.Explanations`), per dataset:
    where each band's importance peaks (``peak_tables``, a row per band of :func:`peaks`) and
    at which resolution (the ``layer``'s mel bands), its share at the clip's edges (``edges``,
    a row per map) and the faithfulness checks."""
    return {dataset: {
        Explanations.IMPORTANCE_PEAK_HZ: peak_tables[dataset]["hz"].round(0).to_dict(),
        Explanations.MAP_MEL_BANDS: map_mel_bands(layer),
        Explanations.EDGE_SHARE: edges[dataset].groupby("band")["edge_share"].mean()
        .round(4).to_dict(),
        Explanations.EDGE_SHARE_UNIFORM: 2 * edge_fraction,
        Explanations.EDGE_SHARE_INTERVAL: {
            band: [round(bound, 4) for bound in significance.mean_interval(part["edge_share"])]
            for band, part in edges[dataset].groupby("band")},
        Explanations.FAITHFULNESS: faithfulness_summary(faithful[dataset])}
        for dataset in peak_tables}


def edge_share(cam: np.ndarray, fraction: float = 0.1) -> float:
    """Share of a map's importance in the first and last ``fraction`` of its frames.

    A map that ignores time scores ``2 * fraction``; the paper saw hard samples attended at the
    input's edges.
    """
    if not 0 < fraction < 0.5:
        raise ValueError(f"edge fraction must be in (0, 0.5), got {fraction}")
    share = as_share(cam).sum(axis=1)
    edge = max(1, int(round(fraction * len(share))))
    return float(share[:edge].sum() + share[-edge:].sum())


def masked(features: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Features with the given spectrogram cells set to the clip's quietest value (silence)."""
    out = np.array(features, dtype=np.float32, copy=True)
    spectrogram = out.reshape(out.shape[-2:])
    spectrogram[cells] = spectrogram.min()
    return out


#: Random maskings each Grad-CAM masking is compared with (:func:`faithfulness`).
RANDOM_MASKS = 5


def faithfulness(model: RunModel, features: np.ndarray, cam: np.ndarray, explained: int,
                 fractions: list[float], repeats: int = RANDOM_MASKS, seed: int = 0
                 ) -> list[dict[str, Any]]:
    """Drop in the explained class's probability when the top share of Grad-CAM is masked,
    against masking as many random cells (mean of ``repeats`` draws).

    A faithful map makes the first drop larger than the second. The map must be on the
    model's input grid (frames x bins after the run's transform).
    """
    rng = np.random.default_rng(seed)
    x = model.input(features)[0, 0].cpu().numpy()
    if x.shape != cam.shape:
        raise ValueError(f"Grad-CAM shape {cam.shape} differs from the input's {x.shape}")
    base = model.probabilities([x[None]])[0, explained]
    order = np.argsort(cam, axis=None, kind="stable")[::-1]
    rows = []
    for fraction in fractions:
        count = max(1, int(round(fraction * cam.size)))
        top = np.zeros(cam.size, dtype=bool)
        top[order[:count]] = True
        randoms = []
        for _ in range(repeats):
            cells = np.zeros(cam.size, dtype=bool)
            cells[rng.choice(cam.size, count, replace=False)] = True
            randoms.append(masked(x[None], cells.reshape(cam.shape)))
        probabilities = model.probabilities([masked(x[None], top.reshape(cam.shape)),
                                             *randoms])[:, explained]
        rows.append({"fraction": fraction, "probability": float(base),
                     "drop_gradcam": float(base - probabilities[0]),
                     "drop_random": float(base - probabilities[1:].mean())})
    return rows
