"""Each chapter's finding in a sentence or two, written from its ``summary.json``.

The book opens every chapter with :func:`opening` (inserted by :mod:`lib.book` above the
figures), the introduction and results pages with :func:`read_first`, and writes the abstract
and the discussion (:func:`abstract`, :func:`discussion`); each number comes with what it takes
to judge it (a chance level, an interval, n or p), worded by the rules of :mod:`lib.claims`.
Nothing here computes a result: the text is only as true as the records, and cannot drift from
the figures drawn from the same records.

By part: :mod:`~lib.findings.paper` (the paper's chapters), :mod:`~lib.findings.beyond`
(validation, pruning, curricula), :mod:`~lib.findings.answers` (the abstract and the results
chapter), :mod:`~lib.findings.discussion`. What a notebook shows in words besides its opening
(:func:`hardest_reading`, :func:`faithfulness_reading` of :func:`faithfulness_verdict`,
:func:`class_correlation`, :func:`fusion_reading`) is imported
here, so every reader names the package.
"""
from __future__ import annotations

from typing import Callable

from lib import record
from lib.datasets import DCASE, layout_of
from lib.record import (Classes, Curricula, Data, Definitions, Difficulty, Explanations, Inference,
                        Kinds, Pruning, Results, Review, Selection, Training, Validation)
from lib.claims import named_dataset
from lib.findings.answers import abstract, results
from lib.findings.beyond import (curricula, fusion_reading, hardest_reading, kinds, pruning,
                                 review, validation)
from lib.findings.discussion import discussion
from lib.findings.paper import (_accuracies, class_correlation, classes, data, definitions,
                                difficulty, explanations, faithfulness_reading,
                                faithfulness_verdict, inference,
                                selection, training)

__all__ = ["opening", "read_first", "abstract", "discussion", "hardest_reading",
           "faithfulness_verdict", "faithfulness_reading", "class_correlation", "fusion_reading"]

#: The opening of the "Read this first" box (MyST: a titled admonition in the important style).
BOX = ":::{admonition} Read this first\n:class: important"


OPENINGS: dict[str, Callable[[str], str]] = {
    Data.CHAPTER: data, Training.CHAPTER: training, Difficulty.CHAPTER: difficulty,
    Definitions.CHAPTER: definitions, Kinds.CHAPTER: kinds,
    Selection.CHAPTER: selection, Explanations.CHAPTER: explanations,
    Classes.CHAPTER: classes, Inference.CHAPTER: inference, Validation.CHAPTER: validation,
    Pruning.CHAPTER: pruning, Curricula.CHAPTER: curricula, Review.CHAPTER: review,
    Results.CHAPTER: results}


def opening(profile: str, chapter: str) -> str:
    """The chapter's finding, from its record; a missing record says so in one line."""
    try:
        return OPENINGS[chapter](profile)
    except record.RecordMissing as err:
        return f"*No finding yet:* {err}."


def read_first(profile: str) -> str:
    """The box on the introduction and results pages: what the build's data is, how well its
    models do against chance, and what that means for every later figure."""
    try:
        sentences, learned = _accuracies(profile)
        described = record.load(profile, Data.CHAPTER)
    except record.RecordMissing as err:
        return f"{BOX}\n*No results yet:* {err}.\n:::"
    stand_ins = [d for d in described if layout_of(d).paper_dataset not in (None, d)]
    of_paper = [d for d in described if layout_of(d).paper_dataset]
    what = (f"This build (profile `{profile}`) runs the paper's method on "
            + ", ".join(named_dataset(d) for d in described)
            + (": generated in the real datasets' on-disk layouts from synthetic voices (and, for "
               "scenes, fixed mixtures) over real recorded noise, because the real datasets "
               "cannot be downloaded where the book is built. "
               "Its findings are about how the method behaves, not about the real datasets."
               if stand_ins else "."))
    if len(of_paper) < len(described):
        what += (" Your own data has no published counterpart: every number is this build's, "
                 "with its interval or its spread over seeds, and where a chapter needs a known "
                 "truth it uses the labels flipped in the book's copy.")
    if of_paper and not any(layout_of(d).paper_dataset == DCASE for d in of_paper):
        what += (" The paper's acoustic-scene side (DCASE2020 Task 1A) is not in this build: "
                 "its offline stand-in, SyntheticScenes, only exercises the scene code path "
                 "(the smoke profile trains on it in the tests); its scenes are fixed mixtures "
                 "of a few recordings with no ground truth of difficulty, so their figures "
                 "would say nothing about scenes and are not shown.")
    meaning = ("The models have learned, so the difficulty orderings, bands and Grad-CAM maps of "
               "the later chapters can be read as the method's output"
               + ("; numbers beside the paper's compare in sign and shape, not in size."
                  if of_paper else ".")
               if learned else
               "The models have **not** learned: every later figure tests the pipeline, and none "
               "of them is a finding about difficulty.")
    return "\n".join([BOX, what, "", *sentences, "", meaning, ":::"])
