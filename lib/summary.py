"""The results chapter: every chapter's key numbers, ours beside the paper's.

Each notebook records its key numbers in ``results/<profile>/<chapter>/summary.json``
(:func:`lib.record.save`); this module only reads those and the paper's transcribed
tables in ``data/published``, so the summary never recomputes anything.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from lib import classes, record, significance, training, validation
from lib.selection import BANDS
from lib.datasets import LAYOUTS

#: The chapters whose numbers the summary reads, in pipeline order.
CHAPTERS = ("data", "training", "difficulty", "selection", "explanations", "classes",
            "inference", "validation", "pruning")
#: The validation chapter's scores the summary repeats (the rest are in that chapter).
VALIDATION_SCORES = (validation.CUMULATIVE_ACCURACY, validation.CUMULATIVE_ACCURACY_LOGS,
                     validation.CLEANLAB)
#: The paper's qualitative findings the book compares with (its figures, read by eye).
PAPER_FINDINGS = {
    "edge": "hard samples' importance towards the clip's edges (SpeechCommands time figure)",
    "peak": "easy and medium keywords peak near 1 kHz, hard ones flat (SpeechCommands)",
}


def key_numbers(profile: str) -> dict[str, dict[str, Any]]:
    """Every chapter's ``summary.json`` of a profile, by chapter."""
    return {chapter: record.load(profile, chapter) for chapter in CHAPTERS}


def _row(dataset: str, quantity: str, ours: float | None, paper: float | None,
         note: str, chance: float | None = None) -> dict[str, Any]:
    return {"dataset": dataset, "quantity": quantity, "ours": ours, "paper": paper,
            "chance": chance, "note": note}


def beside_paper(profile: str, datasets: list[str]) -> pd.DataFrame:
    """The numbers the paper also reports: test accuracy per model and the class
    correlations, ours and the paper's for the dataset ours stands in for."""
    numbers = key_numbers(profile)
    published = training.published_runs(datasets)
    paper_accuracy = published.groupby(["dataset", "model"])["test_accuracy"].mean()
    rows = []
    for dataset in datasets:
        paper_dataset = LAYOUTS[dataset].paper_dataset
        for key, accuracy in numbers["training"]["test_accuracy"].items():
            name, model = key.rsplit(" ", 1)
            if name == dataset:
                classes_here = numbers["data"].get(dataset, {}).get("classes")
                rows.append(_row(dataset, f"test accuracy, {model} (mean over seeds)",
                                 accuracy, paper_accuracy.get((paper_dataset, model)),
                                 f"best checkpoint by dev accuracy; paper: {paper_dataset}",
                                 1 / classes_here if classes_here else None))
        correlations = numbers["classes"].get(dataset, {}).get("correlations", {})
        p_values = numbers["classes"].get(dataset, {}).get("p", {})
        paper_correlations = classes.published_correlations(paper_dataset).set_index("Base")
        for base, value in correlations.items():
            paper = (paper_correlations["Spearmanr"].get(base)
                     if base in paper_correlations.index else None)
            p = p_values.get(base)
            rows.append(_row(dataset, f"Spearman over classes: {base}", value, paper,
                             f"{numbers['classes'][dataset]['classes']} classes"
                             + ("" if p is None or p != p else f", {significance.p_text(p)}")
                             + f"; paper: {len(classes.published_overview(paper_dataset))} "
                             "classes; compare the sign, not the size"))
    return pd.DataFrame(rows)


def beyond_paper(profile: str, datasets: list[str]) -> pd.DataFrame:
    """Numbers only this compendium reports (the paper's column says what it found, if
    anything, in words)."""
    numbers = key_numbers(profile)
    rows = []
    for dataset in datasets:
        difficulty = numbers["difficulty"].get(dataset, {})
        if "model_agreement" in difficulty:
            agreement = significance.Correlation(**difficulty["model_agreement"])
            rows.append(_row(dataset, "Spearman between the Cnn10 and Cnn14 orderings",
                             agreement.rho, None, f"n = {agreement.n} samples, "
                             f"{significance.p_text(agreement.p)}; do the two models find the "
                             "same samples hard?"))
        convergence = difficulty.get("convergence", {})
        if convergence:
            rows.append(_row(dataset, "Spearman of one run's ordering with the ensemble's",
                             convergence["1"], None, f"{len(convergence)} runs in the ensemble"))
        for flag in ("flipped label", "non-speech"):
            found = difficulty.get(f"{flag} in hardest 10%")
            if found and found["flagged"]:
                rows.append(_row(dataset, f"share of {flag} samples in the hardest 10 %",
                                 found["in_hardest"] / found["flagged"], None,
                                 f"{found['in_hardest']} of {found['flagged']}; chance: "
                                 f"{found['hardest_size'] / difficulty['samples']:.2f}"))
        bands = numbers["selection"].get(dataset, {}).get("correct_share_by_band", {})
        for band, share in bands.items():
            rows.append(_row(dataset, f"share of right predictions, {band} band", share, None,
                             "selected samples x explained runs"))
        explained = numbers["explanations"].get(dataset, {})
        edge = explained.get("edge_share", {})
        for band, share in sorted(edge.items(), key=lambda item: BANDS.index(item[0])):
            rows.append(_row(dataset, f"Grad-CAM share at the clip's edges, {band} band", share,
                             None, f"uniform map: 0.20; paper: {PAPER_FINDINGS['edge']}"))
        for top, drops in explained.get("faithfulness", {}).items():
            rows.append(_row(dataset, f"probability drop, top {float(top):.0%} Grad-CAM "
                             "cells masked", drops["drop_gradcam"], None,
                             f"random cells: {drops['drop_random']:.3f}"))
    for dataset in datasets:
        judged = numbers["validation"].get(dataset, {})
        for flag, found in judged.get("detection", {}).items():
            for score in VALIDATION_SCORES:
                low, high = found[score]["auroc_interval"]
                rows.append(_row(dataset, f"AUROC for {flag} samples: {score}",
                                 found[score]["auroc"], None,
                                 f"90% interval {low:.2f}–{high:.2f}; chance: 0.5"))
        if "stability" in judged:
            rows.append(_row(dataset, "Spearman between disjoint halves of the runs",
                             judged["stability"]["split_halves_spearman"], None,
                             "1: the ordering does not depend on which runs made it"))
        pruned = numbers["pruning"].get(dataset, {})
        for name, point in pruned.get("points", {}).items():
            rows.append(_row(dataset, f"test accuracy, {pruned['model']} retrained without the "
                             f"{name}", point["test_accuracy"], None,
                             f"{point['difference']:+.3f} against the unpruned "
                             f"{pruned['unpruned']:.3f} (same seeds {pruned['seeds']}); "
                             f"{point['removed']} samples removed"))
    inference = numbers["inference"]
    if inference.get("accuracy") is not None:
        rows.append(_row("new audio", f"accuracy of {inference['run']} on the examples",
                         inference["accuracy"], None,
                         f"{inference['classified']} of {inference['files']} files classified, "
                         f"{len(inference['errors'])} rejected with a named error"))
    real = inference.get("real_speech") or {}
    if real.get("accuracy") is not None:
        rows.append(_row("real speech", "ensemble accuracy on real human recordings",
                         real["accuracy"], None,
                         f"{real['words']} words, one recording each (out of domain); "
                         f"synthetic test accuracy {real['synthetic_test_accuracy']:.2f}"))
    return pd.DataFrame(rows)


def setup(profile: str, ensemble: training.Ensemble) -> str:
    """One sentence on how this build's training differs from the paper's, from its numbers."""
    numbers = key_numbers(profile)
    clips = ", ".join(f"{dataset}: {n['clips_per_split']['train']} training clips"
                      for dataset, n in numbers["data"].items() if "clips_per_split" in n)
    return (f"This build trained {numbers['training']['runs']} runs "
            f"({', '.join(f'{m} x seeds {list(ensemble.seeds_of(m))}' for m in ensemble.models)})"
            f" for {ensemble.epochs} epochs at learning rate {ensemble.learning_rate}"
            f"{'' if ensemble.scheduler == 'none' else f' ({ensemble.scheduler} schedule)'}, "
            f"batch {ensemble.batch_size}, in {ensemble.precision}"
            f"{' (' + clips + ')' if clips else ''}; the paper trained 12 runs (Cnn10 and Cnn14 x "
            "3 seeds x 2 datasets) for 100 epochs at a constant 0.001, batch 32, in fp32 on the "
            "full DCASE2020 Task 1A and SpeechCommands training sets.")
