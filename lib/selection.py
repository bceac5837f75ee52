"""Pick the easiest, medium and hardest training samples of every class from an ordering.

The paper shows, per class, the 10 easiest, 10 middle and 10 hardest samples by ensemble rank.
Samples are ordered within their class by rank, ties broken by sample id, so the selection
does not depend on row order. A class too small for three bands of k gets smaller bands
(a third of the class each), and no sample is in two bands.

:func:`build` then saves, per selected sample, what the paper published: the raw wav, the
log-mel spectrogram (npy and png) and a Grad-CAM per seed (npy and overlay png), under
``results/<profile>/selection/<dataset>/<class>/<band>_<place>/``, with ``selection.csv`` (a row
per sample) and ``explanations.csv`` (a row per sample and run) beside them.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib import colormaps

from lib import explain, paths, scoring, toolkit, training
from lib.datasets import read_named_csv
from lib.groundtruth import GENUINE
from lib.record import BANDS, Selection as Record
from lib.training import Ensemble, Run



@dataclass(frozen=True)
class Selection:
    """Which samples are shown and who explains them: ``k`` per class in each band, Grad-CAM
    of every seed of ``model`` at ``layer`` for the ``predicted`` or ``true`` class."""
    k: int = 10
    model: str = "Cnn10"
    layer: str = "conv_block4.conv2"
    target: str = "predicted"

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Selection":
        """From checked parameters (SELECTION_K, EXPLAIN_MODEL, EXPLAIN_LAYER, EXPLAIN_TARGET)."""
        return cls(values["SELECTION_K"], values["EXPLAIN_MODEL"], values["EXPLAIN_LAYER"],
                   values["EXPLAIN_TARGET"])


def band_positions(size: int, k: int) -> dict[str, list[int]]:
    """Positions (0 = easiest) of each band in a class of ``size`` ordered samples."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    per_band = min(k, max(1, size // 3))
    easy = list(range(min(per_band, size)))
    hard = [p for p in range(max(size - per_band, 0), size) if p not in easy]
    start = round((size - per_band) / 2)
    medium = [p for p in range(start, min(start + per_band, size)) if p not in easy + hard]
    return {"easy": easy, "medium": medium, "hard": hard}


def select(ordering: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Per class, the k easiest, k medium (around the class's median rank) and k hardest samples.

    Returns the ordering's rows with ``band`` (easy, medium, hard) and ``place`` (1 = the
    easiest of its band), classes in alphabetical order, bands easy to hard.
    """
    missing = [c for c in ("sample_id", "label", "rank") if c not in ordering]
    if missing:
        raise ValueError(f"ordering lacks column {missing[0]!r}")
    parts = []
    for label, members in sorted(ordering.groupby("label"), key=lambda item: str(item[0])):
        ordered = members.sort_values(["rank", "sample_id"], kind="stable").reset_index(drop=True)
        for band, positions in band_positions(len(ordered), k).items():
            chosen = ordered.iloc[positions].copy()
            chosen.insert(0, "place", range(1, len(chosen) + 1))
            chosen.insert(0, "band", band)
            parts.append(chosen)
    table = pd.concat(parts, ignore_index=True)
    return table[["label", "band", "place", *[c for c in table.columns
                                            if c not in ("label", "band", "place")]]]


def sample_folder(label: str, band: str, place: int) -> str:
    """A selected sample's folder, relative to the dataset's selection folder."""
    return f"{label}/{band}_{place:02d}"


def explained_runs(ensemble: Ensemble, model: str, dataset: str) -> list[Run]:
    """The runs whose Grad-CAM is saved: every seed of ``model`` (the paper: Cnn10)."""
    runs = [run for run in ensemble.runs_of(dataset) if run.model == model]
    if not runs:
        raise ValueError(f"EXPLAIN_MODEL {model!r} is not among MODELS {list(ensemble.models)}")
    return runs


def _models(profile: str, device: str, runs: list[Run]) -> dict[str, toolkit.RunModel]:
    """The explained runs' best checkpoints on ``device``, keyed ``Cnn10_s1``."""
    device = toolkit.resolve_device(device)
    return {scoring.short_run(run): toolkit.RunModel(training.run_dir(profile, run), device=device)
            for run in runs}


def _key(profile: str, chosen: Selection, dataset: str, runs: list[Run]) -> str:
    """What a saved selection depends on: parameters, the ordering and the checkpoints."""
    checkpoints = [[run.name, toolkit.best_checkpoint(training.run_dir(profile, run))
                    .stat().st_mtime_ns] for run in runs]
    ordering = hashlib.sha256(paths.ordering_file(profile, dataset).read_bytes()).hexdigest()
    wanted = {"SELECTION_K": chosen.k, "EXPLAIN_MODEL": chosen.model,
              "EXPLAIN_LAYER": chosen.layer, "EXPLAIN_TARGET": chosen.target}
    return json.dumps([wanted, ordering, checkpoints], sort_keys=True)


def image(array: np.ndarray, cmap: str = "magma") -> np.ndarray:
    """An RGB image (bins x frames, low frequencies at the bottom) of a frames x bins array."""
    values = array.T[::-1].astype(float)
    span = values.max() - values.min()
    values = (values - values.min()) / span if span > 0 else np.zeros_like(values)
    return colormaps[cmap](values)[..., :3]


def overlay(spectrogram: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """Grad-CAM over a grey spectrogram: colour where the map is high, grey elsewhere."""
    grey = image(spectrogram, "gray")
    heat = image(cam, "jet")
    weight = (cam.T[::-1] / cam.max() if cam.max() > 0 else np.zeros_like(cam.T))[..., None]
    return (1 - 0.6 * weight) * grey + 0.6 * weight * heat


def _save_png(file: Path, rgb: np.ndarray) -> None:
    import matplotlib.pyplot as plt

    plt.imsave(file, np.clip(rgb, 0, 1))


def build(profile: str, ensemble: Ensemble, spec: Selection, dataset: str,
          log: Callable[[str], None] = print) -> pd.DataFrame:
    """Select a dataset's samples and save their audio, spectrogram and Grad-CAMs.

    Reuses a saved selection made with the same parameters, ordering and checkpoints. A new
    one is built in a side folder and swapped in only when complete, so a failure keeps the
    old selection whole.
    """
    runs = explained_runs(ensemble, spec.model, dataset)
    for run in runs:
        training.check_run(profile, run, ensemble.settings.epochs)
    folder = paths.selection_dir(profile, dataset)
    key = _key(profile, spec, dataset, runs)
    if (folder / "key.json").is_file() and (folder / "key.json").read_text() == key:
        log(f"{dataset}: selection unchanged, reusing {paths.relative(folder)}")
        return read(profile, dataset)
    chosen = select(scoring.read_ordering(profile, dataset), spec.k)
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    models = _models(profile, ensemble.settings.device, runs)
    audio_root = paths.dataset_dir(profile, dataset) / "default"
    rows, explanations, started = [], [], time.time()
    for number, row in enumerate(chosen.itertuples(index=False), start=1):
        relative = sample_folder(row.label, row.band, row.place)
        target = partial / relative
        target.mkdir(parents=True)
        shutil.copy2(audio_root / row.sample_id, target / "audio.wav")
        features = np.load(toolkit.features_file(profile, dataset, row.sample_id))
        first = next(iter(models.values()))
        spectrogram = first.input(features)[0, 0].cpu().numpy()
        np.save(target / "log_mel.npy", spectrogram)
        _save_png(target / "log_mel.png", image(spectrogram))
        for run_label, model in models.items():
            true_index = model.labels.index(str(row.label))
            wanted = true_index if spec.target == "true" else None
            cam, explained, probabilities = explain.gradcam(model, features, spec.layer, wanted)
            np.save(target / f"gradcam_{run_label}.npy", cam.astype(np.float32))
            _save_png(target / f"gradcam_{run_label}.png", overlay(spectrogram, cam))
            explanations.append({
                "sample_id": row.sample_id, "run": run_label,
                "explained": model.labels[explained],
                "predicted": model.labels[int(probabilities.argmax())],
                "p_explained": float(probabilities[explained]),
                "p_true": float(probabilities[true_index])})
        rows.append({**row._asdict(), "folder": relative})
        if number % 25 == 0 or number == len(chosen):
            log(f"{dataset}: {number}/{len(chosen)} samples explained by {len(models)} runs "
                f"({time.time() - started:.0f} s)")
    pd.DataFrame(rows).to_csv(partial / paths.SELECTION_TABLE, index=False)
    pd.DataFrame(explanations).to_csv(partial / paths.EXPLANATIONS_TABLE, index=False)
    (partial / "key.json").write_text(key)
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    partial.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return read(profile, dataset)


def read(profile: str, dataset: str) -> pd.DataFrame:
    """A saved selection: a row per sample with its band, place, rank and folder."""
    file = paths.selection_dir(profile, dataset) / paths.SELECTION_TABLE
    if not file.is_file():
        raise FileNotFoundError(f"{paths.relative(file)}: no selection; run "
                                "notebooks/03_selection first")
    return read_named_csv(file)


def read_explanations(profile: str, dataset: str) -> pd.DataFrame:
    """A row per selected sample and explained run: explained and predicted class, probabilities."""
    return read_named_csv(paths.selection_dir(profile, dataset) / paths.EXPLANATIONS_TABLE,
                          ("explained", "predicted"))


def load_cams(profile: str, dataset: str, selection: pd.DataFrame
              ) -> tuple[dict[str, np.ndarray], dict[tuple[str, str], np.ndarray]]:
    """The saved spectrograms (by sample id) and Grad-CAMs (by sample id and run)."""
    folder = paths.selection_dir(profile, dataset)
    spectrograms, cams = {}, {}
    for row in selection.itertuples(index=False):
        spectrograms[row.sample_id] = np.load(folder / row.folder / "log_mel.npy")
        for run, cam in sample_cams(folder / row.folder).items():
            cams[(row.sample_id, run)] = cam
    return spectrograms, cams


def sample_cams(sample: Path) -> dict[str, np.ndarray]:
    """One saved sample's Grad-CAMs, keyed by run (``Cnn10_s1``)."""
    return {file.stem.removeprefix("gradcam_"): np.load(file)
            for file in sorted(sample.glob("gradcam_*.npy"))}


def explanation_checks(profile: str, ensemble: Ensemble, spec: Selection, dataset: str,
                       chosen: pd.DataFrame, edge_fraction: float, masked: list[float],
                       log: Callable[[str], None] = print) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Edge focus (a row per sample and run: the share of importance in the first and last
    ``edge_fraction`` of the clip) and faithfulness (a row per sample, run and ``masked``
    share) of the saved Grad-CAMs, with each sample's band."""
    spectrograms, cams = load_cams(profile, dataset, chosen)
    explained = read_explanations(profile, dataset).set_index(["sample_id", "run"])
    bands = chosen.set_index("sample_id")["band"]
    models = _models(profile, ensemble.settings.device,
                     explained_runs(ensemble, spec.model, dataset))
    edges, faithful, started = [], [], time.time()
    for number, ((sample_id, run), cam) in enumerate(cams.items(), start=1):
        model = models[run]
        index = model.labels.index(str(explained.loc[(sample_id, run), "explained"]))
        edges.append({"sample_id": sample_id, "run": run, "band": bands[sample_id],
                      "edge_share": explain.edge_share(cam, edge_fraction)})
        for row in explain.faithfulness(model, spectrograms[sample_id][None], cam, index,
                                        masked, seed=number):
            faithful.append({"sample_id": sample_id, "run": run, "band": bands[sample_id],
                             **row})
        if number % 100 == 0 or number == len(cams):
            log(f"{dataset}: masked {number}/{len(cams)} Grad-CAMs "
                f"({time.time() - started:.0f} s)")
    return pd.DataFrame(edges), pd.DataFrame(faithful)


# --- The chapter's record ---------------------------------------------------------------------

def injected_per_band(chosen: pd.DataFrame, kinds: pd.Series | None) -> pd.DataFrame | None:
    """Selected samples per band (rows, easy to hard) and kind (columns); None without
    ground truth."""
    if kinds is None:
        return None
    table = chosen.assign(kind=chosen["sample_id"].map(kinds))
    return (table.groupby(["band", "kind"]).size().unstack(fill_value=0)
            .reindex(list(BANDS), fill_value=0))


def correct_share_by_band(explanations: pd.DataFrame, chosen: pd.DataFrame) -> pd.Series:
    """Per band, the share of (sample, explaining run) pairs predicted as the sample's label."""
    table = explanations.merge(chosen[["sample_id", "label", "band"]], on="sample_id")
    correct = table["predicted"].astype(str) == table["label"].astype(str)
    return correct.groupby(table["band"]).mean().reindex(list(BANDS))


def key_numbers(chosen: dict[str, pd.DataFrame], explanations: dict[str, pd.DataFrame],
                kinds: dict[str, pd.Series | None]) -> dict[str, Any]:
    """The selection chapter's record (:class:`lib.record.Selection`), per dataset."""
    numbers: dict[str, Any] = {}
    for dataset, table in chosen.items():
        entry: dict[str, Any] = {Record.SELECTED: len(table)}
        counts = injected_per_band(table, kinds.get(dataset))
        if counts is not None:
            entry[Record.INJECTED_IN_HARD_BAND] = int(
                counts.drop(columns=GENUINE, errors="ignore").sum(axis=1).get("hard", 0))
        entry[Record.CORRECT_SHARE_BY_BAND] = (
            correct_share_by_band(explanations[dataset], table).round(4).to_dict())
        numbers[dataset] = entry
    return numbers
