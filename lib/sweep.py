"""The label-noise sweep: a dataset with ground truth (the keyword set, a user's own) relabelled
with more and more flipped labels, each
point trained and scored by its own small ensemble, and every score's detection of the flips.

Each point is a profile nested in its parent's folders (:func:`lib.paths.sweep_profile`), so
its labels, runs and scores are reused when nothing changed, like the main ensemble's.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pandas as pd

from lib import (cleanlab_baseline, detection, groundtruth, paths, record, scoring, training,
                 validation)
from lib.datasets import layout_of
from lib.difficulty import DifficultyError


def sweep_points(profile: str, datasets: list[str], ensemble: training.Ensemble,
                 scorer: scoring.Scoring, flip_fractions: list[float], seeds: list[int],
                 data_seed: int, folds: int, log: Callable[[str], None] = print
                 ) -> dict[str, pd.DataFrame]:
    """Per dataset, the detection of the flipped labels by every score at each point of the
    sweep: the profile's ``datasets`` relabelled with each of ``flip_fractions`` (same audio,
    drawn with ``data_seed``), each point scored from its own small ensemble, the first of the
    ensemble's models x ``seeds``. Every point of every dataset trains in one autrainer sweep
    (:func:`lib.training.train_points`) and each point is scored in one aucurriculum command.

    Each point is a profile nested in the parent's folders (:func:`paths.sweep_profile`), so
    its labels, runs and scores are reused when nothing changed, like the main ensemble's.
    """
    for dataset in datasets:
        if not layout_of(dataset).metadata_file:
            raise DifficultyError(f"{dataset} records no ground truth: the label-noise sweep "
                                  "relabels a dataset whose metadata records its true classes")
    # Scored from its records (no reference run: the main ensemble's shows the engines agree)
    # and kept without model states; under SCORING_ENGINE aucurriculum, every epoch's.
    small = replace(ensemble, datasets=tuple(datasets), models=ensemble.models[:1],
                    seeds=tuple(seeds), seeds_by_model=(), retention="none",
                    aucurriculum="none" if ensemble.recorded else "all")
    points = {fraction: paths.sweep_profile(profile, fraction) for fraction in flip_fractions}
    for fraction, point in points.items():
        log(f"sweep point: {fraction:.0%} flipped labels ({point})")
        for dataset in datasets:
            groundtruth.relabelled(paths.dataset_dir(profile, dataset),
                                   paths.dataset_dir(point, dataset), dataset, fraction,
                                   data_seed, log)
    training.train_points(profile, {point: small for point in points.values()}, log)
    tables: dict[str, list[pd.DataFrame]] = {dataset: [] for dataset in datasets}
    for fraction, point in points.items():
        scoring.score_ensemble(point, small, scorer, log)
        for dataset in datasets:
            truth = validation.training_truth(point, dataset)
            scores = validation.sample_scores(point, small, scorer.stop, dataset)
            cleanlab = cleanlab_baseline.cleanlab_for(point, dataset, truth["label"], folds)
            scores[record.CLEANLAB_PROBE] = cleanlab["score"]
            table = detection.detection(
                scores, groundtruth.against_genuine(truth, groundtruth.FLIPPED_COLUMN))
            tables[dataset].append(table.assign(
                flip_fraction=fraction, flagged_by_cleanlab=float(cleanlab["label_issue"].mean())))
    return {dataset: pd.concat(found, ignore_index=True) for dataset, found in tables.items()}
