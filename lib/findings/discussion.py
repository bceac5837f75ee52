"""The discussion: what agrees with the paper, what does not, and what to do, from the records."""
from __future__ import annotations

from typing import Any

from lib import record, significance
from lib.groundtruth import FLIPPED
from lib.record import BANDS, Data, Definitions, Explanations, Training
from lib.claims import has_paper, interval_text, listed, SIGNIFICANT_AT
from lib.findings.answers import (_answer_attention, _answer_classes, _answer_curricula,
                                  _answer_definitions, _answer_kinds, _answer_pruning,
                                  _answer_real_speech, _answer_scores, _answers, FROM_INTRODUCTION,
                                  _with_ground_truth)
from lib.findings.beyond import lead_detections
from lib.findings.paper import (_accuracies, class_findings, definition_choice,
                                _hard_against_easy, _near_paper_peak, _peaks_against_paper)


# --- The discussion: what agrees with the paper, what does not, what to do ------------------

def _edges_against_paper(dataset: str, n: dict[str, Any]) -> tuple[int, str]:
    """The paper's reading of its time figure (hard samples attended at the clip's edges) on
    one dataset's record: hard against easy edge share, by :func:`separation` of their
    intervals; ``(0, "")`` where the record has no intervals."""
    edges = n.get(Explanations.EDGE_SHARE, {})
    intervals = n.get(Explanations.EDGE_SHARE_INTERVAL, {})
    order = _hard_against_easy(intervals)
    if order is None:
        return 0, ""
    shares = (f"(edge share {edges['hard']:.2f}, {interval_text(*intervals['hard'])}, against "
              f"{edges['easy']:.2f}, {interval_text(*intervals['easy'])})")
    uniform = n.get(Explanations.EDGE_SHARE_UNIFORM)
    if order > 0 and uniform is not None and intervals["hard"][1] < uniform:
        return 0, (f"On {dataset}, hard samples draw more of Grad-CAM's importance to the clip's "
                   f"edges than easy ones {shares}, the paper's direction, but every band puts "
                   f"less there than a map blind to time ({uniform:.2f}): none focuses on the "
                   "edges as the paper read its time figure.")
    return order, {
        1: f"On {dataset}, hard samples draw more of Grad-CAM's importance to the clip's edges "
           f"than easy ones {shares}, as the paper read its time figure.",
        -1: f"On {dataset}, hard samples draw less of Grad-CAM's importance to the clip's edges "
            f"than easy ones {shares}, unlike the paper's reading of its time figure.",
        0: f"On {dataset}, hard and easy samples' shares of Grad-CAM's importance at the clip's "
           f"edges overlap {shares}: this build does not show the paper's edge effect."}[order]


def _agreements(profile: str) -> tuple[list[str], list[str]]:
    """The findings that agree with the paper's, and those that do not (or not yet), each a
    sentence from a record by the rules above."""
    agree, differ = [], []
    try:
        for found in class_findings(profile):
            if found.paper_rho is None:  # a user's own data: nothing to agree with
                continue
            dataset, rho, paper, p = found.dataset, found.rho, found.paper_rho, found.p
            if found.agrees:
                agree.append(f"Harder classes of {dataset} are recognised worse at test "
                             f"(Spearman {rho:.2f} over {found.classes} classes, "
                             f"{significance.p_text(p)}; the paper {paper:.2f}).")
            elif found.same_sign:
                needed = significance.critical_rho(found.classes, SIGNIFICANT_AT)
                differ.append(f"The class-level correlation on {dataset} has the paper's sign "
                              f"({rho:.2f}; the paper {paper:.2f}) but is not significant at "
                              f"n = {found.classes} ({significance.p_text(p)}): over so "
                              "few classes "
                              + (f"it takes |ρ| ≥ {needed:.2f}." if needed == needed
                                 else "no correlation can be."))
            else:
                differ.append(f"The class-level correlation on {dataset} has the opposite sign "
                              f"to the paper's ({rho:.2f} against {paper:.2f}).")
    except record.RecordMissing:
        pass
    try:
        for dataset, n in record.load(profile, Explanations.CHAPTER).items():
            if not has_paper(dataset):  # a user's own data: nothing to agree with
                continue
            peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
            if peaks:
                near_everywhere = len(_near_paper_peak(peaks)) == len(
                    [b for b in BANDS if b in peaks])
                (agree if near_everywhere else differ).append(
                    f"On {dataset}, "
                    f"{_peaks_against_paper(peaks, True, n.get(Explanations.MAP_MEL_BANDS))}.")
            order, text = _edges_against_paper(dataset, n)
            if text:
                (agree if order > 0 else differ).append(text)
    except record.RecordMissing:
        pass
    found = None
    try:
        found = _with_ground_truth(profile)
    except record.RecordMissing:
        pass
    if found is not None:
        dataset, n = found
        lead = lead_detections(n).get(FLIPPED)
        if lead and lead.verdict == 1:
            agree.append(f"The paper reads its hardest samples as mislabelled or atypical; on "
                         f"{dataset}, where the truth is known, CumulativeAccuracy ranks the "
                         f"flipped labels hardest with AUROC {lead.auroc:.2f} "
                         f"({interval_text(*lead.interval)}).")
        elif lead:
            differ.append(f"On {dataset} CumulativeAccuracy does not rank the flipped labels "
                          f"hardest beyond chance (AUROC {lead.auroc:.2f}, "
                          f"{interval_text(*lead.interval)}).")
    return agree, differ


def _stand_in(profile: str) -> str:
    """What separates this build's data and training from the paper's, from its records."""
    described, trained = record.load(profile, Data.CHAPTER), record.load(profile, Training.CHAPTER)
    keywords = [(d, n) for d, n in described.items() if n.get(Data.VOICES)]
    data = "; ".join(f"{d}: {n[Data.CLASSES]} words spoken by {n[Data.VOICES]} synthetic voices "
                     "over real noise" for d, n in keywords) or "generated stand-ins"
    seeds = sorted(set(trained.get(Training.SEEDS, {}).values()))
    return (f"The stand-in is not the paper's data ({data}; SpeechCommands has 35 words by "
            f"thousands of people), and its models train for minutes, not 100 epochs, with "
            f"{listed([str(s) for s in seeds]) if seeds else 'few'} seed"
            f"{'s' if seeds != [1] else ''} per model.")


def _which_definition(profile: str) -> str:
    """The advice on which definition to use, from the Definitions chapter's verdict on the
    first dataset it judged against a ground truth."""
    try:
        records = record.load(profile, Definitions.CHAPTER)
    except record.RecordMissing:
        records = {}
    for dataset, n in records.items():
        choice = definition_choice(n)
        if choice and choice.kinds:
            return (f"To find wrong labels on {dataset}, use {choice.definition}, for the "
                    "reasons above, with cleanlab's flags from the network's own out-of-fold "
                    "predictions beside it.")
    return ("To find wrong labels, use the definition the Definitions chapter finds best on "
            "your data's ground truth, with cleanlab's flags beside it.")


def discussion(profile: str) -> str:
    """The Discussion's opening: what this build's findings share with the paper's, what they
    do not and why they might not, and what a reader should do, from the records."""
    try:
        _, learned = _accuracies(profile)
    except record.RecordMissing as err:
        return f"*No findings yet:* {err}."
    lines = ["## What the findings say", ""]
    if not learned:
        lines += ["These models have **not** learned: nothing below is a finding about "
                  "difficulty, only a test of the pipeline.", ""]
    advice = ("**What to do with it.** Check a model's test accuracy against chance before "
              "reading its ordering: an ordering from models that have not learned orders "
              f"their class bias. {_which_definition(profile)} Read a pruning or curriculum "
              "point against what reseeding a run does and on the same test clips, never alone.")
    if not any(has_paper(d) for d in record.load(profile, Data.CHAPTER)):
        return "\n".join(lines + [
            "**What the book found on your data.** " + (_answers(profile, (
                _answer_scores, _answer_definitions, _answer_kinds, _answer_classes,
                _answer_attention,
                _answer_pruning, _answer_curricula), FROM_INTRODUCTION) or "Nothing yet."), "",
            "**Where the evidence ends.** Every number is this build's, with its interval or "
            "its spread over seeds; the known truth is the labels flipped in the book's copy, "
            "so how well a score finds them says how well it would find real label errors "
            "only as far as yours resemble random flips.", "", advice])
    agree, differ = _agreements(profile)
    lines += ["**Where this build agrees with the paper.** "
              + (" ".join(agree) or "Nowhere that its evidence can carry."), "",
              "**Where it does not, or not yet.** "
              + (" ".join(differ) or "Nowhere among the comparisons it makes."), "",
              "**Beyond the paper.** " + (_answers(profile, (
                  _answer_definitions, _answer_kinds, _answer_pruning, _answer_curricula,
                  _answer_real_speech),
                  FROM_INTRODUCTION) or "Nothing yet."), "",
              "**Why it might not.** " + _stand_in(profile) + " Sizes do not transfer; signs "
              "and mechanisms may, and where the truth is known (which clips are mislabelled or "
              "hold no speech) the book measures rather than assumes.", "",
              advice + " The sections below say what follows from the stand-in, and where the "
              "evidence ends."]
    return "\n".join(lines)
