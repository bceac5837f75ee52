"""The cleanlab baseline: label issues found from out-of-sample class probabilities.

cleanlab needs, for every training sample, class probabilities from a model that never saw
it. The fair source is the network itself, cross-validated: CVLoss's fold models
(:mod:`lib.definitions`), each trained on the other folds, give the samples of their own fold
(:func:`fold_probabilities`), as in cleanlab's own benchmarks. The older source, a model-free
probe (a standardised logistic regression on each clip's mel-band means and standard
deviations), is kept as a labelled extra. Per sample id: ``label_issue`` and ``score`` =
1 - label quality (higher = worse).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lib import paths, toolkit
from lib.datasets import layout_of
from lib.difficulty import DifficultyError

#: The column of :func:`fold_probabilities` naming the fold whose model gave a sample's row.
FOLD = "fold"


def pooled_features(profile: str, dataset: str, sample_ids: pd.Index) -> np.ndarray:
    """Per sample: the mean and standard deviation of each mel band over time (2 x 64 values),
    a model-free description for the cleanlab baseline's probe."""
    rows = []
    for sample_id in sample_ids:
        features = np.load(toolkit.features_file(profile, dataset, sample_id)).reshape(-1, 64)
        rows.append(np.concatenate([features.mean(axis=0), features.std(axis=0)]))
    return np.asarray(rows)


def out_of_sample_probabilities(features: np.ndarray, labels: pd.Series, folds: int,
                                seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Class probabilities for every sample from a probe that never saw it: a standardised
    logistic regression, ``folds``-fold cross-validated and stratified by class."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classes = sorted(labels.unique())
    smallest = int(labels.value_counts().min())
    if smallest < folds:
        raise DifficultyError(f"class {labels.value_counts().idxmin()!r} has {smallest} training "
                              f"samples, fewer than CLEANLAB_FOLDS={folds}")
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    probabilities = cross_val_predict(
        probe, features, labels.map(classes.index).to_numpy(),
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed), method="predict_proba")
    return probabilities, classes


def cleanlab_scores(labels: pd.Series, probabilities: np.ndarray,
                    classes: list[str]) -> pd.DataFrame:
    """cleanlab's label-issue detection per sample id: ``label_issue`` (its
    ``find_label_issues``) and ``score`` = 1 - label quality (higher = more likely an issue)."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    encoded = labels.map(classes.index).to_numpy()
    return pd.DataFrame({
        "score": 1 - get_label_quality_scores(encoded, probabilities),
        "label_issue": find_label_issues(encoded, probabilities),
    }, index=labels.index)


def cleanlab_for(profile: str, dataset: str, labels: pd.Series, folds: int) -> pd.DataFrame:
    """cleanlab's scores for a dataset's training samples (``labels`` by sample id), from an
    out-of-sample probe on their pooled features."""
    probabilities, names = out_of_sample_probabilities(
        pooled_features(profile, dataset, labels.index), labels, folds)
    return cleanlab_scores(labels, probabilities, names)


def fold_probabilities(profile: str, dataset: str, folds: dict[str, Path], device: str = "cpu"
                       ) -> pd.DataFrame:
    """The network's out-of-fold class probabilities, by sample id: each sample's row comes
    from the model of the one fold that held it out (whose ``scores.csv`` lists it), trained on
    the other folds only. Columns: :data:`FOLD`, then one per class."""
    layout = layout_of(dataset)
    parts = []
    for fold, folder in folds.items():
        scored = folder / "scores.csv"
        if not scored.is_file():
            raise DifficultyError(f"{paths.relative(scored)}: CVLoss fold not scored")
        held_out = pd.read_csv(scored)[layout.index_column]
        model = toolkit.RunModel(folder, device=device)
        probabilities = model.probabilities(
            [np.load(toolkit.features_file(profile, dataset, sample)) for sample in held_out])
        part = pd.DataFrame(probabilities, index=pd.Index(held_out, name="sample_id"),
                            columns=model.labels)
        part.insert(0, FOLD, fold)
        parts.append(part)
    table = pd.concat(parts)
    twice = table.index[table.index.duplicated()]
    if len(twice):
        raise DifficultyError(f"sample {twice[0]!r} is held out by two CVLoss folds")
    return table


def network_cleanlab(labels: pd.Series, probabilities: pd.DataFrame) -> pd.DataFrame:
    """cleanlab's scores (:func:`cleanlab_scores`) from :func:`fold_probabilities`, joined on
    the sample id; one line when a labelled sample has no out-of-fold row."""
    missing = labels.index.difference(probabilities.index)
    if len(missing):
        raise DifficultyError(f"sample {missing[0]!r} has no out-of-fold probabilities")
    classes = [c for c in probabilities.columns if c != FOLD]
    return cleanlab_scores(labels, probabilities.loc[labels.index, classes].to_numpy(), classes)


def kept_fold_probabilities(profile: str, dataset: str) -> pd.DataFrame | None:
    """The out-of-fold probabilities the Definitions chapter keeps (:func:`fold_probabilities`,
    by sample id), None where it kept none (no CVLoss in DEFINITIONS)."""
    file = paths.fold_probabilities_file(profile, dataset)
    return pd.read_csv(file, index_col="sample_id") if file.is_file() else None


def stored_network_cleanlab(profile: str, dataset: str, labels: pd.Series) -> pd.DataFrame:
    """:func:`network_cleanlab` from the out-of-fold probabilities the Definitions chapter
    keeps; one line when they are not there."""
    probabilities = kept_fold_probabilities(profile, dataset)
    if probabilities is None:
        file = paths.fold_probabilities_file(profile, dataset)
        raise DifficultyError(f"{paths.relative(file)} missing: the network's out-of-fold "
                              "probabilities come from CVLoss's fold models (run "
                              "notebooks/02b_definitions with CVLoss in DEFINITIONS)")
    return network_cleanlab(labels, probabilities)
