"""The study's answers, a sentence or two each from the chapters' records: the abstract and the
results chapter's opening, each answer linking to its chapter."""
from __future__ import annotations

from typing import Any, Callable

from lib import record, significance
from lib.difficulty import HardestShare
from lib.groundtruth import FLIPPED, NONSPEECH
from lib.record import (Classes, Curricula, Data, Definitions, Difficulty, Explanations, Inference,
                        Kinds, Pruning, Training, Validation)
from lib.claims import detected, has_paper, hyphenated, interval_text, listed, separation
from lib.findings.beyond import (curricula_claim, curricula_verdict, Detection, lead_detections,
                                 pruning_claim, pruning_verdict, shared_with_pruning)
from lib.findings.paper import (choice_text, class_findings, definition_choice,
                                faithfulness_reading, faithfulness_verdict, model_accuracies,
                                _peaks_against_paper, real_speech_verdict)


def results(profile: str) -> str:
    """The study's findings (the abstract's answers but the models', which the box above
    states), each linking to its chapter beside this page."""
    return _answers(profile, ANSWERS[1:], "")


# --- The abstract: the study's answers, each linking to its chapter ---------------------------

#: Where the chapters' pages are, seen from the introduction and the Discussion (the results
#: page sits beside them).
FROM_INTRODUCTION = "executed/"


def _link(text: str, notebook: str, base: str) -> str:
    """A link to a chapter from a page that sees the chapters under ``base``."""
    return f"[{text}]({base}{notebook}.ipynb)"


def _with_ground_truth(profile: str) -> tuple[str, dict[str, Any]] | None:
    """The first dataset the Validation chapter judged against a ground truth, and its record."""
    return next(((d, n) for d, n in record.load(profile, Validation.CHAPTER).items()
                 if n.get(Validation.DETECTION)), None)


def _answer_models(profile: str, base: str) -> str:
    sentences, learned = [], True
    for dataset, (n, models) in model_accuracies(profile).items():
        chance = models[0].chance
        parts = [f"{m.accuracy:.2f} for {m.model}"
                 + (f" ({m.seeds} seeds)" if m.seeds and m.seeds > 1 else
                    " (one seed)" if m.seeds else "") for m in models]
        learned &= all(m.learned for m in models)
        sentences.append(f"on {dataset} (chance {chance:.2f}) the models reach test "
                         f"accuracy {listed(parts)}")
    if not sentences:
        return ""
    text = f"{'; '.join(sentences)} ({_link('Training', Training.NOTEBOOK, base)})."
    text = text[0].upper() + text[1:]
    return text + ("" if learned else " These models have **not** learned: the answers below "
                   "test the pipeline, not the method.")


def _kinds_compared(detections: dict[str, Detection]) -> str:
    """Whether the lead score finds the flipped labels better than the non-speech clips: the
    mechanism the Discussion expects (a flipped label contradicts a learned word, a
    non-speech clip contradicts nothing and can be memorised), read by :func:`separation`."""
    if FLIPPED not in detections or NONSPEECH not in detections:
        return ""
    flipped, nonspeech = detections[FLIPPED].interval, detections[NONSPEECH].interval
    return {1: "; the flipped labels are found better than the non-speech clips (the intervals "
               "separate)",
            -1: "; the non-speech clips are found better than the flipped labels (the intervals "
                "separate)",
            0: "; the intervals of the two kinds overlap, so this build does not say which is "
               "found better"}[separation(flipped, nonspeech)]


def _answer_scores(profile: str, base: str) -> str:
    found = _with_ground_truth(profile)
    if found is None:
        return ""
    dataset, n = found
    detections = lead_detections(n)
    parts = [f"the {hyphenated(kind)} clips are {found.words}: AUROC {found.auroc:.2f} "
             f"(90 % interval {interval_text(*found.interval)})"
             for kind, found in detections.items()]
    sentence = (f"Ranked by CumulativeAccuracy, the paper's score, {'; '.join(parts)}, where "
                f"chance is 0.5" + _kinds_compared(detections)
                + f" ({_link('Validation', Validation.NOTEBOOK, base)})")
    shares = record.load(profile, Difficulty.CHAPTER).get(dataset, {}).get(Difficulty.HARDEST, {})
    flipped = shares.get(FLIPPED)
    if flipped:
        share = HardestShare(**flipped)
        sentence += (f"; the hardest {share.hardest_size} of its samples hold {share.in_hardest} "
                     f"of the {share.flagged} flipped labels, where chance would put "
                     f"{share.expected_by_chance:.1f} "
                     f"({_link('Difficulty', Difficulty.NOTEBOOK, base)})")
    return sentence + "."


def _answer_definitions(profile: str, base: str) -> str:
    """Which definition of difficulty to use, by detection, stability and cost
    (:class:`~lib.findings.paper.Choice`), on the first dataset with a ground truth (else the
    first)."""
    records = record.load(profile, Definitions.CHAPTER)
    choices = {d: c for d, c in ((d, definition_choice(n)) for d, n in records.items()) if c}
    if not choices:
        return ""
    dataset = next((d for d, c in choices.items() if c.kinds), next(iter(choices)))
    text = choice_text(choices[dataset], f"Of aucurriculum's definitions of difficulty, use {{}} "
                                         f"on {dataset}: ")
    return f"{text[:-1]} ({_link('Definitions', Definitions.NOTEBOOK, base)})."


def _answer_kinds(profile: str, base: str) -> str:
    """Which of the field's scores leads on which kind, and what the near-duplicate checks
    found, on the first dataset with a ground truth of kinds."""
    from lib.duplicates import CHECKS

    for dataset, n in record.load(profile, Kinds.CHAPTER).items():
        best = n.get(Kinds.BEST) or {}
        if not best:
            continue
        found = {kind: lead for kind, lead in best.items()
                 if detected(tuple(lead[Kinds.AUROC_INTERVAL])) == 1}
        parts = []
        if found:
            clear = sum(lead[Kinds.BEYOND_INTERVALS] for lead in found.values())
            parts.append("among the field's scores the lead per kind is " + listed(
                [f"{lead[Kinds.SCORE]} on {hyphenated(kind)} clips ({lead[Kinds.AUROC]:.2f})"
                 for kind, lead in found.items()])
                + (f"; {clear} of these {len(found)} leads clear the runner-up's interval"
                   if len(found) > 1 else
                   f"; it {'clears' if clear else 'does not clear'} the runner-up's interval"))
        missed = [hyphenated(kind) for kind in best if kind not in found]
        if missed:
            parts.append(f"no score finds the {listed(missed)} clips")
        checked = n.get(Kinds.DUPLICATES) or {}
        planted = checked.get(Kinds.PLANTED_PAIRS)
        if planted:
            most = max(checked[check][Kinds.PLANTED_FOUND] for check in CHECKS)
            leaked = {pair: count for pair, count in checked.get(Kinds.SHARED_SPEAKERS, {}).items()
                      if {"train", "test"} <= set(pair.split(" & "))}
            shared = sum(leaked.values())
            parts.append(f"the near-duplicate checks on audio and embeddings find {most} of "
                         f"the {planted} planted pairs"
                         + (f", while the {shared} speakers the training and test splits share "
                            "give the leak away" if shared else ""))
        return (f"On {dataset}, " + "; ".join(parts)
                + f" ({_link('Kinds', Kinds.NOTEBOOK, base)}).") if parts else ""
    return ""


def _answer_classes(profile: str, base: str) -> str:
    return " ".join(f"Across the classes of {found.dataset}, mean difficulty against test "
                    f"recall: {found.claim} (Spearman {found.rho:.2f}, "
                    f"{significance.p_text(found.p)}"
                    + ("" if found.paper_rho is None else f"; the paper {found.paper_rho:.2f}")
                    + ") "
                    f"({_link('Classes', Classes.NOTEBOOK, base)})."
                    for found in class_findings(profile))


def _answer_attention(profile: str, base: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Explanations.CHAPTER).items():
        peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
        faithful = n.get(Explanations.FAITHFULNESS, {})
        parts = []
        if peaks:
            parts.append(_peaks_against_paper(peaks, has_paper(dataset),
                                              n.get(Explanations.MAP_MEL_BANDS)))
        verdict = faithfulness_verdict(faithful)
        if verdict:
            parts.append(f"in the masking check, {faithfulness_reading(verdict)}")
        if parts:
            sentences.append(f"On {dataset}, " + "; ".join(parts)
                             + f" ({_link('Explanations', Explanations.NOTEBOOK, base)}).")
    return " ".join(sentences)


def _answer_pruning(profile: str, base: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Pruning.CHAPTER).items():
        if n[Pruning.POINTS]:
            test_clips = max(described[dataset][Data.CLIPS_PER_SPLIT].get("test", 0), 1)
            verdict = pruning_claim(pruning_verdict(n, test_clips))
            sentences.append(f"Pruning {dataset}: {verdict} "
                             f"({_link('Pruning', Pruning.NOTEBOOK, base)}).")
    return " ".join(sentences)


def _answer_curricula(profile: str, base: str) -> str:
    return " ".join(
        f"Curricula on {dataset}: "
        f"{curricula_claim(curricula_verdict(n, shared_with_pruning(profile, dataset, n)))} "
        f"({_link('Curricula', Curricula.NOTEBOOK, base)})."
        for dataset, n in record.load(profile, Curricula.CHAPTER).items() if n[Curricula.POINTS])


def _answer_real_speech(profile: str, base: str) -> str:
    verdict = real_speech_verdict(record.load(profile, Inference.CHAPTER))
    if verdict is None:
        return ""
    return (f"On real human recordings of {verdict.who}, out of domain, the ensemble names "
            f"{verdict.text} ({_link('Inference', Inference.NOTEBOOK, base)}).")


#: The abstract's answers, in the order the book asks its questions.
ANSWERS = (_answer_models, _answer_scores, _answer_definitions, _answer_kinds, _answer_classes,
           _answer_attention, _answer_pruning, _answer_curricula, _answer_real_speech)


def _answers(profile: str, answers: tuple[Callable[[str, str], str], ...], base: str) -> str:
    """The given answers that the records allow (a chapter without a record is left out)."""
    texts = []
    for answer in answers:
        try:
            texts.append(answer(profile, base))
        except record.RecordMissing:
            continue
    return " ".join(text for text in texts if text)


def abstract(profile: str) -> str:
    """The study's answers, a sentence or two each from the chapters' records, each linking to
    its chapter: what the introduction opens with."""
    text = _answers(profile, ANSWERS, FROM_INTRODUCTION)
    return f"**Abstract.** {text}" if text else "*No results yet: build the book's notebooks.*"
