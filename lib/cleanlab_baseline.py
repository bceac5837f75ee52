"""The cleanlab baseline: label issues found without the CNNs.

cleanlab needs out-of-sample class probabilities; here they come from a model-free probe (a
standardised logistic regression on each clip's mel-band means and standard deviations,
cross-validated), so the baseline shares nothing with the networks whose difficulty it is set
against. Per sample id: ``label_issue`` and ``score`` = 1 - label quality (higher = worse).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from lib import toolkit
from lib.difficulty import DifficultyError


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
