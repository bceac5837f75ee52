"""The openings of the chapters that reproduce the paper: data, training, difficulty, definitions,
selection, explanations, classes, inference; each from its record (:func:`lib.findings.opening`)."""
from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib import paths, record, significance
from lib.datasets import layout_of
from lib.difficulty import HardestShare
from lib.groundtruth import FLIPPED, MISLABELLED
from lib.profiles import CONTROL_DEFINITION, SCORING_FUNCTIONS
from lib.record import (BANDS, CLEANLAB_NETWORK, DIFFICULTY_TEST, Classes, Data, Definitions,
                        Difficulty, Explanations, Inference, Selection, Training, split_model_key)
from lib.significance import INTERVAL_LEVEL, Correlation
from lib.claims import (TARGET_GENUINE_TRAIN, TARGET_TEST_ACCURACY, correlation_claim,
                        detected, has_learned, has_paper, hyphenated, interval_text, is_effect,
                        listed, named_dataset, same_sign, separation, share_text)


def data(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Data.CHAPTER).items():
        splits = n[Data.CLIPS_PER_SPLIT]
        counts = ", ".join(f"{splits[s]} {s}" for s in ("train", "dev", "test") if s in splits)
        sentence = f"{named_dataset(dataset)}: {counts} clips of {n[Data.CLASSES]} classes"
        if layout_of(dataset).user:
            sentence += _own_data(n)
        elif Data.KINDS in n:
            train = splits.get("train", 0)
            kinds = [f"{kind} {count} ({share_text(count, train)})"
                     for kind, count in n[Data.KINDS].items() if count]
            sentence += (f", spoken by {n[Data.VOICES]} synthetic voices; among the training "
                         f"clips, {listed(kinds) if kinds else 'no injected hard sample'}: "
                         "the ground truth later chapters check the difficulty scores against")
        elif layout_of(dataset).generated:
            sentence += (", generated to exercise the scene code path (no ground truth of "
                         "difficulty, so the book draws no conclusion from it)")
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _own_data(n: dict[str, Any]) -> str:
    """How a user's own dataset was copied, and its injected ground truth."""
    train, flipped = n[Data.CLIPS_PER_SPLIT].get("train", 0), n.get(Data.FLIPPED, 0)
    text = (f", your own recordings from `{n[Data.SOURCE]}`, each cut or padded to "
            f"{n[Data.CLIP_SECONDS]:g} s at 16 kHz mono; "
            + ("splits as you gave them" if n[Data.SPLITS_GIVEN] else
               "splits drawn here, stratified by class and never splitting a group"))
    if n[Data.DROPPED]:
        text += f"; {len(n[Data.DROPPED])} files failed the import's checks and were left out"
    if flipped:
        text += (f". In the book's copy, {flipped} training clips ({share_text(flipped, train)}) "
                 "had their label flipped at random: the ground truth later chapters check the "
                 "difficulty scores against (your own labels are what every export reports)")
    else:
        text += (". No labels were flipped (FLIP_FRACTION 0), so no chapter can check the "
                 "scores against a known truth")
    return text


@dataclass(frozen=True)
class ModelAccuracy:
    """One model's test accuracy on one dataset, read once from the Training and Data records:
    the chapter opening, the read-first box, the abstract and the Discussion only word it."""

    model: str
    accuracy: float
    seeds: int | None
    train: dict[str, float]
    chance: float

    @property
    def learned(self) -> bool:
        """Whether the model is clearly above chance (:func:`lib.claims.has_learned`)."""
        return has_learned(self.accuracy, self.chance)


def model_accuracies(profile: str) -> dict[str, tuple[dict[str, Any], list[ModelAccuracy]]]:
    """Per dataset: its Data record and every model's test accuracy, in the records' order."""
    trained, described = record.load(profile, Training.CHAPTER), record.load(profile, Data.CHAPTER)
    found: dict[str, tuple[dict[str, Any], list[ModelAccuracy]]] = {}
    for dataset, n in described.items():
        models = [ModelAccuracy(model, accuracy, trained.get(Training.SEEDS, {}).get(key),
                                trained[Training.TRAIN_ACCURACY][key], 1 / n[Data.CLASSES])
                  for key, accuracy in trained[Training.TEST_ACCURACY].items()
                  for name, model in [split_model_key(key)] if name == dataset]
        if models:
            found[dataset] = (n, models)
    return found


def _accuracies(profile: str) -> tuple[list[str], bool]:
    """One sentence per dataset on test accuracy against chance, and whether all learned."""
    sentences, learned = [], True
    for dataset, (n, models) in model_accuracies(profile).items():
        n_classes, test_clips = n[Data.CLASSES], n[Data.CLIPS_PER_SPLIT].get("test", 0)
        chance = models[0].chance
        parts = []
        for m in models:
            low, high = significance.share_interval(m.accuracy * test_clips, test_clips)
            which = ("genuine training clips (label not flipped"
                     + (", speech present)" if Data.NONSPEECH in n else ")")
                     if Training.GENUINE in m.train else "training clips")
            seeds = (", one seed" if m.seeds == 1 else f", {m.seeds} seeds") if m.seeds else ""
            parts.append(f"{m.model} {m.accuracy:.3f} (95 % interval {interval_text(low, high)}"
                         f"{seeds}; {which} "
                         f"{m.train.get(Training.GENUINE, m.train[Training.ALL]):.3f})")
            learned &= m.learned
        sentences.append(f"{named_dataset(dataset)}: test accuracy {', '.join(parts)}, mean over "
                         f"seeds, on {test_clips} test clips of {n_classes} classes, where "
                         f"chance is {chance:.2f}.")
    return sentences, learned


def _targets(dataset: str, models: list[ModelAccuracy]) -> tuple[str, bool]:
    """The learned-regime targets the chapter relies on, each model's figure marked met or
    missed as printed (three decimals), and whether any was missed; ("", False) for a user's
    own data, which has no such targets."""
    if not has_paper(dataset):
        return "", False
    marks, missed = [], False
    for m in models:
        figures = [("test", m.accuracy, TARGET_TEST_ACCURACY)]
        if m.train.get(Training.GENUINE) is not None:
            figures.append(("genuine training clips", m.train[Training.GENUINE],
                            TARGET_GENUINE_TRAIN))
        checks = []
        for name, value, target in figures:
            met = round(value, 3) >= target
            missed |= not met
            checks.append(f"{name} {value:.3f} " + ("met" if met else "**missed**"))
        marks.append(f"{m.model}: {', '.join(checks)}")
    return (f"Against the learned-regime targets (test accuracy at least "
            f"{TARGET_TEST_ACCURACY:.2f} per model, at least {TARGET_GENUINE_TRAIN:.2f} of the "
            f"genuine training clips right at the best checkpoint): {'; '.join(marks)}.", missed)


def training(profile: str) -> str:
    sentences, learned = _accuracies(profile)
    missed = False
    for dataset, (_, models) in model_accuracies(profile).items():
        targets, short = _targets(dataset, models)
        missed |= short
        if targets:
            sentences.append(targets)
    verdict = ("These models are well above chance, so the later chapters read orderings, "
               "bands and Grad-CAM maps of models that have learned"
               + ("; where a model misses a target, read its figures as those of a model that "
                  "has learned less than the design asks." if missed else ".")
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
                found.append(f"{count} {share.flagged} {hyphenated(kind)} clips")
                hardest, chance = share.hardest_size, share.expected_by_chance
        if found:
            parts.append(f"{listed(found)} rank among the hardest "
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


#: The control definition: its AUROC is where chance lies.
CONTROL = CONTROL_DEFINITION
#: The follow-up's ranges (arXiv 2411.00973, transcribed in data/published/follow_up.csv):
#: how an ordering agrees from seed to seed, from model to model, and between definitions.
FOLLOW_UP_SEEDS, FOLLOW_UP_MODELS, FOLLOW_UP_AGREEMENT = "seeds", "models", "definitions"


@functools.cache
def follow_up() -> dict[str, tuple[float, float]]:
    """The follow-up's published ranges by quantity (:data:`FOLLOW_UP_SEEDS`, ...)."""
    with (paths.PUBLISHED / "follow_up.csv").open() as table:
        return {row["quantity"]: (float(row["low"]), float(row["high"]))
                for row in csv.DictReader(table)}

#: Where the paper's Grad-CAM importance of easy and medium keywords peaks (its SpeechCommands
#: frequency figure, read by eye; its hard band is flat), and how far from it a peak is near.
PAPER_IMPORTANCE_PEAK_HZ = 1000.0
NEAR_FACTOR = 2 ** 0.5  # half an octave either way


def _near_paper_peak(peaks: dict[str, float]) -> list[str]:
    """The bands whose importance peaks within :data:`NEAR_FACTOR` of the paper's."""
    return [b for b in BANDS if b in peaks
            and 1 / NEAR_FACTOR <= peaks[b] / PAPER_IMPORTANCE_PEAK_HZ <= NEAR_FACTOR]


def _peaks_against_paper(peaks: dict[str, float], against_paper: bool = True,
                         map_bands: int | None = None) -> str:
    """Grad-CAM's importance peak per band, at the map's resolution (``map_bands`` mel bands:
    a peak can fall only at one of their centres), and (``against_paper``: not for a user's
    own data) where it lies against the paper's near 1 kHz."""
    shown = ", ".join(f"{peaks[b] / 1000:.1f} kHz ({b})" for b in BANDS if b in peaks)
    if map_bands:
        shown += (f" (the map has {map_bands} mel bands, so a peak can fall only at one of "
                  f"{map_bands} frequencies"
                  + ("; one peak for every band says they share that coarse band, not an "
                     "exact frequency)" if len(peaks) > 1 and len(set(peaks.values())) == 1
                     else ")"))
    if not against_paper:
        return f"Grad-CAM's importance peaks at {shown}"
    near = _near_paper_peak(peaks)
    where = (f"near the paper's {PAPER_IMPORTANCE_PEAK_HZ / 1000:.0f} kHz in every band" if
             len(near) == len([b for b in BANDS if b in peaks]) else
             f"unlike the paper's peak near {PAPER_IMPORTANCE_PEAK_HZ / 1000:.0f} kHz"
             + (f" except in the {listed(near)} band{'s' if len(near) > 1 else ''}"
                if near else "")
             + " (its hard band was flat)")
    return f"Grad-CAM's importance peaks at {shown}, {where}"


def _best_definition(kind: str, best: dict[str, Any], found: dict[str, Any]) -> str:
    """Which definition finds ``kind`` best, against its runner-up and the worst (``found``:
    the definitions' detection entries, the control left out)."""
    low, high = best[Definitions.AUROC_INTERVAL]
    if detected((low, high)) != 1:
        return (f"no definition finds {hyphenated(kind)} clips (the highest, "
                f"{best[Definitions.DEFINITION]}: AUROC {best[Definitions.AUROC]:.3f}, 90 % "
                f"interval {interval_text(low, high)}, not above chance)")
    sentence = (f"{hyphenated(kind)} clips are found best by {best[Definitions.DEFINITION]} "
                f"(AUROC {best[Definitions.AUROC]:.3f}, 90 % interval {interval_text(low, high)})")
    if best[Definitions.RUNNER_UP]:
        relation = ("clear of" if best[Definitions.BEYOND_INTERVALS]
                    else "not beyond the intervals of")
        sentence += (f", {relation} {best[Definitions.RUNNER_UP]} "
                     f"({best[Definitions.RUNNER_UP_AUROC]:.3f})")
    worst = min(found, key=lambda name: found[name][Definitions.AUROC], default=None)
    if worst and worst != best[Definitions.DEFINITION]:
        low, high = found[worst][Definitions.AUROC_INTERVAL]
        sentence += (f", {worst} worst ({found[worst][Definitions.AUROC]:.3f}, "
                     f"{interval_text(low, high)}"
                     + (": no better than chance)" if detected((low, high)) != 1 else ")"))
    return sentence


#: The paper's definition of difficulty, as the Definitions record names it.
PAPER_DEFINITION = SCORING_FUNCTIONS[0]
#: Below this dev accuracy on its own words, a teacher is too weak for TransferTeacher's
#: ordering to say anything about the definition.
WEAK_TEACHER = 0.9


@dataclass(frozen=True)
class Choice:
    """Which definition of difficulty to use on a dataset, read once from its Definitions
    record by the book's rule: first detection of the wrong labels (the mean AUROC over the
    mislabelled kinds found by some definition; every definition whose intervals overlap the
    best one's on each of those kinds is tied with it), then, among the tied, stability from
    run to run (Spearman), then cost (minutes beyond the runs). Without ground truth, stability
    and cost decide. The opening, the abstract and the Discussion only word it."""
    definition: str
    kinds: tuple[str, ...]  # the mislabelled kinds detection was judged on
    auroc: dict[str, float]  # definition -> mean AUROC over ``kinds``
    tied: tuple[str, ...]  # the others not behind it beyond the intervals on any kind
    close: tuple[str, ...]  # of ``tied``, those as stable as it (within the margin)
    stability: dict[str, float | None]  # definition -> run-to-run Spearman
    minutes: dict[str, float]
    sources: dict[str, str]  # definition -> who computed it (the Definitions record's source)
    decided_by: str  # "detection", "stability" or "cost"
    failing: tuple[str, ...]  # definitions whose interval holds chance on every kind judged

    #: Run-to-run Spearman closer than this does not decide between definitions.
    STABILITY_MARGIN = 0.05


def definition_choice(n: dict[str, Any]) -> Choice | None:
    """:class:`Choice` for one dataset's Definitions record; ``None`` without definitions."""
    names = [name for name in n[Definitions.COLUMNS] if name != CONTROL]
    if not names:
        return None
    found = n.get(Definitions.DETECTION, {})
    kinds = tuple(kind for kind in MISLABELLED if kind in found and any(
        detected(tuple(found[kind][name][Definitions.AUROC_INTERVAL])) == 1
        for name in names if name in found[kind]))
    auroc = {name: float(np.mean([found[kind][name][Definitions.AUROC] for kind in kinds]))
             for name in names if kinds and all(name in found[kind] for kind in kinds)}
    stability = {name: n.get(Definitions.STABILITY, {}).get(name, {}).get(Definitions.RUN_TO_RUN)
                 for name in names}
    costs = {name: n.get(Definitions.COST, {}).get(name, {}) for name in names}
    minutes = {name: costs[name].get(Definitions.MINUTES, 0.0) for name in names}
    sources = {name: costs[name].get(Definitions.SOURCE, "") for name in names}
    failing = tuple(name for name in auroc if all(
        detected(tuple(found[kind][name][Definitions.AUROC_INTERVAL])) != 1 for kind in kinds))
    if auroc:
        best = max(auroc, key=auroc.get)
        tied = [name for name in auroc if (name == best or name not in failing) and all(
            separation(tuple(found[kind][best][Definitions.AUROC_INTERVAL]),
                       tuple(found[kind][name][Definitions.AUROC_INTERVAL])) != 1
            for kind in kinds)]
    else:
        tied = names
    steady = max(tied, key=lambda name: (stability[name] is not None, stability[name] or 0.0))
    close = [name for name in tied if stability[steady] is None or (
        stability[name] is not None
        and stability[steady] - stability[name] < Choice.STABILITY_MARGIN)]
    chosen = min(close, key=lambda name: minutes[name])
    decided_by = ("detection" if len(tied) == 1 else
                  "stability" if len(close) == 1 else "cost")
    return Choice(chosen, kinds, auroc, tuple(name for name in tied if name != chosen),
                  tuple(name for name in close if name != chosen), stability, minutes, sources,
                  decided_by, failing)


def choice_text(choice: Choice, lead: str = "**Which definition to use here: {}.** ") -> str:
    """The verdict in a sentence or two: which definition (``lead``, formatted with it), and
    the evidence that decided."""
    chosen = choice.definition

    def stable(name: str) -> str:
        rho = choice.stability[name]
        return "one run, no run-to-run figure" if rho is None else f"Spearman {rho:.2f}"

    def cost(name: str) -> str:
        if choice.sources[name] == Definitions.FROM_DIFFICULTY:
            return "nothing beyond the Difficulty chapter's scoring"
        minutes = choice.minutes[name]
        return ("under 0.1 minutes" if minutes < 0.1 else f"{minutes:.1f} minutes") + \
            " beyond the runs"

    if choice.kinds:
        body = (f"over the wrong labels ({listed(list(choice.kinds))}) it reaches mean AUROC "
                f"{choice.auroc[chosen]:.2f}"
                + (", and no other definition's intervals reach its own on every kind"
                   if choice.decided_by == "detection" else
                   ", and " + listed([f"{name} ({choice.auroc[name]:.2f})"
                                      for name in choice.tied])
                   + (" is" if len(choice.tied) == 1 else " are")
                   + " not behind it beyond the intervals on any of these kinds"))
        rivals = list(choice.tied)
    else:
        body = ("detection cannot decide here (no ground truth, or no wrong label found above "
                "chance), so stability and cost do")
        rivals = [name for name in choice.stability if name != chosen]
    rivals.sort(key=lambda name: -(choice.stability[name] if choice.stability[name] is not None
                                   else -2.0))
    if choice.decided_by == "stability":
        body += (f"; it is the most stable from run to run ({stable(chosen)}; the next, "
                 f"{rivals[0]}, {stable(rivals[0])}); it costs {cost(chosen)}.")
    elif choice.decided_by == "cost" and choice.close:
        body += (f"; as stable from run to run as {listed(list(choice.close))} "
                 f"({stable(chosen)}), it costs the least: {cost(chosen)}.")
    else:
        body += f"; run to run, {stable(chosen)}; it costs {cost(chosen)}."
    if choice.failing:
        body += (" " + listed(list(choice.failing))
                 + (" does" if len(choice.failing) == 1 else " do")
                 + " not find any of these wrong labels above chance here: not a label-error "
                   "detector on data like this.")
    if lead.rstrip().endswith((".", ".**", ":**")):
        body = body[0].upper() + body[1:]
    return lead.format(chosen) + body


def _ensemble_runs(profile: str, dataset: str) -> int:
    """How many runs the whole ensemble has on a dataset (0 before Training has a record)."""
    try:
        return sum(m.seeds or 0 for m in model_accuracies(profile).get(dataset, ({}, []))[1])
    except record.RecordMissing:
        return 0


def definitions(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, Definitions.CHAPTER).items():
        columns = n[Definitions.COLUMNS]
        parts = []
        choice = definition_choice(n)
        for kind, best in n.get(Definitions.BEST, {}).items():
            found = {name: value for name, value in n[Definitions.DETECTION][kind].items()
                     if name in columns and name != CONTROL}
            parts.append(_best_definition(kind, best, found))
        if parts and CONTROL in columns:
            chance = [n[Definitions.DETECTION][kind][CONTROL][Definitions.AUROC]
                      for kind in n[Definitions.BEST]]
            parts[-1] += (f"; Random, the control, scores {chance[0]:.2f}" if len(chance) == 1
                          else f"; Random, the control, scores {min(chance):.2f} to "
                          f"{max(chance):.2f} on the {len(chance)} kinds")
        network = {kind: found.get(CLEANLAB_NETWORK)
                   for kind, found in n.get(Definitions.DETECTION, {}).items()}
        if network.get(FLIPPED):
            low, high = network[FLIPPED][Definitions.AUROC_INTERVAL]
            parts.append(f"cleanlab on the network's out-of-fold probabilities finds flipped "
                         f"labels with AUROC {network[FLIPPED][Definitions.AUROC]:.3f} "
                         f"({interval_text(low, high)}), flagging "
                         f"{n[Definitions.CLEANLAB_FLAGGED][CLEANLAB_NETWORK]} clips")
        taught = n.get(Definitions.TEACHER)
        if taught:
            parts.append(f"TransferTeacher's teacher, a {taught['model']} pretrained here on "
                         f"{len(taught['words'])} other words from {taught['train_clips']} clips "
                         f"(the paper profile's PANNs teacher learned from about two million), "
                         f"reached dev accuracy {taught['dev_accuracy']:.2f} on its own words"
                     + ("; a teacher this weak says little about the definition, so read "
                        "TransferTeacher's numbers here as a test of its code path"
                        if taught["dev_accuracy"] < WEAK_TEACHER else ""))
        if n.get(Definitions.MEAN_AGREEMENT) is not None:
            low, high = follow_up()[FOLLOW_UP_AGREEMENT]
            parts.append(f"the definitions agree at Spearman {n[Definitions.MEAN_AGREEMENT]:.2f} "
                         f"on average over {len([c for c in columns if c != CONTROL])} definitions "
                         f"(the follow-up: {low:.2f}–{high:.2f})")
        ours = columns.get(PAPER_DEFINITION)
        ensemble = _ensemble_runs(profile, dataset)
        if ours and ours < ensemble:
            parts.append(f"every definition here reads the same runs, so {PAPER_DEFINITION} here "
                         f"averages {ours} run{'s' if ours > 1 else ''}, not the whole "
                         f"ensemble's {ensemble} the Difficulty and Validation chapters order "
                         "by: its figures differ from theirs")
        found = "; ".join(parts)
        if choice:
            found = choice_text(choice) + (f" {found[0].upper()}{found[1:]}." if found else "")
        elif found:
            found += "."
        if found:
            sentences.append(f"**{dataset}**: {found}")
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
                         f"{per_band} clips are injected ones")
        sentences.append(sentence + ".")
    sentences.append("Bands are relative within each class: one class's hard band can be "
                     "easier than another class's easy band.")
    return " ".join(sentences)


@dataclass(frozen=True)
class Faithfulness:
    """The masking check over its shares, read once from the Explanations record (share ->
    the record of :func:`lib.explain.faithfulness_summary`): per masked share, how much more
    masking Grad-CAM's highest cells lowers the explained class's probability than masking as
    many random cells, with its 90 % interval. The chapter opening, the abstract and the
    notebook only word it."""
    differences: dict[float, float]
    intervals: dict[float, tuple[float, float]]

    @property
    def signs(self) -> dict[float, int]:
        """Per share: +1 Grad-CAM's cells matter more than random ones, -1 less, 0 the 90 %
        interval includes zero (:func:`lib.claims.separation`)."""
        return {share: separation(interval, (0.0, 0.0))
                for share, interval in self.intervals.items()}


def faithfulness_verdict(faithful: dict[str, dict[str, Any]]) -> Faithfulness | None:
    """The masking check's verdict, in share order; ``None`` where a share has no interval."""
    if not faithful or not all(Explanations.DIFFERENCE_INTERVAL in d for d in faithful.values()):
        return None
    ordered = sorted(faithful.items(), key=lambda item: float(item[0]))
    return Faithfulness(
        {float(share): d[Explanations.DROP_GRADCAM] - d[Explanations.DROP_RANDOM]
         for share, d in ordered},
        {float(share): tuple(d[Explanations.DIFFERENCE_INTERVAL]) for share, d in ordered})


def faithfulness_reading(verdict: Faithfulness) -> str:
    """What the masking check shows over its shares, with its effect sizes: how much more
    (or less) masking Grad-CAM's top cells lowers the explained class's probability than
    masking as many random cells; it matters more or less only where the 90 % interval of the
    difference excludes zero."""
    signs = verdict.signs

    def sized(share: float) -> str:
        low, high = verdict.intervals[share]
        return (f"{share:.0%} masked ({verdict.differences[share]:+.3f}, "
                f"{low:+.3f} to {high:+.3f})")

    named = {sign: listed([sized(share) for share, s in signs.items() if s == sign])
             for sign in (1, 0, -1) if sign in signs.values()}
    measure = ("the explained class's probability drops, Grad-CAM's top cells minus as many "
               "random cells, with 90 % intervals")
    if set(signs.values()) == {1}:
        return (f"masking the cells Grad-CAM ranks highest hurts the explained class more than "
                f"masking random cells at every share: {named[1]} ({measure}); the maps point "
                "at evidence the model uses")
    if set(signs.values()) == {-1}:
        return (f"masking the cells Grad-CAM ranks highest hurts the explained class less than "
                f"masking random cells at every share: {named[-1]} ({measure}); these maps are "
                "less informative than random cells")
    if set(signs.values()) == {0}:
        return (f"at no share does the interval exclude zero: {named[0]} ({measure}); at this "
                "size the maps are not shown to point at evidence more than random cells do")
    return "; ".join(part for part in (
        f"Grad-CAM's cells matter more than random ones at {named[1]}" if 1 in named else "",
        f"less at {named[-1]}" if -1 in named else "",
        f"the interval includes zero at {named[0]}" if 0 in named else "") if part) + \
        f" ({measure})"


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
                         f"{interval_text(*drops[Explanations.DIFFERENCE_INTERVAL])}, "
                         f"n = {drops[Explanations.MAPS]} maps")
        sentence += ")"
        verdict = faithfulness_verdict(faithful)
        if verdict:
            sentence += f"; over every masked share, {faithfulness_reading(verdict)}"
        peaks = n.get(Explanations.IMPORTANCE_PEAK_HZ, {})
        if peaks:
            sentence += ("; " + _peaks_against_paper(peaks, has_paper(dataset),
                                                     n.get(Explanations.MAP_MEL_BANDS)))
        edges = n.get(Explanations.EDGE_SHARE, {})
        if edges and Explanations.EDGE_SHARE_UNIFORM in n:
            sentence += "; " + _edges_reading(edges, n.get(Explanations.EDGE_SHARE_INTERVAL, {}),
                                              n[Explanations.EDGE_SHARE_UNIFORM],
                                              has_paper(dataset))
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _hard_against_easy(intervals: dict[str, list[float]]) -> int | None:
    """The hard band's edge share against the easy band's, by :func:`separation` of their
    intervals; ``None`` where either has none."""
    if "hard" not in intervals or "easy" not in intervals:
        return None
    return separation(tuple(intervals["hard"]), tuple(intervals["easy"]))


def _edges_reading(edges: dict[str, float], intervals: dict[str, list[float]],
                   uniform: float, against_paper: bool = True) -> str:
    """The share of Grad-CAM importance at the clip's edges per band, with its interval, and
    what the intervals allow: against a map blind to time, and the paper's claim that hard
    samples draw it to the edges (hard against easy, only where their intervals separate)."""
    shown = ", ".join(f"{edges[b]:.2f} ({b}"
                      + (f", {interval_text(*intervals[b])}" if b in intervals else "") + ")"
                      for b in BANDS if b in edges)
    text = f"the share of importance at the clip's edges is {shown}"
    if not intervals:
        return text + f", against {uniform:.2f} for a map blind to time"
    below = [b for b in BANDS if b in intervals and intervals[b][1] < uniform]
    above = [b for b in BANDS if b in intervals and intervals[b][0] > uniform]
    text += (f", against {uniform:.2f} for a map blind to time: "
             + ("; ".join(part for part in (
                 f"less at the edges in the {listed(below)} band{'s' if len(below) > 1 else ''}"
                 if below else "", f"more in the {listed(above)} band"
                 f"{'s' if len(above) > 1 else ''}" if above else "") if part)
                or "no band differs from it beyond its interval"))
    order = _hard_against_easy(intervals)
    if order is not None and not against_paper:
        text += ("; hard samples draw more importance to the edges than easy ones" if order > 0
                 else "; hard samples draw less importance to the edges than easy ones"
                 if order < 0 else "; hard and easy samples are within each other's intervals")
    elif order is not None and order > 0 and len(below) == len(
            [b for b in BANDS if b in intervals]):
        text += ("; hard samples draw more importance to the edges than easy ones, the paper's "
                 "direction, but less than a map blind to time: no band focuses on the edges")
    elif order is not None:
        text += ("; hard samples draw more importance to the edges than easy ones, as in the "
                 "paper" if order > 0 else "; hard samples draw less importance to the edges "
                 "than easy ones, unlike in the paper" if order < 0 else
                 "; hard and easy samples are within each other's intervals, so this build "
                 "does not show the paper's hard samples attended at the edges")
    return text


#: The paper's class-level result in words, and its opposite (:func:`correlation_claim`).
CLASS_EFFECT = ("harder classes are recognised worse at test, as in the paper",
                "harder classes are recognised **better** at test, unlike in the paper")
#: The same for a user's own data, which has no paper to be like.
OWN_CLASS_EFFECT = ("harder classes are recognised worse at test",
                    "harder classes are recognised **better** at test")


@dataclass(frozen=True)
class ClassFinding:
    """The paper's class-level result on one dataset (Spearman of a class's mean difficulty and
    its test recall), read once from the Classes record: the chapter's opening, the abstract
    and the discussion only word it. A user's own dataset has no paper's value (None)."""
    dataset: str
    rho: float
    p: float
    classes: int
    paper_rho: float | None
    paper_classes: int | None

    @classmethod
    def read(cls, dataset: str, n: dict[str, Any]) -> "ClassFinding":
        return cls(dataset, n[Classes.CORRELATIONS][DIFFICULTY_TEST],
                   n.get(Classes.P, {}).get(DIFFICULTY_TEST, float("nan")), n[Classes.CLASSES],
                   n.get(Classes.DIFFICULTY_TEST_PAPER), n.get(Classes.PAPER_CLASSES))

    @property
    def same_sign(self) -> bool:
        return self.paper_rho is not None and same_sign(self.rho, self.paper_rho)

    @property
    def agrees(self) -> bool:
        """The paper's sign, and an effect by :func:`lib.claims.is_effect`."""
        return self.same_sign and is_effect(p=self.p)

    @property
    def claim(self) -> str:
        """The reading in words, sized by :func:`lib.claims.correlation_claim`."""
        return correlation_claim(self.rho, self.classes, self.p, self.paper_rho,
                                 *(OWN_CLASS_EFFECT if self.paper_rho is None else CLASS_EFFECT))


def class_findings(profile: str) -> list[ClassFinding]:
    return [ClassFinding.read(dataset, n)
            for dataset, n in record.load(profile, Classes.CHAPTER).items()]


def class_correlation(dataset: str, n: dict[str, Any]) -> str:
    """The paper's class-level result for one dataset, ours beside the paper's."""
    found = ClassFinding.read(dataset, n)
    paper = layout_of(dataset).paper_dataset
    uncertainty = (f", {'exact ' if found.classes <= significance.EXACT_UP_TO else ''}"
                   f"{significance.p_text(found.p)}" if found.p == found.p else "")
    text = (f"**{dataset}**, a class's mean difficulty against its test recall: {found.claim} "
            f"(Spearman {found.rho:.2f} over {found.classes} classes{uncertainty})")
    if found.paper_rho is None:
        return text + "."
    return (text + f"; the paper found {found.paper_rho:.2f} over {found.paper_classes} "
            f"{paper} classes. Over so few classes and other data, only the sign is "
            "comparable, not the size.")


def classes(profile: str) -> str:
    return " ".join(class_correlation(dataset, n)
                    for dataset, n in record.load(profile, Classes.CHAPTER).items())


@dataclass(frozen=True)
class RealSpeech:
    """The real-speech check read once from the Inference record: the words the ensemble names
    right, with a 90 % interval, against the ensemble's own accuracy on the synthetic test
    split with its interval (the mean over single runs where the record has no ensemble
    figure), and whether the intervals separate. The opening, the abstract and the results
    table only word it."""
    right: int
    words: int
    speakers: int
    interval: tuple[float, float]
    synthetic: float
    synthetic_clips: int | None  # None: the record's mean over single runs
    synthetic_interval: tuple[float, float] | None
    separation: int  # -1: real speech lower beyond the intervals, 0 overlap, +1 higher

    @property
    def who(self) -> str:
        """"one speaker", "2 speakers"."""
        return "one speaker" if self.speakers == 1 else f"{self.speakers} speakers"

    @property
    def text(self) -> str:
        """"4 of 6 words right (90 % interval 0.35–0.88), against its own accuracy of 0.88 on
        its 120 synthetic test clips (0.82–0.92)", and what the intervals allow."""
        low, high = self.interval
        against = (f"its own accuracy of {self.synthetic:.2f} on its {self.synthetic_clips} "
                   f"synthetic test clips ({interval_text(*self.synthetic_interval)})"
                   if self.synthetic_clips else
                   f"a test accuracy of {self.synthetic:.2f} on synthetic voices (the mean over "
                   "its runs)")
        reading = {-1: f"lower beyond the intervals: on the recordings of {self.who} the "
                       "ensemble does worse than on synthetic voices",
                   0: f"the intervals overlap, so {self.words} recordings of {self.who} cannot "
                      "show a gap between real and synthetic speech",
                   1: "higher beyond the intervals"}[self.separation]
        return (f"{self.right} of {self.words} words right (90 % interval "
                f"{interval_text(low, high)}), against {against}; {reading}")


def real_speech_verdict(n: dict[str, Any]) -> RealSpeech | None:
    """:class:`RealSpeech` of an Inference record; ``None`` without real recordings."""
    real = n.get(Inference.REAL_SPEECH) or {}
    if not real.get(Inference.WORDS):
        return None
    words = real[Inference.WORDS]
    right = round(real[Inference.ACCURACY] * words)
    interval = significance.share_interval(right, words, level=INTERVAL_LEVEL)
    own = (n.get(Inference.CALIBRATION) or {}).get(Inference.SYNTHETIC_TEST)
    if own:
        clips = own[Inference.ANSWERS]
        synthetic = own[Inference.ACCURACY]
        synthetic_interval = significance.share_interval(round(synthetic * clips), clips,
                                                         level=INTERVAL_LEVEL)
        order = separation(interval, synthetic_interval)
    else:  # a mean over runs, without an interval: the words' interval against the point
        clips, synthetic, synthetic_interval = None, real[Inference.SYNTHETIC_TEST_ACCURACY], None
        order = separation(interval, (synthetic, synthetic))
    return RealSpeech(right, words, real.get(Inference.SPEAKERS, 1), interval, synthetic, clips,
                      synthetic_interval, order)


def _real_speech(real: dict[str, Any], verdict: RealSpeech, augmentation: str) -> str:
    """What the ensemble made of each real recording, beside its synthetic test accuracy."""
    per_word = ", ".join(
        f"*{word}* {'right' if w[Inference.PREDICTION] == word else 'as ' + w[Inference.PREDICTION]}"
        f" ({w[Inference.RUNS_CORRECT]} {'run' if w[Inference.RUNS_CORRECT] == 1 else 'runs'}"
        " right)"
        for word, w in real[Inference.PER_WORD].items())
    trained = ("without augmentation" if augmentation == "none"
               else f"with the {augmentation} augmentation")
    text = (f"**On real human speech, out of domain, the ensemble names {verdict.right} of "
            f"{verdict.words} words right** (models trained {trained}): {per_word}. In full: "
            f"{verdict.text}.")
    misses = [w[Inference.PREDICTION] for word, w in real[Inference.PER_WORD].items()
              if w[Inference.PREDICTION] != word]
    if len(misses) > 1 and len(set(misses)) == 1:
        text += (f" {'Both' if len(misses) == 2 else f'All {len(misses)}'} misses are answered "
                 f"*{misses[0]}*; {len(misses)} answers cannot say why.")
    share = real.get(Inference.MOST_PREDICTED_SHARE)
    if share is not None and share > 0.5:
        text += (f" One class takes {share:.0%} of the answers, more than half of these "
                 f"{verdict.words}.")
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
    verdict = real_speech_verdict(n)
    if verdict:
        parts.append(_real_speech(real, verdict, n.get(Inference.AUGMENTATION, "none")))
    parts += [_confidence(n), examples]
    return " ".join(p for p in parts if p)
