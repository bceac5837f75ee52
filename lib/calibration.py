"""How sure the models may be: calibration of their probabilities, and when to distrust them.

A classifier's top probability is its confidence. It is *calibrated* where, of the answers
given with confidence about 0.8, about 80 % are right. The expected calibration error (ECE,
Guo et al. 2017) is the gap between confidence and accuracy averaged over equal-width
confidence bins, weighted by how many answers fall in each; the reliability diagram draws the
bins. A model that is calibrated on its own test split may still be sure and wrong outside it,
which is what the out-of-vocabulary check measures: real recordings of words the models never
learned get a top probability too, and a threshold on it, chosen on the dev split, is the
inference output's "low confidence" warning.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib import paths, toolkit, training
from lib.datasets import layout_of
from lib.training import Run

#: Equal-width confidence bins of the ECE and of the reliability diagram.
ECE_BINS = 10
#: Share of the dev split's clips (all in the vocabulary) whose top probability passes the
#: low-confidence threshold: the threshold is the dev split's (1 - coverage) quantile.
DEV_COVERAGE = 0.95
LOW_CONFIDENCE = "low confidence: may be none of the trained words"


def _bins(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Bin index of each confidence; 1.0 falls into the last bin."""
    return np.minimum((np.asarray(confidence, dtype=float) * bins).astype(int), bins - 1)


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
                ) -> pd.DataFrame:
    """Per non-empty confidence bin: its edges, the mean confidence, the accuracy and the
    number of answers in it."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    if len(confidence) != len(correct):
        raise ValueError(f"{len(confidence)} confidences but {len(correct)} correctness flags")
    if len(confidence) and ((confidence < 0) | (confidence > 1)).any():
        raise ValueError("confidences must lie in [0, 1]")
    table = pd.DataFrame({"bin": _bins(confidence, bins), "confidence": confidence,
                          "correct": correct})
    grouped = table.groupby("bin").agg(confidence=("confidence", "mean"),
                                       accuracy=("correct", "mean"),
                                       answers=("correct", "size")).reset_index()
    grouped.insert(1, "low", grouped["bin"] / bins)
    grouped.insert(2, "high", (grouped["bin"] + 1) / bins)
    return grouped.drop(columns="bin")


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    """Sum over bins of (answers in the bin / all answers) x |accuracy - mean confidence|."""
    table = reliability(confidence, correct, bins)
    if not len(table):
        raise ValueError("no answers to calibrate")
    weight = table["answers"] / table["answers"].sum()
    return float((weight * (table["accuracy"] - table["confidence"]).abs()).sum())


def confidence_threshold(dev_confidence: np.ndarray, coverage: float = DEV_COVERAGE) -> float:
    """The top probability below which an answer is flagged: the dev split's ``1 - coverage``
    quantile, so that ``coverage`` of in-vocabulary clips pass."""
    dev_confidence = np.asarray(dev_confidence, dtype=float)
    if not len(dev_confidence):
        raise ValueError("no dev-split confidences to choose a threshold from")
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must lie in (0, 1), got {coverage}")
    return float(np.quantile(dev_confidence, 1 - coverage))


def low_confidence(confidence: float, threshold: float) -> str:
    """The warning of one answer: empty where its top probability reaches the threshold."""
    return LOW_CONFIDENCE if confidence < threshold else ""


# --- The models' probabilities on a split ------------------------------------------------------

def split_probabilities(profile: str, run: Run, subset: str, device: str = "cpu"
                        ) -> pd.DataFrame:
    """Per sample of a split: ``sample_id``, ``label``, then the best checkpoint's probability
    of every class (the columns in the run's label order), on ``device`` (a DEVICE value:
    cpu, cuda or auto). Cached, and recomputed when the checkpoint is newer; the first call
    also returns what it cached, so a rebuild that reads the cache computes the same numbers
    to the last digit."""
    folder = training.run_dir(profile, run)
    cache = paths.probabilities_file(profile, run.name, subset)
    checkpoint = toolkit.best_checkpoint(folder)

    def cached() -> pd.DataFrame:
        return pd.read_csv(cache, keep_default_na=False, dtype={"sample_id": str, "label": str})

    if cache.is_file() and cache.stat().st_mtime_ns > checkpoint.stat().st_mtime_ns:
        return cached()
    layout = layout_of(run.dataset)
    table = toolkit.run_split_table(folder, subset)
    model = toolkit.RunModel(folder, device=toolkit.resolve_device(device))
    features = [np.load(toolkit.features_file(profile, run.dataset, sample_id))
                for sample_id in table[layout.index_column]]
    result = pd.DataFrame(model.probabilities(features), columns=model.labels)
    result.insert(0, "sample_id", table[layout.index_column].to_numpy())
    result.insert(1, "label", table[layout.target_column].astype(str).to_numpy())
    cache.parent.mkdir(parents=True, exist_ok=True)
    paths.write_atomically(cache, lambda partial: result.to_csv(partial, index=False))
    return cached()


def ensemble_probabilities(profile: str, runs: list[Run], subset: str, device: str = "cpu"
                           ) -> pd.DataFrame:
    """The runs' mean class probabilities per sample, joined on ``sample_id`` (samples every
    run saw), with ``confidence`` (the top probability), ``prediction`` and ``correct``."""
    tables = [split_probabilities(profile, run, subset, device).set_index("sample_id")
              for run in runs]
    common = tables[0].index
    for table in tables[1:]:
        common = common.intersection(table.index)
    labels = [c for c in tables[0].columns if c != "label"]
    mean = sum(table.loc[common, labels] for table in tables) / len(tables)
    return answers(mean.assign(label=tables[0].loc[common, "label"]), labels).reset_index()


def answers(table: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """``table`` with ``confidence``, ``prediction`` (from its class-probability columns
    ``labels``) and, where it has a ``label``, ``correct``."""
    probabilities = table[labels].astype(float)
    out = table.assign(confidence=probabilities.max(axis=1),
                       prediction=probabilities.idxmax(axis=1).astype(str))
    if "label" in out:
        out["correct"] = out["prediction"] == out["label"].astype(str)
    return out

