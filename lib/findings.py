"""Each chapter's finding in a sentence or two, written from its ``summary.json``.

The book opens every chapter with :func:`opening` (inserted by :mod:`lib.book` above the
figures) and the introduction and results pages with :func:`read_first`; each number comes
with what it takes to judge it (a chance level, an interval, n or p). Nothing here computes a
result: the text is only as true as the records, and cannot drift from the figures drawn
from the same records.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from lib import record, retraining, significance
from lib.datasets import LAYOUTS
from lib.difficulty import HardestShare
from lib.keywords import FLIPPED, NONSPEECH
from lib.profiles import CONTROL_DEFINITION
from lib.record import (BANDS, CLEANLAB_NETWORK, CUMULATIVE_ACCURACY, DIFFICULTY_TEST, Classes,
                        Curricula, Data, Definitions, Difficulty, Explanations, Inference, Pruning,
                        Results, Selection, Training, Validation, split_model_key)
from lib.significance import Correlation

#: A model has learned when its test accuracy reaches this and three times chance.
LEARNED_ACCURACY = 0.8
#: The opening of the "Read this first" box (MyST: a titled admonition in the important style).
BOX = ":::{admonition} Read this first\n:class: important"
#: The detection score the book leads with (the paper's).
LEAD_SCORE = CUMULATIVE_ACCURACY


def has_learned(accuracy: float, chance: float) -> bool:
    """Whether a test accuracy is in the regime the method is meant for (:data:`LEARNED_ACCURACY`
    and three times chance)."""
    return accuracy >= max(LEARNED_ACCURACY, 3 * chance)


# --- Claims sized to their evidence ----------------------------------------------------------
# The wording of a result follows its evidence, by these rules and nowhere else: a correlation
# or a difference is an effect only when its p or its interval says so, and a count of
# comparisons counts only those whose intervals separate.

#: A two-sided p below this makes a correlation an effect.
SIGNIFICANT_AT = 0.05


def is_effect(p: float | None = None, interval: tuple[float, float] | None = None,
              null: float = 0.0) -> bool:
    """Whether an estimate may be called an effect: its p below :data:`SIGNIFICANT_AT`, or
    its interval clear of the ``null`` value (0 for a difference, 0.5 for an AUROC). An
    undefined p or interval is no effect."""
    if p is not None:
        return p == p and p < SIGNIFICANT_AT
    return interval is not None and separation(interval, (null, null)) != 0


def correlation_claim(rho: float, n: int, p: float, paper_rho: float | None, effect: str,
                      opposite: str) -> str:
    """A correlation in words: ``effect`` (the paper's reading) where p makes it an effect
    with the paper's sign, ``opposite`` where it is an effect of the other sign; otherwise
    only its sign against the paper's, "not significant at n = 6"."""
    if rho != rho:
        return f"undefined at n = {n} (a constant column)"
    same = paper_rho is None or (rho < 0) == (paper_rho < 0)
    if is_effect(p=p):
        return effect if same else opposite
    if paper_rho is None:
        return f"not significant at n = {n}"
    return (f"the same sign as the paper's, not significant at n = {n}" if same
            else f"the opposite sign to the paper's, not significant at n = {n}")


def separation(a: tuple[float, float], b: tuple[float, float]) -> int:
    """+1 where interval ``a`` lies wholly above ``b``, -1 wholly below, 0 where they
    overlap (or either is undefined): only then is one estimate larger than the other."""
    if a[0] > b[1]:
        return 1
    if a[1] < b[0]:
        return -1
    return 0


def count_claim(pairs: list[tuple[tuple[float, float], tuple[float, float]]], first: str,
                second: str, what: str) -> str:
    """How often ``first`` beats ``second`` (each pair: their intervals), counting only the
    pairs whose intervals separate: "eval mode finds the injected samples better in 2 of 8
    comparisons and worse in 1; in the other 5 the intervals overlap"."""
    signs = [separation(a, b) for a, b in pairs]
    better, worse, total = signs.count(1), signs.count(-1), len(signs)
    if not total:
        return ""
    if not better and not worse:
        return (f"In none of the {total} comparisons do the intervals of {first} and {second} "
                f"separate: at this size neither {what} better.")
    overlap = total - better - worse
    return (f"{first[0].upper()}{first[1:]} {what} better in {better} of {total} comparisons and "
            f"worse in {worse}" + (f"; in the other {overlap} the intervals overlap."
                                   if overlap else "."))


def _named(dataset: str) -> str:
    paper = LAYOUTS[dataset].paper_dataset if dataset in LAYOUTS else dataset
    return f"**{dataset}**" + ("" if paper == dataset else f" (stand-in for {paper})")


def _listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def _interval(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


def data(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Data.CHAPTER).items():
        splits = n[Data.CLIPS_PER_SPLIT]
        counts = ", ".join(f"{splits[s]} {s}" for s in ("train", "dev", "test") if s in splits)
        sentence = f"{_named(dataset)}: {counts} clips of {n[Data.CLASSES]} classes"
        if Data.FLIPPED in n:
            train = splits.get("train", 0)
            flipped, nonspeech = n[Data.FLIPPED], n[Data.NONSPEECH]
            sentence += (f", spoken by {n[Data.VOICES]} synthetic voices; {flipped} training "
                         f"clips ({_share(flipped, train)}) carry a flipped label and "
                         f"{nonspeech} ({_share(nonspeech, train)}) hold no speech, "
                         "the ground truth later chapters check the difficulty scores against")
        elif LAYOUTS[dataset].generated:
            sentence += (", generated to exercise the scene code path (no ground truth of "
                         "difficulty, so the book draws no conclusion from it)")
        sentences.append(sentence + ".")
    return " ".join(sentences)


@dataclass(frozen=True)
class _ModelAccuracy:
    """One model's test accuracy on one dataset, as the Training chapter recorded it."""

    model: str
    accuracy: float
    seeds: int | None
    train: dict[str, float]


def _model_accuracies(profile: str) -> dict[str, tuple[dict[str, Any], list[_ModelAccuracy]]]:
    """Per dataset: its Data record and every model's test accuracy, in the records' order."""
    trained, described = record.load(profile, Training.CHAPTER), record.load(profile, Data.CHAPTER)
    found: dict[str, tuple[dict[str, Any], list[_ModelAccuracy]]] = {}
    for dataset, n in described.items():
        models = [_ModelAccuracy(model, accuracy, trained.get(Training.SEEDS, {}).get(key),
                                 trained[Training.TRAIN_ACCURACY][key])
                  for key, accuracy in trained[Training.TEST_ACCURACY].items()
                  for name, model in [split_model_key(key)] if name == dataset]
        if models:
            found[dataset] = (n, models)
    return found


def _accuracies(profile: str) -> tuple[list[str], bool]:
    """One sentence per dataset on test accuracy against chance, and whether all learned."""
    sentences, learned = [], True
    for dataset, (n, models) in _model_accuracies(profile).items():
        n_classes, test_clips = n[Data.CLASSES], n[Data.CLIPS_PER_SPLIT].get("test", 0)
        chance = 1 / n_classes
        parts = []
        for m in models:
            low, high = significance.share_interval(m.accuracy * test_clips, test_clips)
            which = ("genuine training clips (label not flipped, speech present)"
                     if Training.GENUINE in m.train else "training clips")
            seeds = f", {m.seeds} seed{'s' if m.seeds > 1 else ''}" if m.seeds else ""
            parts.append(f"{m.model} {m.accuracy:.3f} (95 % interval {_interval(low, high)}"
                         f"{seeds}; {which} "
                         f"{m.train.get(Training.GENUINE, m.train[Training.ALL]):.3f})")
            learned &= has_learned(m.accuracy, chance)
        sentences.append(f"{_named(dataset)}: test accuracy {', '.join(parts)}, mean over "
                         f"seeds, on {test_clips} test clips of {n_classes} classes, where "
                         f"chance is {chance:.2f}.")
    return sentences, learned


def training(profile: str) -> str:
    sentences, learned = _accuracies(profile)
    verdict = ("These models have learned: the orderings, bands and Grad-CAM maps of the later "
               "chapters come from the regime the paper's method is meant for."
               if learned else
               "These models have **not** learned enough for the later chapters to show the "
               "method working: read their orderings, bands and maps as a test of the pipeline, "
               "not as findings.")
    return " ".join([*sentences, verdict])


def difficulty(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Difficulty.CHAPTER).items():
        parts, found = [], []
        for kind, share in n.get(Difficulty.HARDEST, {}).items():
            share = HardestShare(**share)
            if share.flagged:
                count = ("all" if share.in_hardest == share.flagged
                         else f"{share.in_hardest} of the")
                found.append(f"{count} {share.flagged} {_hyphenated(kind)} clips")
                hardest, chance = share.hardest_size, share.expected_by_chance
        if found:
            parts.append(f"{' and '.join(found)} rank among the hardest "
                         f"{n[Difficulty.HARDEST_FRACTION] * 100:.0f} % ({hardest} of "
                         f"{n[Difficulty.SAMPLES]} samples), where chance would put "
                         f"{chance:.1f} of each")
        if Difficulty.MODEL_AGREEMENT in n:
            parts.append("Cnn10's and Cnn14's orderings agree with "
                         f"{Correlation(**n[Difficulty.MODEL_AGREEMENT])}")
        if Difficulty.RANK_VS_SNR in n:
            parts.append("among genuine clips, rank against SNR gives "
                         f"{Correlation(**n[Difficulty.RANK_VS_SNR])}")
        if not parts and Difficulty.CONVERGENCE in n:
            parts.append(f"one run's ordering agrees with the ensemble's with Spearman "
                         f"{n[Difficulty.CONVERGENCE]['1']:.2f} on average "
                         f"({n[Difficulty.SAMPLES]} samples)")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def _hyphenated(kind: str) -> str:
    return kind.replace(FLIPPED, "flipped-label")


#: The control definition: its AUROC is where chance lies.
CONTROL = CONTROL_DEFINITION
#: The follow-up's agreement between different scoring functions (arXiv 2411.00973).
FOLLOW_UP_AGREEMENT = (0.65, 0.73)
#: Where the paper's Grad-CAM importance of easy and medium keywords peaks (its SpeechCommands
#: frequency figure, read by eye; its hard band is flat), and how far from it a peak is near.
PAPER_IMPORTANCE_PEAK_HZ = 1000.0
NEAR_FACTOR = 2 ** 0.5  # half an octave either way


def _near_paper_peak(peaks: dict[str, float]) -> list[str]:
    """The bands whose importance peaks within :data:`NEAR_FACTOR` of the paper's."""
    return [b for b in BANDS if b in peaks
            and 1 / NEAR_FACTOR <= peaks[b] / PAPER_IMPORTANCE_PEAK_HZ <= NEAR_FACTOR]


def _peaks_against_paper(peaks: dict[str, float]) -> str:
    """Grad-CAM's importance peak per band, and where it lies against the paper's near 1 kHz."""
    shown = ", ".join(f"{peaks[b] / 1000:.1f} kHz ({b})" for b in BANDS if b in peaks)
    near = _near_paper_peak(peaks)
    where = (f"near the paper's {PAPER_IMPORTANCE_PEAK_HZ / 1000:.0f} kHz in every band" if
             len(near) == len([b for b in BANDS if b in peaks]) else
             f"unlike the paper's peak near {PAPER_IMPORTANCE_PEAK_HZ / 1000:.0f} kHz"
             + (f" except in the {_listed(near)} band{'s' if len(near) > 1 else ''}"
                if near else "")
             + " (its hard band was flat)")
    return f"Grad-CAM's importance peaks at {shown}, {where}"


def _best_definition(kind: str, best: dict[str, Any], found: dict[str, Any]) -> str:
    """Which definition finds ``kind`` best, against its runner-up and the worst (``found``:
    the definitions' detection entries, the control left out)."""
    low, high = best[Definitions.AUROC_INTERVAL]
    sentence = (f"{_hyphenated(kind)} clips are found best by {best[Definitions.DEFINITION]} "
                f"(AUROC {best[Definitions.AUROC]:.3f}, 90 % interval {_interval(low, high)})")
    if best[Definitions.RUNNER_UP]:
        relation = ("clear of" if best[Definitions.BEYOND_INTERVALS]
                    else "not beyond the intervals of")
        sentence += (f", {relation} {best[Definitions.RUNNER_UP]} "
                     f"({best[Definitions.RUNNER_UP_AUROC]:.3f})")
    worst = min(found, key=lambda name: found[name][Definitions.AUROC], default=None)
    if worst and worst != best[Definitions.DEFINITION]:
        low, high = found[worst][Definitions.AUROC_INTERVAL]
        sentence += (f", {worst} worst ({found[worst][Definitions.AUROC]:.3f}, "
                     f"{_interval(low, high)})")
    return sentence


def definitions(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Definitions.CHAPTER).items():
        columns = n[Definitions.COLUMNS]
        parts = []
        for kind, best in n.get(Definitions.BEST, {}).items():
            found = {name: value for name, value in n[Definitions.DETECTION][kind].items()
                     if name in columns and name != CONTROL}
            parts.append(_best_definition(kind, best, found))
        if parts and CONTROL in columns:
            chance = [n[Definitions.DETECTION][kind][CONTROL][Definitions.AUROC]
                      for kind in n[Definitions.BEST]]
            parts[-1] += (f"; Random, the control, scores {' and '.join(f'{a:.2f}' for a in chance)}")
        network = {kind: found.get(CLEANLAB_NETWORK)
                   for kind, found in n.get(Definitions.DETECTION, {}).items()}
        if network.get(FLIPPED):
            low, high = network[FLIPPED][Definitions.AUROC_INTERVAL]
            parts.append(f"cleanlab on the network's out-of-fold probabilities finds flipped "
                         f"labels with AUROC {network[FLIPPED][Definitions.AUROC]:.3f} "
                         f"({_interval(low, high)}), flagging "
                         f"{n[Definitions.CLEANLAB_FLAGGED][CLEANLAB_NETWORK]} clips")
        taught = n.get(Definitions.TEACHER)
        if taught:
            parts.append(f"TransferTeacher's teacher, a {taught['model']} pretrained here on "
                         f"{len(taught['words'])} other words from {taught['train_clips']} clips "
                         f"(the paper profile's PANNs teacher learned from about two million), "
                         f"reached dev accuracy {taught['dev_accuracy']:.2f} on its own words")
        if n.get(Definitions.MEAN_AGREEMENT) is not None:
            low, high = FOLLOW_UP_AGREEMENT
            parts.append(f"the definitions agree at Spearman {n[Definitions.MEAN_AGREEMENT]:.2f} "
                         f"on average over {len([c for c in columns if c != CONTROL])} definitions "
                         f"(the follow-up: {low:.2f}–{high:.2f})")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def selection(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Selection.CHAPTER).items():
        bands = n[Selection.CORRECT_SHARE_BY_BAND]
        per_band = n[Selection.SELECTED] // 3
        n_classes = described[dataset][Data.CLASSES]
        sentence = (f"**{dataset}**: {n[Selection.SELECTED]} training clips selected, "
                    f"{per_band // n_classes} per band for each of {n_classes} classes; the "
                    "explained runs predict "
                    + ", ".join(f"{share:.0%} of the {band} band" for band, share in bands.items())
                    + " right")
        if Selection.INJECTED_IN_HARD_BAND in n:
            sentence += (f", and {n[Selection.INJECTED_IN_HARD_BAND]} of the hard band's "
                         f"{per_band} clips are injected ones (flipped label or non-speech)")
        sentences.append(sentence + ".")
    sentences.append("Bands are relative within each class: one class's hard band can be "
                     "easier than another class's easy band.")
    return " ".join(sentences)


def faithfulness_reading(faithful: dict[str, dict[str, Any]]) -> str:
    """What the masking check shows over its shares (share -> the record of
    :func:`lib.explain.faithfulness_summary`): Grad-CAM's cells matter more than random ones
    at a share only where the 90 % interval of the difference lies above zero."""
    signs = {share: separation(tuple(d[Explanations.DIFFERENCE_INTERVAL]), (0.0, 0.0))
             for share, d in sorted(faithful.items(), key=lambda item: float(item[0]))}
    named = {sign: _listed([f"{float(share):.0%}" for share, s in signs.items() if s == sign])
             for sign in (1, 0, -1) if sign in signs.values()}
    if set(signs.values()) == {1}:
        return ("masking the cells Grad-CAM ranks highest hurts the explained class more than "
                "masking as many random cells at every share, beyond the 90 % intervals: the "
                "maps point at evidence the model uses")
    if set(signs.values()) == {-1}:
        return ("masking the cells Grad-CAM ranks highest hurts the explained class less than "
                "masking random cells at every share: these maps are less informative than "
                "random cells")
    if set(signs.values()) == {0}:
        return ("at no share does the 90 % interval of the difference exclude zero: at this "
                "size the maps are not shown to point at evidence more than random cells do")
    return "; ".join(part for part in (
        f"Grad-CAM's cells matter more than random ones at {named[1]} masked" if 1 in named
        else "", f"less at {named[-1]}" if -1 in named else "",
        f"at {named[0]} the interval includes zero" if 0 in named else "") if part)


def explanations(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Explanations.CHAPTER).items():
        faithful = n.get(Explanations.FAITHFULNESS, {})
        if not faithful:
            continue
        share = min(faithful, key=lambda f: abs(float(f) - 0.1))
        drops = faithful[share]
        gradcam, random = drops[Explanations.DROP_GRADCAM], drops[Explanations.DROP_RANDOM]
        verb = "lowers" if gradcam >= 0 else "changes"
        sentence = (f"**{dataset}**: masking the {float(share):.0%} of spectrogram cells "
                    f"Grad-CAM ranks highest {verb} the explained class's probability by "
                    f"{gradcam:.2f} on average, against {random:.2f} for as many random cells "
                    f"(difference {gradcam - random:+.2f}")
        if Explanations.DIFFERENCE_INTERVAL in drops:
            sentence += (f", 90 % bootstrap interval "
                         f"{_interval(*drops[Explanations.DIFFERENCE_INTERVAL])}, "
                         f"n = {drops[Explanations.MAPS]} maps")
        sentence += ")"
        if all(Explanations.DIFFERENCE_INTERVAL in d for d in faithful.values()):
            sentence += f"; over every masked share, {faithfulness_reading(faithful)}"
        peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
        if peaks:
            sentence += f"; {_peaks_against_paper(peaks)}"
        edges = n.get(Explanations.EDGE_SHARE, {})
        if edges and Explanations.EDGE_SHARE_UNIFORM in n:
            sentence += "; " + _edges_reading(edges, n.get(Explanations.EDGE_SHARE_INTERVAL, {}),
                                              n[Explanations.EDGE_SHARE_UNIFORM])
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _hard_against_easy(intervals: dict[str, list[float]]) -> int | None:
    """The hard band's edge share against the easy band's, by :func:`separation` of their
    intervals; ``None`` where either has none."""
    if "hard" not in intervals or "easy" not in intervals:
        return None
    return separation(tuple(intervals["hard"]), tuple(intervals["easy"]))


def _edges_reading(edges: dict[str, float], intervals: dict[str, list[float]],
                   uniform: float) -> str:
    """The share of Grad-CAM importance at the clip's edges per band, with its interval, and
    what the intervals allow: against a map blind to time, and the paper's claim that hard
    samples draw it to the edges (hard against easy, only where their intervals separate)."""
    shown = ", ".join(f"{edges[b]:.2f} ({b}" + (f", {_interval(*intervals[b])}" if b in intervals
                                               else "") + ")" for b in BANDS if b in edges)
    text = f"the share of importance at the clip's edges is {shown}"
    if not intervals:
        return text + f", against {uniform:.2f} for a map blind to time"
    below = [b for b in BANDS if b in intervals and intervals[b][1] < uniform]
    above = [b for b in BANDS if b in intervals and intervals[b][0] > uniform]
    text += (f", against {uniform:.2f} for a map blind to time: "
             + ("; ".join(part for part in (
                 f"less at the edges in the {_listed(below)} band{'s' if len(below) > 1 else ''}"
                 if below else "", f"more in the {_listed(above)} band"
                 f"{'s' if len(above) > 1 else ''}" if above else "") if part)
                or "no band differs from it beyond its interval"))
    order = _hard_against_easy(intervals)
    if order is not None:
        text += ("; hard samples draw more importance to the edges than easy ones, as in the "
                 "paper" if order > 0 else "; hard samples draw less importance to the edges "
                 "than easy ones, unlike in the paper" if order < 0 else
                 "; hard and easy samples are within each other's intervals, so this build "
                 "does not show the paper's hard samples attended at the edges")
    return text


#: The paper's class-level result in words, and its opposite (:func:`correlation_claim`).
CLASS_EFFECT = ("harder classes are recognised worse at test, as in the paper",
                "harder classes are recognised **better** at test, unlike in the paper")


def class_correlation(dataset: str, n: dict[str, Any]) -> str:
    """The paper's class-level result for one dataset, ours beside the paper's."""
    rho = n[Classes.CORRELATIONS][DIFFICULTY_TEST]
    p = n.get(Classes.P, {}).get(DIFFICULTY_TEST, float("nan"))
    paper = LAYOUTS[dataset].paper_dataset if dataset in LAYOUTS else dataset
    n_classes = n[Classes.CLASSES]
    reading = correlation_claim(rho, n_classes, p, n[Classes.DIFFICULTY_TEST_PAPER], *CLASS_EFFECT)
    uncertainty = (f", {'exact ' if n_classes <= significance.EXACT_UP_TO else ''}"
                   f"{significance.p_text(p)}" if p == p else "")
    return (f"**{dataset}**, a class's mean difficulty against its test recall: {reading} "
            f"(Spearman {rho:.2f} over {n_classes} classes{uncertainty}); the "
            f"paper found {n[Classes.DIFFICULTY_TEST_PAPER]:.2f} over "
            f"{n.get(Classes.PAPER_CLASSES, 'its')} {paper} classes. Over so few classes and "
            "other data, only the sign is comparable, not the size.")


def classes(profile: str) -> str:
    return " ".join(class_correlation(dataset, n)
                    for dataset, n in record.load(profile, Classes.CHAPTER).items())


def _real_speech(real: dict[str, Any], augmentation: str) -> str:
    """What the ensemble made of each real recording, beside the synthetic test accuracy."""
    accuracy, words = real[Inference.ACCURACY], real[Inference.WORDS]
    synthetic = real[Inference.SYNTHETIC_TEST_ACCURACY]
    per_word = ", ".join(
        f"*{word}* {'right' if w[Inference.PREDICTION] == word else 'as ' + w[Inference.PREDICTION]}"
        f" ({w[Inference.RUNS_CORRECT]} {'run' if w[Inference.RUNS_CORRECT] == 1 else 'runs'}"
        " right)"
        for word, w in real[Inference.PER_WORD].items())
    trained = ("without augmentation" if augmentation == "none"
               else f"with the {augmentation} augmentation")
    text = (f"**On real human speech, out of domain, the ensemble names {round(accuracy * words)}"
            f" of {words} words right**, against a test accuracy of {synthetic:.2f} on held-out "
            f"synthetic voices (the mean over its runs; models trained {trained}): {per_word}. "
            "One recording per word is a handful of yes/no answers, not an accuracy estimate.")
    misses = [w[Inference.PREDICTION] for word, w in real[Inference.PER_WORD].items()
              if w[Inference.PREDICTION] != word]
    if len(misses) > 1 and len(set(misses)) == 1:
        text += (f" {'Both' if len(misses) == 2 else f'All {len(misses)}'} misses are answered "
                 f"*{misses[0]}*: on this voice the "
                 "ensemble falls back on one class rather than confusing similar words.")
    share = real.get(Inference.MOST_PREDICTED_SHARE)
    if share is not None and share > 0.5:
        text += (f" One class takes {share:.0%} of the answers, more than half: the ensemble "
                 "leans on one class for this voice.")
    return text


def _confidence(n: dict[str, Any]) -> str:
    """How sure the models may be: calibration and the out-of-vocabulary figure."""
    sentences = []
    calibrated = n.get(Inference.CALIBRATION) or {}
    test = calibrated.get(Inference.SYNTHETIC_TEST)
    if test:
        gap = test[Inference.MEAN_CONFIDENCE] - test[Inference.ACCURACY]
        state = ("calibrated" if abs(gap) < 0.01 else
                 "underconfident" if gap < 0 else "overconfident")
        sentences.append(
            f"On the synthetic test split the ensemble is {state}: ECE {test[Inference.ECE]:.3f}, mean "
            f"top probability {test[Inference.MEAN_CONFIDENCE]:.2f} against accuracy "
            f"{test[Inference.ACCURACY]:.2f} ({test[Inference.ANSWERS]} answers).")
    real = calibrated.get(Inference.REAL_SPEECH)
    if real:
        sentences.append(
            f"On the {real[Inference.ANSWERS]} real words: mean top probability "
            f"{real[Inference.MEAN_CONFIDENCE]:.2f} against accuracy "
            f"{real[Inference.ACCURACY]:.2f} (ECE {real[Inference.ECE]:.2f}, over too few "
            "answers to be more than a sign).")
    oov = n.get(Inference.OUT_OF_VOCABULARY)
    if oov:
        in_vocabulary = oov.get(Inference.IN_VOCABULARY_MEAN_CONFIDENCE)
        beside = ("" if in_vocabulary is None else
                  f" against {in_vocabulary:.2f} for the real words it was trained on")
        flagged_in = oov.get(Inference.IN_VOCABULARY_FLAGGED)
        sentences.append(
            f"Real recordings of {oov[Inference.WORDS]} words it never learned (the letters, "
            f"same speaker) get a mean top probability of {oov[Inference.MEAN_CONFIDENCE]:.2f}"
            f"{beside}; the low-confidence warning (top probability below "
            f"{oov[Inference.THRESHOLD]:.2f}, the level {oov[Inference.DEV_COVERAGE]:.0%} of "
            f"dev clips reach) flags {oov[Inference.FLAGGED]:.0%} of the letters"
            + ("" if flagged_in is None else f" and {flagged_in:.0%} of the real words") + ".")
        if flagged_in is not None and oov[Inference.FLAGGED] <= flagged_in:
            sentences.append("**The models' confidence does not tell a word they never learned "
                             "from one they know here: do not count on the warning to reject "
                             "words outside the vocabulary.**")
    return " ".join(sentences)


def inference(profile: str) -> str:
    n = record.load(profile, Inference.CHAPTER)
    examples = (f"Run {n[Inference.RUN]} "
                f"({n.get(Inference.RUN_CHOSEN_BY, 'chosen by the profile')}) classified "
                f"{n[Inference.CLASSIFIED]} of {n[Inference.FILES]} example files and rejected "
                f"{len(n[Inference.ERRORS])} with a one-line error naming the file")
    if n.get(Inference.ACCURACY) is not None and n.get(Inference.LABELLED):
        right = round(n[Inference.ACCURACY] * n[Inference.LABELLED])
        examples += f"; it got {right} of the {n[Inference.LABELLED]} with a known class right"
    examples += "."
    real = n.get(Inference.REAL_SPEECH) or {}
    parts = []
    if real.get(Inference.WORDS):
        parts.append(_real_speech(real, n.get(Inference.AUGMENTATION, "none")))
    parts += [_confidence(n), examples]
    return " ".join(p for p in parts if p)


def validation(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Validation.CHAPTER).items():
        parts = []
        counts = {FLIPPED: described[dataset].get(Data.FLIPPED),
                  NONSPEECH: described[dataset].get(Data.NONSPEECH)}
        train = described[dataset][Data.CLIPS_PER_SPLIT].get("train")
        for kind, found in n.get(Validation.DETECTION, {}).items():
            lead = found[LEAD_SCORE]
            low, high = lead[Validation.AUROC_INTERVAL]
            parts.append(f"{_hyphenated(kind)} clips are {_DETECTED[_detected((low, high))]}: "
                         f"AUROC {lead[Validation.AUROC]:.3f} (90 % interval {low:.3f}–{high:.3f}, "
                         f"{counts.get(kind)} of {train} clips)")
        if parts:
            parts[0] = "ranked by CumulativeAccuracy, " + parts[0]
            parts[-1] += "; chance is 0.5"
        if Validation.CLEANLAB_FLAGGED in n and counts.get(FLIPPED):
            flagged = n[Validation.CLEANLAB_FLAGGED]
            parts.append(f"cleanlab on the network's out-of-fold predictions flags {flagged} "
                         f"of {train} clips ({_share(flagged, train)}) as label issues where "
                         f"{counts[FLIPPED]} labels were flipped, so most of its flags are "
                         "false alarms" if flagged > 2 * counts[FLIPPED] else
                         f"cleanlab on the network's out-of-fold predictions flags {flagged} "
                         f"of {train} clips as label issues where {counts[FLIPPED]} labels "
                         "were flipped")
        if Validation.STABILITY in n:
            parts.append("orderings from two disjoint halves of the runs agree with Spearman "
                         f"{n[Validation.STABILITY][Validation.SPLIT_HALVES_SPEARMAN]:.2f} on "
                         "average")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def _beyond_reseeding(changes: dict[str, float], yardstick: float) -> tuple[list[str], str]:
    """The points (name -> change of test accuracy from their paired runs) whose change is
    beyond ``yardstick``, as "name (+0.010)", and the largest change, as "name, +0.010"."""
    moved = [f"{name} ({change:+.3f})" for name, change in changes.items()
             if round(abs(change), 3) > yardstick]
    largest = max(changes, key=lambda name: abs(changes[name]))
    return moved, f"{largest}, {changes[largest]:+.3f}"


def hardest_reading(share: HardestShare, kind: str) -> str:
    """Whether the hardest share holds more of the flagged samples than chance would put there:
    a one-sided hypergeometric p under :data:`SIGNIFICANT_AT` says it does."""
    from scipy import stats

    if not share.flagged or not share.samples:
        return f"no {kind} samples to count"
    p = float(stats.hypergeom.sf(share.in_hardest - 1, share.samples, share.flagged,
                                 share.hardest_size))
    if is_effect(p=p):
        times = share.in_hardest / share.expected_by_chance
        return (f"the hardest band is hard: it holds {times:.0f} times the {kind} samples "
                "chance would put there "
                f"(one-sided {significance.p_text(p)})")
    return (f"the hardest band holds no more {kind} samples than chance would put there "
            f"({significance.p_text(p)}): this ordering does not single them out")


def _pruning_verdict(n: dict[str, Any], yardstick: float) -> str:
    """Which pruning points change test accuracy beyond reseeding (``yardstick``)."""
    moved, largest = _beyond_reseeding(
        {name: point[Pruning.DIFFERENCE] for name, point in n[Pruning.POINTS].items()},
        yardstick)
    if moved:
        return f"test accuracy moves beyond what reseeding a run does without the " \
               f"{' or the '.join(moved)}"
    return ("no rule changes test accuracy beyond what reseeding a run does at this size "
            f"(the largest change: {largest})")


def _pruning_pattern(points: dict[str, dict[str, Any]], yardstick: float) -> str:
    """What the points say together: whether all moved the same way from their unpruned runs
    (random included: then retraining itself moves a run that much), and whether the hardest
    rule and the oracle are beyond reseeding of each other."""
    changes = {name: point[Pruning.DIFFERENCE] for name, point in points.items()}
    text = ""
    if len(changes) > 1 and (all(c > 0 for c in changes.values())
                             or all(c < 0 for c in changes.values())):
        way = "above" if next(iter(changes.values())) > 0 else "below"
        rules = [point[Pruning.RULE] for point in points.values()]
        text += (f" Every point{', random included,' if 'random' in rules else ''} lies {way} "
                 f"its unpruned run ({min(changes.values()):+.3f} to {max(changes.values()):+.3f})"
                 + (", none beyond reseeding: a retrained run moves this much whatever is "
                    "removed." if all(round(abs(c), 3) <= yardstick for c in changes.values())
                    else "."))
    by_rule = {point[Pruning.RULE]: (name, point[Pruning.TEST_ACCURACY])
               for name, point in points.items()}
    if "hardest" in by_rule and "oracle" in by_rule:
        (hardest, h), (oracle, o) = by_rule["hardest"], by_rule["oracle"]
        text += (f" Without the {hardest} the model reaches {h:.3f}, without the {oracle} "
                 f"{o:.3f}: " + ("within reseeding of each other, so this build cannot tell "
                                 "removing the hardest from removing exactly the injected clips."
                                 if round(abs(h - o), 3) <= yardstick else
                                 f"{'the hardest rule' if h > o else 'the oracle'} is ahead "
                                 "beyond reseeding."))
    return text


def _pruning_yardstick(n: dict[str, Any], test_clips: int) -> float:
    return retraining.yardstick(n[Pruning.SEED_SPREAD], len(n[Pruning.SEEDS]), test_clips)


def pruning(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Pruning.CHAPTER).items():
        test_clips = max(described[dataset][Data.CLIPS_PER_SPLIT].get("test", 0), 1)
        chance = 1 / described[dataset][Data.CLASSES]
        seeds = ", ".join(map(str, n[Pruning.SEEDS]))
        parts = []
        for name, point in n[Pruning.POINTS].items():
            kinds = n.get(Pruning.COMPOSITION, {}).get(name, {})
            what = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count)
            parts.append(f"without the {name} ({point[Pruning.REMOVED]} clips"
                         f"{': ' + what if what else ''}) "
                         f"{point[Pruning.TEST_ACCURACY]:.3f} ({point[Pruning.DIFFERENCE]:+.3f})")
        if not parts:
            skipped = "; ".join(n.get(Pruning.SKIPPED, [])) or "none asked for"
            sentences.append(f"{_named(dataset)}: no pruning point could be trained "
                             f"({skipped}).")
            continue
        spread, runs = n[Pruning.SEED_SPREAD], len(n[Pruning.SEEDS])
        yardstick = _pruning_yardstick(n, test_clips)
        model, unpruned = n[Pruning.MODEL], n[Pruning.UNPRUNED]
        learned = has_learned(unpruned, chance)
        verdict = _pruning_verdict(n, yardstick)
        sentence = (f"{_named(dataset)}: {verdict}. {model} retrained with "
                    f"seed{'s' if runs > 1 else ''} {seeds} reaches test accuracy "
                    f"{unpruned:.3f} on the whole training split and " + "; ".join(parts)
                    + f" (chance {chance:.2f}; one of the {test_clips} test clips is "
                    f"{1 / test_clips:.3f}). ")
        if spread == spread:
            sentence += (f"Runs that differ only by seed differ by {spread:.3f} (standard "
                         f"deviation of the unpruned {model} runs over {n[Pruning.SPREAD_RUNS]} "
                         "seeds), so a point's difference from its unpruned "
                         + ("run" if runs == 1 else f"runs (mean over {runs} seeds)")
                         + f" counts beyond {yardstick:.3f}: twice its expected spread, or two "
                         "test clips if larger.")
        else:
            sentence += (f"One unpruned run gives no seed-to-seed spread, so a change counts "
                         f"beyond {yardstick:.3f} (two test clips).")
        sentence += _pruning_pattern(n[Pruning.POINTS], yardstick)
        if not learned:
            sentence += (" These models have **not** learned, so the points test the pipeline, "
                         "not what pruning does.")
        sentences.append(sentence)
    return " ".join(sentences)


def _curricula_verdict(n: dict[str, Any]) -> str:
    """Which curriculum points change test accuracy beyond reseeding."""
    moved, largest = _beyond_reseeding(
        {name: point[Curricula.DIFFERENCE] for name, point in n[Curricula.POINTS].items()},
        n[Curricula.YARDSTICK])
    return (f"{_listed(moved)} change{'s' if len(moved) == 1 else ''} test accuracy beyond what "
            "reseeding a run does" if moved else "no schedule changes test accuracy beyond what "
            f"reseeding a run does (the largest change: {largest})")


def curricula(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Curricula.CHAPTER).items():
        chance = 1 / described[dataset][Data.CLASSES]
        points = n[Curricula.POINTS]
        if not points:
            sentences.append(f"{_named(dataset)}: no curriculum point was trained.")
            continue
        yardstick, without = n[Curricula.YARDSTICK], n[Curricula.WITHOUT]
        runs, model = len(n[Curricula.SEEDS]), n[Curricula.MODEL]
        verdict = _curricula_verdict(n)
        sentence = (f"{_named(dataset)}: {verdict}. {model} with seed"
                    f"{'s' if runs > 1 else ''} {', '.join(map(str, n[Curricula.SEEDS]))} "
                    f"reaches test accuracy {without:.3f} without a curriculum and "
                    + "; ".join(f"{name} {point[Curricula.TEST_ACCURACY]:.3f}"
                                for name, point in points.items())
                    + f" (chance {chance:.2f}; pacing: {n[Curricula.PACING]}, "
                    f"{n[Curricula.SAMPLE_EPOCHS]:.0%} of the sample-epochs). ")
        spread = n[Curricula.SEED_SPREAD]
        sentence += (f"Runs that differ only by seed differ by {spread:.3f} (standard deviation "
                     f"over {n[Curricula.SPREAD_RUNS]} seeds), so a difference counts beyond "
                     f"{yardstick:.3f}." if spread == spread else
                     f"A difference counts beyond {yardstick:.3f} (two test clips).")
        fused = n.get(Curricula.FUSION) or {}
        if fused:
            seeds = fused[Curricula.FUSED_SEEDS]
            sentence += (f" Late fusion of the {fused[Curricula.FUSED_MODELS]} curriculum models "
                         f"of {fused[Curricula.FUSED_ORDERING]} and a seed reaches "
                         f"{fused[Curricula.FUSED_ACCURACY]:.3f}"
                         + (f" (mean over {seeds} seeds)" if seeds > 1 else "") + ", "
                         f"{fused[Curricula.BASELINE_MODELS]} runs without a curriculum fused "
                         f"{fused[Curricula.BASELINE_ACCURACY]:.3f}.")
        entry = n.get(Curricula.ENTRY, {})
        paced = next((name for name, point in points.items()
                      if point[Curricula.SCHEDULE] == "curriculum"), None)
        if paced in entry and FLIPPED in entry[paced]:
            first = next(iter(entry))
            then, now = entry[first][FLIPPED], entry[paced][FLIPPED]
            sentence += (f" Under the {paced} the flipped labels first enter training at epoch "
                         f"{now[Curricula.ENTERED]:.1f} on average (without one: "
                         f"{then[Curricula.ENTERED]:.1f}) and are first fitted at "
                         f"{now[Curricula.FITTED]:.1f} (without: {then[Curricula.FITTED]:.1f}); "
                         f"{now[Curricula.FITTED_SHARE]:.0%} of them are fitted by the last "
                         f"epoch (without: {then[Curricula.FITTED_SHARE]:.0%}).")
        if not has_learned(without, chance):
            sentence += (" These models have **not** learned, so the points test the pipeline, "
                         "not what a curriculum does.")
        sentences.append(sentence)
    return " ".join(sentences)


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
    for dataset, (n, models) in _model_accuracies(profile).items():
        chance = 1 / n[Data.CLASSES]
        parts = [f"{m.accuracy:.2f} for {m.model}"
                 + (f" ({m.seeds} seeds)" if m.seeds and m.seeds > 1 else
                    " (one seed)" if m.seeds else "") for m in models]
        learned &= all(has_learned(m.accuracy, chance) for m in models)
        sentences.append(f"on {dataset} (chance {chance:.2f}) the models reach test "
                         f"accuracy {_listed(parts)}")
    if not sentences:
        return ""
    text = f"{'; '.join(sentences)} ({_link('Training', Training.NOTEBOOK, base)})."
    text = text[0].upper() + text[1:]
    return text + ("" if learned else " These models have **not** learned: the answers below "
                   "test the pipeline, not the method.")


#: What :func:`_detected`'s verdicts say of a kind of injected clip.
_DETECTED = {1: "found", 0: "not told apart from the others",
             -1: "ranked easier than the others (inverted)"}


def _detected(interval: tuple[float, float]) -> int:
    """An AUROC interval read against chance (0.5): +1 the kind is found, -1 it is ranked
    easier than the rest, 0 not told apart (:func:`separation` against the point 0.5)."""
    return separation(interval, (0.5, 0.5))


def _kinds_compared(detection: dict[str, dict[str, Any]]) -> str:
    """Whether the lead score finds the flipped labels better than the non-speech clips: the
    mechanism the Discussion expects (a flipped label contradicts a learned word, a
    non-speech clip contradicts nothing and can be memorised), read by :func:`separation`."""
    if FLIPPED not in detection or NONSPEECH not in detection:
        return ""
    flipped, nonspeech = (tuple(detection[kind][LEAD_SCORE][Validation.AUROC_INTERVAL])
                          for kind in (FLIPPED, NONSPEECH))
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
    parts = []
    for kind, scores in n[Validation.DETECTION].items():
        lead = scores[LEAD_SCORE]
        interval = tuple(lead[Validation.AUROC_INTERVAL])
        parts.append(f"the {_hyphenated(kind)} clips are {_DETECTED[_detected(interval)]}: AUROC "
                     f"{lead[Validation.AUROC]:.2f} (90 % interval {_interval(*interval)})")
    sentence = (f"Ranked by CumulativeAccuracy, the paper's score, {'; '.join(parts)}, where "
                f"chance is 0.5" + _kinds_compared(n[Validation.DETECTION])
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
    n = record.load(profile, Definitions.CHAPTER)
    dataset = next((d for d in n if n[d].get(Definitions.BEST)), None)
    if dataset is None:
        return ""
    by_kind = n[dataset][Definitions.BEST]
    kind = FLIPPED if FLIPPED in by_kind else next(iter(by_kind))
    best = by_kind[kind]
    relation = ("clear of the intervals of" if best[Definitions.BEYOND_INTERVALS]
                else "within the intervals of")
    runner = (f", {relation} the runner-up {best[Definitions.RUNNER_UP]} "
              f"({best[Definitions.RUNNER_UP_AUROC]:.2f})" if best[Definitions.RUNNER_UP] else "")
    return (f"Of aucurriculum's definitions of difficulty, {best[Definitions.DEFINITION]} finds "
            f"the {_hyphenated(kind)} clips best (AUROC {best[Definitions.AUROC]:.2f}, "
            f"{_interval(*best[Definitions.AUROC_INTERVAL])}){runner} "
            f"({_link('Definitions', Definitions.NOTEBOOK, base)}).")


def _answer_classes(profile: str, base: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Classes.CHAPTER).items():
        rho = n[Classes.CORRELATIONS][DIFFICULTY_TEST]
        p = n.get(Classes.P, {}).get(DIFFICULTY_TEST, float("nan"))
        claim = correlation_claim(rho, n[Classes.CLASSES], p, n[Classes.DIFFICULTY_TEST_PAPER],
                                  *CLASS_EFFECT)
        sentences.append(f"Across the classes of {dataset}, mean difficulty against test "
                         f"recall: {claim} "
                         f"(Spearman {rho:.2f}, {significance.p_text(p)}; the paper "
                         f"{n[Classes.DIFFICULTY_TEST_PAPER]:.2f}) "
                         f"({_link('Classes', Classes.NOTEBOOK, base)}).")
    return " ".join(sentences)


def _answer_attention(profile: str, base: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Explanations.CHAPTER).items():
        peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
        faithful = n.get(Explanations.FAITHFULNESS, {})
        parts = []
        if peaks:
            parts.append(_peaks_against_paper(peaks))
        if faithful and all(Explanations.DIFFERENCE_INTERVAL in d for d in faithful.values()):
            parts.append(f"in the masking check, {faithfulness_reading(faithful)}")
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
            verdict = _pruning_verdict(n, _pruning_yardstick(n, test_clips))
            sentences.append(f"Pruning {dataset}: {verdict} "
                             f"({_link('Pruning', Pruning.NOTEBOOK, base)}).")
    return " ".join(sentences)


def _answer_curricula(profile: str, base: str) -> str:
    return " ".join(f"Curricula on {dataset}: {_curricula_verdict(n)} "
                    f"({_link('Curricula', Curricula.NOTEBOOK, base)})."
                    for dataset, n in record.load(profile, Curricula.CHAPTER).items()
                    if n[Curricula.POINTS])


def _answer_real_speech(profile: str, base: str) -> str:
    real = record.load(profile, Inference.CHAPTER).get(Inference.REAL_SPEECH) or {}
    if not real.get(Inference.WORDS):
        return ""
    words, right = real[Inference.WORDS], round(real[Inference.ACCURACY] * real[Inference.WORDS])
    return (f"On real human recordings, out of domain, the ensemble names {right} of {words} "
            f"words right, against a test accuracy of {real[Inference.SYNTHETIC_TEST_ACCURACY]:.2f}"
            " on held-out synthetic voices (the mean over its runs): a handful of answers, not an "
            "accuracy estimate "
            f"({_link('Inference', Inference.NOTEBOOK, base)}).")


#: The abstract's answers, in the order the book asks its questions.
ANSWERS = (_answer_models, _answer_scores, _answer_definitions, _answer_classes,
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


# --- The discussion: what agrees with the paper, what does not, what to do ------------------

def _edges_against_paper(dataset: str, n: dict[str, Any]) -> tuple[int, str]:
    """The paper's reading of its time figure (hard samples attended at the clip's edges) on
    one dataset's record: hard against easy edge share, by :func:`separation` of their
    intervals; ``(0, "")`` where the record has no intervals."""
    edges, intervals = n.get(Explanations.EDGE_SHARE, {}), n.get(Explanations.EDGE_SHARE_INTERVAL, {})
    order = _hard_against_easy(intervals)
    if order is None:
        return 0, ""
    shares = (f"(edge share {edges['hard']:.2f}, {_interval(*intervals['hard'])}, against "
              f"{edges['easy']:.2f}, {_interval(*intervals['easy'])})")
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
        for dataset, n in record.load(profile, Classes.CHAPTER).items():
            rho = n[Classes.CORRELATIONS][DIFFICULTY_TEST]
            p = n.get(Classes.P, {}).get(DIFFICULTY_TEST, float("nan"))
            paper = n[Classes.DIFFICULTY_TEST_PAPER]
            same, significant = (rho < 0) == (paper < 0), is_effect(p=p)
            text = (f"harder classes of {dataset} are recognised worse at test (Spearman "
                    f"{rho:.2f} over {n[Classes.CLASSES]} classes, {significance.p_text(p)}; "
                    f"the paper {paper:.2f})")
            if same and significant:
                agree.append(text[0].upper() + text[1:] + ".")
            elif same:
                needed = significance.critical_rho(n[Classes.CLASSES], SIGNIFICANT_AT)
                differ.append(f"The class-level correlation on {dataset} has the paper's sign "
                              f"({rho:.2f}; the paper {paper:.2f}) but is not significant at "
                              f"n = {n[Classes.CLASSES]} ({significance.p_text(p)}): over so "
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
            peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
            if peaks:
                near_everywhere = len(_near_paper_peak(peaks)) == len(
                    [b for b in BANDS if b in peaks])
                (agree if near_everywhere else differ).append(
                    f"On {dataset}, {_peaks_against_paper(peaks)}.")
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
        lead = n[Validation.DETECTION].get(FLIPPED, {}).get(LEAD_SCORE)
        if lead and _detected(tuple(lead[Validation.AUROC_INTERVAL])) == 1:
            agree.append(f"The paper reads its hardest samples as mislabelled or atypical; on "
                         f"{dataset}, where the truth is known, CumulativeAccuracy ranks the "
                         f"flipped labels hardest with AUROC {lead[Validation.AUROC]:.2f} "
                         f"({_interval(*lead[Validation.AUROC_INTERVAL])}).")
        elif lead:
            differ.append(f"On {dataset} CumulativeAccuracy does not rank the flipped labels "
                          f"hardest beyond chance (AUROC {lead[Validation.AUROC]:.2f}, "
                          f"{_interval(*lead[Validation.AUROC_INTERVAL])}).")
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
            f"{_listed([str(s) for s in seeds]) if seeds else 'few'} seed"
            f"{'s' if seeds != [1] else ''} per model.")


def discussion(profile: str) -> str:
    """The Discussion's opening: what this build's findings share with the paper's, what they
    do not and why they might not, and what a reader should do, from the records."""
    try:
        _, learned = _accuracies(profile)
    except record.RecordMissing as err:
        return f"*No findings yet:* {err}."
    agree, differ = _agreements(profile)
    lines = ["## What the findings say", ""]
    if not learned:
        lines += ["These models have **not** learned: nothing below is a finding about "
                  "difficulty, only a test of the pipeline.", ""]
    lines += ["**Where this build agrees with the paper.** "
              + (" ".join(agree) or "Nowhere that its evidence can carry."), "",
              "**Where it does not, or not yet.** "
              + (" ".join(differ) or "Nowhere among the comparisons it makes."), "",
              "**Beyond the paper.** " + (_answers(profile, (
                  _answer_definitions, _answer_pruning, _answer_curricula, _answer_real_speech),
                  FROM_INTRODUCTION) or "Nothing yet."), "",
              "**Why it might not.** " + _stand_in(profile) + " Sizes do not transfer; signs "
              "and mechanisms may, and where the truth is known (which clips are mislabelled or "
              "hold no speech) the book measures rather than assumes.", "",
              "**What to do with it.** Check a model's test accuracy against chance before "
              "reading its ordering: an ordering from models that have not learned orders "
              "their class bias. To find label errors, use the definition the Definitions "
              "chapter finds best at them, with cleanlab's flags beside it; read a pruning or "
              "curriculum point against what reseeding a run does, never alone. The sections "
              "below say what follows from the stand-in, and where the evidence ends."]
    return "\n".join(lines)


OPENINGS: dict[str, Callable[[str], str]] = {
    Data.CHAPTER: data, Training.CHAPTER: training, Difficulty.CHAPTER: difficulty,
    Definitions.CHAPTER: definitions,
    Selection.CHAPTER: selection, Explanations.CHAPTER: explanations,
    Classes.CHAPTER: classes, Inference.CHAPTER: inference, Validation.CHAPTER: validation,
    Pruning.CHAPTER: pruning, Curricula.CHAPTER: curricula, Results.CHAPTER: results}


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
    stand_ins = [d for d in described if d in LAYOUTS and LAYOUTS[d].paper_dataset != d]
    what = (f"This build (profile `{profile}`) runs the paper's method on "
            + ", ".join(_named(d) for d in described)
            + (": generated in the real datasets' on-disk layouts from synthetic voices (and, for "
               "scenes, fixed mixtures) over real recorded noise, because the real datasets "
               "cannot be downloaded where the book is built. "
               "Its findings are about how the method behaves, not about the real datasets."
               if stand_ins else "."))
    if not any(LAYOUTS[d].paper_dataset == "DCASE2020Task1A" for d in described if d in LAYOUTS):
        what += (" The paper's acoustic-scene side (DCASE2020 Task 1A) is not in this build: "
                 "its offline stand-in, SyntheticScenes, only exercises the scene code path "
                 "(the smoke profile trains on it in the tests); its scenes are fixed mixtures "
                 "of a few recordings with no ground truth of difficulty, so their figures "
                 "would say nothing about scenes and are not shown.")
    meaning = ("The models have learned, so the difficulty orderings, bands and Grad-CAM maps of "
               "the later chapters can be read as the method's output; numbers beside the "
               "paper's compare in sign and shape, not in size."
               if learned else
               "The models have **not** learned: every later figure tests the pipeline, and none "
               "of them is a finding about difficulty.")
    return "\n".join([BOX, what, "", *sentences, "", meaning, ":::"])
