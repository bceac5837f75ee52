"""The results chapter: every chapter's key numbers, ours beside the paper's.

Each notebook records its key numbers in ``results/<profile>/<chapter>/summary.json``
(:mod:`lib.record`, whose classes name every key); this module only reads those and the
paper's transcribed tables in ``data/published``, so the summary never recomputes anything.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from lib import calibration, claims, classes, record, significance, training
from lib.datasets import layout_of
from lib.difficulty import HardestShare
from lib.findings.beyond import shared_with_pruning
from lib.findings.paper import (FOLLOW_UP_AGREEMENT, FOLLOW_UP_MODELS, FOLLOW_UP_SEEDS,
                                PAPER_DEFINITION, definition_choice, follow_up,
                                real_speech_verdict)
from lib.record import (BANDS, Classes, Curricula, Data, Definitions, Difficulty, Explanations,
                        Inference, Pruning, Results, Selection, Training, Validation)

#: The validation chapter's scores the summary repeats (the rest are in that chapter).
VALIDATION_SCORES = (record.CUMULATIVE_ACCURACY, record.CUMULATIVE_ACCURACY_LOGS,
                     record.CLEANLAB_NETWORK)
#: The paper's qualitative findings the book compares with (its figures, read by eye).
PAPER_FINDINGS = {
    "edge": "hard samples' importance towards the clip's edges (SpeechCommands time figure)",
    "peak": "easy and medium keywords peak near 1 kHz, hard ones flat (SpeechCommands)",
}


def records(profile: str) -> dict[str, dict[str, Any]]:
    """Every chapter's record of a profile but the results chapter's own, by chapter."""
    return {chapter.CHAPTER: record.load(profile, chapter.CHAPTER)
            for chapter in record.CHAPTERS if chapter is not Results}


#: The columns of :func:`beside_paper` and :func:`beyond_paper`, so an empty table has them.
COLUMNS = ("dataset", "quantity", "ours", "paper", "chance", "note")


def _row(dataset: str, quantity: str, ours: float | None, paper: float | None,
         note: str, chance: float | None = None) -> dict[str, Any]:
    return dict(zip(COLUMNS, (dataset, quantity, ours, paper, chance, note)))


#: The quantity of the :func:`beside_paper` row of the paper's class-level finding.
DIFFICULTY_TEST_ROW = f"Spearman: {classes.CORRELATION_NAMES[record.DIFFICULTY_TEST]}"


def beside_paper(profile: str, datasets: list[str]) -> pd.DataFrame:
    """The numbers the paper also reports: test accuracy per model and the class
    correlations, ours and the paper's for the dataset ours stands in for."""
    numbers = records(profile)
    published = training.published_runs(datasets)
    paper_accuracy = published.groupby(["dataset", "model"])["test_accuracy"].mean()
    rows = []
    for dataset in datasets:
        if layout_of(dataset).paper_dataset is not None:  # a user's own: in beyond_paper
            rows += _model_and_class_rows(numbers, dataset, paper_accuracy)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _model_and_class_rows(numbers: dict[str, dict[str, Any]], dataset: str,
                          paper_accuracy: pd.Series | None = None) -> list[dict[str, Any]]:
    """A dataset's test accuracy per model and its class correlations; beside the paper's
    (``paper_accuracy``: mean test accuracy by paper dataset and model) where it has one."""
    paper_dataset = layout_of(dataset).paper_dataset
    rows = []
    classes_here = numbers[Data.CHAPTER].get(dataset, {}).get(Data.CLASSES)
    for key, accuracy in numbers[Training.CHAPTER][Training.TEST_ACCURACY].items():
        name, model = record.split_model_key(key)
        if name == dataset:
            rows.append(_row(dataset, f"test accuracy, {model} (mean over seeds)", accuracy,
                             None if paper_accuracy is None
                             else paper_accuracy.get((paper_dataset, model)),
                             "best checkpoint by dev accuracy"
                             + (f"; paper: {paper_dataset}" if paper_dataset else ""),
                             1 / classes_here if classes_here else None))
    by_class = numbers[Classes.CHAPTER].get(dataset, {})
    paper_correlations = (classes.published_correlations(paper_dataset).set_index("Base")
                          if paper_dataset else pd.DataFrame(columns=["Spearmanr"]))
    for base, value in by_class.get(Classes.CORRELATIONS, {}).items():
        paper = (paper_correlations["Spearmanr"].get(base)
                 if base in paper_correlations.index else None)
        p = by_class.get(Classes.P, {}).get(base)
        rows.append(_row(dataset, f"Spearman: {classes.CORRELATION_NAMES[base]}", value, paper,
                         f"{by_class[Classes.CLASSES]} classes"
                         + ("" if p is None or p != p else f", {significance.p_text(p)}")
                         + (f"; paper: {len(classes.published_overview(paper_dataset))} "
                            "classes; compare the sign, not the size" if paper_dataset else "")))
    return rows


def _same_seeds(seeds: list[int]) -> str:
    """"same seed 1, one seed" or "same seeds 1, 2, 3": how a point is paired with the runs it
    is compared with."""
    return (f"same seed{'s' if len(seeds) > 1 else ''} " + ", ".join(map(str, seeds))
            + (", one seed" if len(seeds) == 1 else ""))


def _paired(point: dict[str, Any], key: str) -> str:
    """A point's paired interval on the same test clips, for a note ("" where not recorded)."""
    if key not in point:
        return ""
    low, high = point[key]
    return f"; same test clips, 90 % interval {low:+.3f} to {high:+.3f}"


def _retrained_row(dataset: str, chapter: type[Pruning] | type[Curricula],
                   point: dict[str, Any], what: str, against: str, seeds: list[int],
                   extra: str = "") -> dict[str, Any]:
    """A pruning or curriculum point's row: its test accuracy, its change from the runs it is
    compared with (same seeds) and its paired interval on the same test clips."""
    return _row(dataset, f"test accuracy, {what}", point[chapter.TEST_ACCURACY], None,
                f"{point[chapter.DIFFERENCE]:+.3f} against {against} ({_same_seeds(seeds)}"
                f"{_paired(point, chapter.PAIRED_INTERVAL)}){extra}")


def _definition_rows(dataset: str, n: dict[str, Any]) -> list[dict[str, Any]]:
    """The Definitions chapter's figures: each definition's mean AUROC over the wrong labels
    and its run-to-run Spearman, the one to use first."""
    choice = definition_choice(n) if n else None
    if choice is None:
        return []
    rows = []
    for name in [choice.definition, *[d for d in choice.stability if d != choice.definition]]:
        used = " (the one to use here)" if name == choice.definition else ""
        if name in choice.auroc:
            rows.append(_row(dataset, f"mean AUROC over the wrong labels: {name}{used}",
                             choice.auroc[name], None,
                             f"over {claims.listed(list(choice.kinds))}; chance: 0.5"))
        if choice.stability[name] is not None:
            rows.append(_row(dataset, f"Spearman of one run's ordering with another's: {name}",
                             choice.stability[name], None,
                             "1: the ordering does not depend on the seed"))
    return rows


def beyond_paper(profile: str, datasets: list[str]) -> pd.DataFrame:
    """Numbers only this compendium reports (the paper's column says what it found, if
    anything, in words)."""
    numbers = records(profile)
    rows = []
    for dataset in datasets:
        if layout_of(dataset).paper_dataset is None:
            rows += _model_and_class_rows(numbers, dataset)
        ordered = numbers[Difficulty.CHAPTER].get(dataset, {})
        if Difficulty.MODEL_AGREEMENT in ordered:
            agreement = significance.Correlation(**ordered[Difficulty.MODEL_AGREEMENT])
            rows.append(_row(dataset, "Spearman between the Cnn10 and Cnn14 orderings",
                             agreement.rho, None, f"n = {agreement.n} samples, "
                             f"{significance.p_text(agreement.p)}; do the two models find the "
                             "same samples hard?"))
        convergence = ordered.get(Difficulty.CONVERGENCE, {})
        if convergence:
            rows.append(_row(dataset, "Spearman of one run's ordering with the ensemble's",
                             convergence["1"], None, f"{len(convergence)} runs in the ensemble"))
        for kind, share in ordered.get(Difficulty.HARDEST, {}).items():
            share = HardestShare(**share)
            if share.flagged:
                rows.append(_row(dataset, f"share of {kind} samples in the hardest "
                                 f"{ordered[Difficulty.HARDEST_FRACTION] * 100:.0f} %",
                                 share.in_hardest / share.flagged, None,
                                 f"{share.in_hardest} of {share.flagged}; chance: "
                                 f"{share.hardest_size / ordered[Difficulty.SAMPLES]:.2f}"))
        bands = numbers[Selection.CHAPTER].get(dataset, {}).get(Selection.CORRECT_SHARE_BY_BAND,
                                                                 {})
        for band, share in bands.items():
            rows.append(_row(dataset, f"share of right predictions, {band} band", share, None,
                             "selected samples x explained runs"))
        explained = numbers[Explanations.CHAPTER].get(dataset, {})
        edge = explained.get(Explanations.EDGE_SHARE, {})
        for band, share in sorted(edge.items(), key=lambda item: BANDS.index(item[0])):
            rows.append(_row(dataset, f"Grad-CAM share at the clip's edges, {band} band", share,
                             None, f"uniform map: {explained[Explanations.EDGE_SHARE_UNIFORM]:.2f}"
                             + (f"; paper: {PAPER_FINDINGS['edge']}"
                                if layout_of(dataset).paper_dataset else "")))
        for top, drops in explained.get(Explanations.FAITHFULNESS, {}).items():
            rows.append(_row(dataset, f"probability drop, top {float(top):.0%} Grad-CAM "
                             "cells masked", drops[Explanations.DROP_GRADCAM], None,
                             f"random cells: {drops[Explanations.DROP_RANDOM]:.3f}"))
    for dataset in datasets:
        judged = numbers[Validation.CHAPTER].get(dataset, {})
        for flag, found in judged.get(Validation.DETECTION, {}).items():
            for score in VALIDATION_SCORES:
                low, high = found[score][Validation.AUROC_INTERVAL]
                rows.append(_row(dataset, f"AUROC for {flag} samples: {score}",
                                 found[score][Validation.AUROC], None,
                                 f"90% interval {low:.2f}–{high:.2f}; chance: 0.5"))
        if Validation.STABILITY in judged:
            rows.append(_row(dataset, "Spearman between disjoint halves of the runs",
                             judged[Validation.STABILITY][Validation.SPLIT_HALVES_SPEARMAN], None,
                             "1: the ordering does not depend on which runs made it"))
        rows += _definition_rows(dataset, numbers[Definitions.CHAPTER].get(dataset, {}))
        pruned = numbers[Pruning.CHAPTER].get(dataset, {})
        for name, point in pruned.get(Pruning.POINTS, {}).items():
            rows.append(_retrained_row(
                dataset, Pruning, point, f"{pruned[Pruning.MODEL]} retrained without the {name}",
                f"the unpruned {pruned[Pruning.UNPRUNED]:.3f}", pruned[Pruning.SEEDS],
                f"; {point[Pruning.REMOVED]} samples removed"))
        taught = numbers[Curricula.CHAPTER].get(dataset, {})
        shared = shared_with_pruning(profile, dataset, taught) if taught else {}
        for name, point in taught.get(Curricula.POINTS, {}).items():
            if name not in shared:
                rows.append(_retrained_row(
                    dataset, Curricula, point,
                    f"{taught[Curricula.MODEL]} trained with the {name}",
                    f"{taught[Curricula.WITHOUT]:.3f} without a curriculum",
                    taught[Curricula.SEEDS]))
    inferred = numbers[Inference.CHAPTER]
    if inferred.get(Inference.ACCURACY) is not None:
        rows.append(_row("new audio", f"accuracy of {inferred[Inference.RUN]} on the examples",
                         inferred[Inference.ACCURACY], None,
                         f"{inferred[Inference.CLASSIFIED]} of {inferred[Inference.FILES]} "
                         f"files classified, {len(inferred[Inference.ERRORS])} rejected with a "
                         "named error"))
    real = real_speech_verdict(inferred)
    if real is not None:
        rows.append(_row("real speech", "ensemble accuracy on real human recordings",
                         real.right / real.words, None,
                         f"{real.words} words, one recording each, {real.who} (out of "
                         f"domain): {real.text}"))
    calibrated = (inferred.get(Inference.CALIBRATION) or {}).get(Inference.SYNTHETIC_TEST)
    if calibrated:
        rows.append(_row("new audio", "expected calibration error, synthetic test split",
                         calibrated[Inference.ECE], None,
                         f"ensemble, {calibrated[Inference.ANSWERS]} answers, "
                         f"{calibration.ECE_BINS} confidence bins"))
    oov = inferred.get(Inference.OUT_OF_VOCABULARY)
    if oov:
        rows.append(_row("real speech", "share of out-of-vocabulary words flagged "
                         "low-confidence", oov[Inference.FLAGGED], None,
                         f"{oov[Inference.WORDS]} real letters; threshold "
                         f"{oov[Inference.THRESHOLD]:.2f} from the dev split"))
    return pd.DataFrame(rows, columns=list(COLUMNS))


#: The columns of :func:`beside_follow_up`.
FOLLOW_UP_COLUMNS = ("dataset", "quantity", "ours", "follow-up", "note")
#: The follow-up's findings in words (its abstract), beside this build's figures.
FOLLOW_UP_FINDINGS = {
    "curricula": "no general advantage of a curriculum over uniform sampling",
    "fusion": "models trained with different curricula complement each other in late fusion",
}


def beside_follow_up(profile: str, datasets: list[str]) -> pd.DataFrame:
    """This build's figures beside the authors' follow-up (arXiv 2411.00973): the agreement of
    orderings across seeds, models and definitions (its ranges, ``data/published``), and what
    curricula and their late fusion did (its findings, in words)."""
    numbers, published = records(profile), follow_up()
    rows = []

    def add(dataset: str, quantity: str, ours: float | None, theirs: str, note: str) -> None:
        if ours is not None:
            rows.append(dict(zip(FOLLOW_UP_COLUMNS, (dataset, quantity, ours, theirs, note))))

    def span(key: str) -> str:
        low, high = published[key]
        return f"{low:.2f}–{high:.2f}"

    for dataset in datasets:
        defined = numbers[Definitions.CHAPTER].get(dataset, {})
        seeds = defined.get(Definitions.STABILITY, {}).get(PAPER_DEFINITION, {})
        add(dataset, f"Spearman of one run's ordering with another's ({PAPER_DEFINITION})",
            seeds.get(Definitions.RUN_TO_RUN), span(FOLLOW_UP_SEEDS),
            "the same model, another seed")
        models = numbers[Difficulty.CHAPTER].get(dataset, {}).get(Difficulty.MODEL_AGREEMENT)
        add(dataset, "Spearman of Cnn10's ordering with Cnn14's",
            models["rho"] if models else None, span(FOLLOW_UP_MODELS),
            "here the two models' ensemble orderings")
        add(dataset, "mean Spearman between definitions", defined.get(Definitions.MEAN_AGREEMENT),
            span(FOLLOW_UP_AGREEMENT), "the control left out")
        taught = numbers[Curricula.CHAPTER].get(dataset, {})
        for name, point in taught.get(Curricula.POINTS, {}).items():
            if point.get(Curricula.SCHEDULE) == "curriculum":
                add(dataset, f"change of test accuracy, {name}", point[Curricula.DIFFERENCE],
                    FOLLOW_UP_FINDINGS["curricula"],
                    "against the same seeds without one"
                    + _paired(point, Curricula.PAIRED_INTERVAL))
        fused = taught.get(Curricula.FUSION) or {}
        if fused:
            add(dataset, "late fusion of the curriculum models, minus as many runs without one",
                fused[Curricula.FUSED_ACCURACY] - fused[Curricula.BASELINE_ACCURACY],
                FOLLOW_UP_FINDINGS["fusion"],
                f"{fused[Curricula.FUSED_MODELS]} models each, test accuracy")
    return pd.DataFrame(rows, columns=list(FOLLOW_UP_COLUMNS))


def key_numbers(reported: pd.DataFrame, beyond: pd.DataFrame) -> dict[str, Any]:
    """The results chapter's record (:class:`lib.record.Results`) from :func:`beside_paper`
    and :func:`beyond_paper`."""
    return {Results.COMPARED_WITH_PAPER: int(reported["paper"].notna().sum()),
            Results.BEYOND_PAPER: len(beyond),
            Results.DIFFICULTY_TEST_SAME_SIGN: {
                row.dataset: claims.same_sign(row.ours, row.paper) for row in reported.itertuples()
                if row.quantity == DIFFICULTY_TEST_ROW}}


def setup(profile: str, ensemble: training.Ensemble) -> str:
    """One sentence on how this build's training differs from the paper's, from its numbers."""
    numbers, settings = records(profile), ensemble.settings
    clips = ", ".join(f"{dataset}: {n[Data.CLIPS_PER_SPLIT]['train']} training clips"
                      for dataset, n in numbers[Data.CHAPTER].items() if Data.CLIPS_PER_SPLIT in n)
    return (f"This build trained {numbers[Training.CHAPTER][Training.RUNS]} runs "
            f"({', '.join(f'{m} x seeds {list(ensemble.seeds_of(m))}' for m in ensemble.models)})"
            f" for {settings.epochs} epochs at learning rate {settings.learning_rate}"
            f"{'' if settings.scheduler == 'none' else f' ({settings.scheduler} schedule)'}, "
            f"batch {settings.batch_size}, in {settings.precision}"
            f"{' (' + clips + ')' if clips else ''}"
            + ("; the paper trained 12 runs (Cnn10 and Cnn14 x 3 seeds x 2 datasets) for 100 "
               "epochs at a constant 0.001, batch 32, in fp32 on the full DCASE2020 Task 1A and "
               "SpeechCommands training sets." if any(layout_of(d).paper_dataset for d in
                                                     numbers[Data.CHAPTER]) else "."))
