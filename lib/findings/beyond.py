"""The openings of the chapters beyond the paper that judge and use the orderings: validation,
pruning, curricula; each from its record (:func:`lib.findings.opening`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lib import record, retraining, significance
from lib.difficulty import HardestShare
from lib.groundtruth import FLIPPED, MISLABELLED
from lib.record import Curricula, Data, Kinds, Pruning, Review, Validation
from lib.claims import (detected, DETECTED_WORDS, has_learned, hyphenated, interval_text,
                        is_effect, LEAD_SCORE, listed, named_dataset, separation, share_text)


@dataclass(frozen=True)
class Detection:
    """How the lead score (the paper's CumulativeAccuracy) finds one injected kind on one
    dataset, read once from the Validation record: the opening, the abstract and the
    Discussion only word it."""
    kind: str
    auroc: float
    interval: tuple[float, float]

    @property
    def verdict(self) -> int:
        """+1 found, -1 ranked easier (inverted), 0 not told apart (:func:`lib.claims.detected`)."""
        return detected(self.interval)

    @property
    def words(self) -> str:
        return DETECTED_WORDS[self.verdict]


def lead_detections(n: dict[str, Any]) -> dict[str, Detection]:
    """Per injected kind, the lead score's :class:`Detection` in one dataset's Validation
    record (empty without ground truth)."""
    return {kind: Detection(kind, scores[LEAD_SCORE][Validation.AUROC],
                            tuple(scores[LEAD_SCORE][Validation.AUROC_INTERVAL]))
            for kind, scores in n.get(Validation.DETECTION, {}).items()}


def _ensemble(profile: str, dataset: str) -> str:
    """What the Difficulty chapter's ordering of a dataset is built from: "the whole ensemble
    (3 Cnn10 and 1 Cnn14 runs)", so that a figure of it is never mistaken for another
    chapter's CumulativeAccuracy over fewer runs."""
    from lib.findings.paper import model_accuracies

    models = model_accuracies(profile).get(dataset, ({}, []))[1]
    runs = [f"{m.seeds} {m.model}" for m in models if m.seeds]
    return ("the whole ensemble (" + listed(runs) + " runs)") if runs else "the whole ensemble"


def validation(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Validation.CHAPTER).items():
        parts = []
        counts = described[dataset].get(Data.KINDS) or {
            FLIPPED: described[dataset].get(Data.FLIPPED)}
        train = described[dataset][Data.CLIPS_PER_SPLIT].get("train")
        for kind, found in lead_detections(n).items():
            low, high = found.interval
            parts.append(f"{hyphenated(kind)} clips are {found.words}: "
                         f"AUROC {found.auroc:.3f} (90 % interval {low:.3f}–{high:.3f}, "
                         f"{counts.get(kind)} of {train} clips)")
        if parts:
            parts[0] = f"ranked by CumulativeAccuracy over {_ensemble(profile, dataset)}, " + \
                parts[0]
            parts[-1] += "; chance is 0.5"
        wrong = sum(counts.get(kind) or 0 for kind in MISLABELLED)
        if Validation.CLEANLAB_FLAGGED in n and wrong:
            flagged = n[Validation.CLEANLAB_FLAGGED]
            parts.append(f"cleanlab on the network's out-of-fold predictions flags {flagged} "
                         f"of {train} clips ({share_text(flagged, train)}) as label issues where "
                         f"{wrong} carry a wrong label, so most of its flags are false alarms"
                         if flagged > 2 * wrong else
                         f"cleanlab on the network's out-of-fold predictions flags {flagged} "
                         f"of {train} clips as label issues where {wrong} carry a wrong label")
        if Validation.STABILITY in n:
            parts.append("orderings from two disjoint halves of the runs agree with Spearman "
                         f"{n[Validation.STABILITY][Validation.SPLIT_HALVES_SPEARMAN]:.2f} on "
                         "average")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


@dataclass(frozen=True)
class Retrained:
    """What retraining changed at each point of pruning or curricula, read once from the
    chapter's record: each point's change of test accuracy from its paired runs without the
    change (same seeds), its 90 % interval on the same test clips, and the change reseeding
    alone makes (the yardstick). A point moves only when both say so: beyond the yardstick and
    with a paired interval clear of zero. The chapter opening and the abstract only word it."""
    changes: dict[str, float]
    yardstick: float
    intervals: dict[str, tuple[float, float]]
    seeds: int

    def _moved(self, name: str) -> bool:
        """Beyond the yardstick, and (where recorded) with a paired interval clear of zero on
        the change's own side."""
        change = self.changes[name]
        beyond = round(abs(change), 3) > self.yardstick
        interval = self.intervals.get(name)
        return beyond and (interval is None
                           or separation(interval, (0.0, 0.0)) == (1 if change > 0 else -1))

    def _shown(self, name: str) -> str:
        interval = self.intervals.get(name)
        return (f"{name} ({self.changes[name]:+.3f}"
                + (f"; same clips {interval[0]:+.3f} to {interval[1]:+.3f}" if interval else "")
                + ")")

    @property
    def moved(self) -> list[str]:
        """The points that moved, as "name (+0.010; same clips +0.002 to +0.020)"."""
        return [self._shown(name) for name in self.changes if self._moved(name)]

    @property
    def unmoved(self) -> list[str]:
        """The points that did not (the nulls), worded as :attr:`moved`."""
        return [self._shown(name) for name in self.changes if not self._moved(name)]

    @property
    def seeds_text(self) -> str:
        return "one seed each" if self.seeds == 1 else f"mean over {self.seeds} seeds"


def _intervals(points: dict[str, dict[str, Any]], key: str) -> dict[str, tuple[float, float]]:
    return {name: tuple(point[key]) for name, point in points.items() if key in point}


def pruning_verdict(n: dict[str, Any], test_clips: int) -> Retrained:
    """The pruning points against reseeding, from one dataset's Pruning record."""
    points = n[Pruning.POINTS]
    return Retrained({name: point[Pruning.DIFFERENCE] for name, point in points.items()},
                     retraining.yardstick(n[Pruning.SEED_SPREAD], len(n[Pruning.SEEDS]),
                                          test_clips),
                     _intervals(points, Pruning.PAIRED_INTERVAL), len(n[Pruning.SEEDS]))


def shared_with_pruning(profile: str, dataset: str, n: dict[str, Any]) -> dict[str, str]:
    """The Curricula record's points that are the Pruning chapter's runs (training on one end
    of the ordering is removing the other end), as point -> pruning point: reported once, in
    Pruning."""
    try:
        pruned = record.load(profile, Pruning.CHAPTER).get(dataset, {}).get(Pruning.POINTS, {})
    except record.RecordMissing:
        pruned = {}
    return {name: point[Curricula.SAME_AS] for name, point in n[Curricula.POINTS].items()
            if point.get(Curricula.SAME_AS) in pruned}


def curricula_verdict(n: dict[str, Any], shared: dict[str, str] | None = None) -> Retrained:
    """The curriculum points against reseeding, from one dataset's Curricula record, without
    those ``shared`` with the Pruning chapter (:func:`shared_with_pruning`)."""
    points = {name: point for name, point in n[Curricula.POINTS].items()
              if name not in (shared or {})}
    return Retrained({name: point[Curricula.DIFFERENCE] for name, point in points.items()},
                     n[Curricula.YARDSTICK], _intervals(points, Curricula.PAIRED_INTERVAL),
                     len(n[Curricula.SEEDS]))


def retrained_claim(verdict: Retrained, what: str) -> str:
    """Which points change test accuracy beyond reseeding and on the same test clips, and
    which do not (the nulls), in words; ``what`` names a point's change ("removing")."""
    moved, unmoved = verdict.moved, verdict.unmoved
    if not moved and not unmoved:
        return "No point of its own"

    def each(points: list[str]) -> str:
        """"removing the A (…), the B (…) or the C (…)": any one of them, singular."""
        named = [f"the {point}" for point in points]
        return f"{what} " + (named[0] if len(named) == 1 else
                             ", ".join(named[:-1]) + f" or {named[-1]}")
    parts = []
    if moved:
        parts.append(f"{each(moved)} changes test accuracy beyond what reseeding a run does, "
                     "with a paired 90 % interval on the same test clips clear of zero")
    if unmoved and moved:
        parts.append(f"{each(unmoved)} does not")
    elif unmoved:
        parts.append(f"{each(unmoved)} changes test accuracy no more than reseeding a run does, "
                     "or not on the same test clips")
    text = "; ".join(parts) + f" ({verdict.seeds_text})"
    return text[0].upper() + text[1:]


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


def pruning_claim(verdict: Retrained) -> str:
    """Which pruning points change test accuracy, and which do not, in words."""
    return retrained_claim(verdict, "removing")


def _pruning_pattern(points: dict[str, dict[str, Any]], verdict: Retrained) -> str:
    """What the points say together: whether all moved the same way from their unpruned runs
    (random included: then retraining itself moves a run that much), and whether the hardest
    rule and the oracle are beyond reseeding of each other."""
    changes, yardstick = verdict.changes, verdict.yardstick
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
            sentences.append(f"{named_dataset(dataset)}: no pruning point could be trained "
                             f"({skipped}).")
            continue
        spread, runs = n[Pruning.SEED_SPREAD], len(n[Pruning.SEEDS])
        verdict = pruning_verdict(n, test_clips)
        yardstick = verdict.yardstick
        model, unpruned = n[Pruning.MODEL], n[Pruning.UNPRUNED]
        learned = has_learned(unpruned, chance)
        sentence = (f"{named_dataset(dataset)}: {pruning_claim(verdict)}. {model} retrained with "
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
        sentence += _pruning_pattern(n[Pruning.POINTS], verdict)
        if not learned:
            sentence += (" These models have **not** learned, so the points test the pipeline, "
                         "not what pruning does.")
        sentences.append(sentence)
    return " ".join(sentences)


def curricula_claim(verdict: Retrained) -> str:
    """Which curriculum points change test accuracy, and which do not, in words."""
    return retrained_claim(verdict, "training with")


def fusion_reading(fused: dict[str, Any]) -> str:
    """The late fusion of curriculum models beside as many runs without one (the Curricula
    record's fusion part, :func:`lib.curricula.fusion`), in a sentence."""
    if not fused:
        return "Fewer than two curriculum models: no fusion."
    seeds = fused[Curricula.FUSED_SEEDS]
    return (f"Late fusion of the {fused[Curricula.FUSED_MODELS]} curriculum models of "
            f"{fused[Curricula.FUSED_ORDERING]} and a seed reaches "
            f"{fused[Curricula.FUSED_ACCURACY]:.3f}"
            + (f" (mean over {seeds} seeds)" if seeds > 1 else "") + ", "
            f"{fused[Curricula.BASELINE_MODELS]} runs without a curriculum fused "
            f"{fused[Curricula.BASELINE_ACCURACY]:.3f}.")


def curricula(profile: str) -> str:
    described = record.load(profile, Data.CHAPTER)
    sentences = []
    for dataset, n in record.load(profile, Curricula.CHAPTER).items():
        chance = 1 / described[dataset][Data.CLASSES]
        points = n[Curricula.POINTS]
        if not points:
            sentences.append(f"{named_dataset(dataset)}: no curriculum point was trained.")
            continue
        shared = shared_with_pruning(profile, dataset, n)
        verdict = curricula_verdict(n, shared)
        yardstick, without = verdict.yardstick, n[Curricula.WITHOUT]
        runs, model = len(n[Curricula.SEEDS]), n[Curricula.MODEL]
        sentence = (f"{named_dataset(dataset)}: {curricula_claim(verdict)}. {model} with seed"
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
        if shared:
            said = listed([f"training on the {name} is the Pruning chapter's point without "
                           f"the {same}" for name, same in shared.items()])
            sentence += f" {said[0].upper()}{said[1:]}: the same runs, counted there."
        fused = n.get(Curricula.FUSION) or {}
        if fused:
            sentence += f" {fusion_reading(fused)}"
        entry = n.get(Curricula.ENTRY, {})
        paced = next((name for name, point in points.items()
                      if point[Curricula.SCHEDULE] == "curriculum"), None)
        if paced in entry and FLIPPED in entry[paced]:
            first = next(iter(entry))
            then, now = entry[first][FLIPPED], entry[paced][FLIPPED]
            def fitted(kind: dict[str, float]) -> str:
                epoch = kind[Curricula.FITTED]
                return (f"{kind[Curricula.FITTED_SHARE]:.0%} fitted by the last epoch"
                        + (f", first at epoch {epoch:.1f} on average" if epoch is not None
                           and epoch == epoch else ""))
            sentence += (f" Under the {paced} the flipped labels first enter training at epoch "
                         f"{now[Curricula.ENTERED]:.1f} on average (without one: "
                         f"{then[Curricula.ENTERED]:.1f}); {fitted(now)} (without: "
                         f"{fitted(then)}).")
        if not has_learned(without, chance):
            sentence += (" These models have **not** learned, so the points test the pipeline, "
                         "not what a curriculum does.")
        sentences.append(sentence)
    return " ".join(sentences)


def review(profile: str) -> str:
    """What the top of each list of clips to review holds, and where the whole list is."""
    sentences = []
    for dataset, n in record.load(profile, Review.CHAPTER).items():
        parts = [f"its {n[Review.CLIPS]} training clips are listed hardest first by "
                 f"{n[Review.ORDERED_BY]} ({n[Review.BECAUSE]})"]
        if n[Review.INJECTED_AT_THE_TOP] is not None:
            parts.append(f"the {n[Review.INJECTED]} hardest hold {n[Review.INJECTED_AT_THE_TOP]} "
                         f"of the {n[Review.INJECTED]} clips the build made hard")
        if n[Review.CLEANLAB_FLAGGED] is not None:
            parts.append(f"cleanlab flags {n[Review.CLEANLAB_FLAGGED]} as label issues")
        parts.append(f"the ensemble would give {n[Review.SUGGESTED_OTHER]} another label than "
                     "the one it trained with")
        sentences.append(f"**{dataset}**: " + "; ".join(parts) + f". The whole list is "
                         f"`results/{profile}/{n[Review.FILE]}`; the {n[Review.SHOWN]} "
                         "hardest play below.")
    return " ".join(sentences)


#: How a best score's AUROC interval reads against chance (:func:`lib.claims.detected`).
AGAINST_CHANCE = {1: "above chance", 0: "not told apart from chance",
                  -1: "below chance: ranked easier"}


def kinds(profile: str) -> str:
    """Which score to use for which kind of hard sample, beside H-CAT's pattern; what the
    near-duplicate checks found."""
    sentences = []
    for dataset, n in record.load(profile, Kinds.CHAPTER).items():
        best = n.get(Kinds.BEST) or {}
        parts = []
        for kind, found in best.items():
            low, high = found[Kinds.AUROC_INTERVAL]
            reading = f"AUROC {found[Kinds.AUROC]:.2f}, 90 % interval {interval_text(low, high)}"
            if detected((low, high)) != 1:
                parts.append(f"{hyphenated(kind)} clips ({n[Kinds.COUNTS][kind]}): no score "
                             f"finds them (the highest, {found[Kinds.SCORE]}: {reading}, "
                             f"{AGAINST_CHANCE[detected((low, high))]})")
                continue
            part = (f"{hyphenated(kind)} clips ({n[Kinds.COUNTS][kind]}): "
                    f"{found[Kinds.SCORE]} ({reading}), precision "
                    f"{found[Kinds.PRECISION_AT_COUNT]:.2f} at the kind's count")
            if found[Kinds.RUNNER_UP]:
                part += (", ahead of " if found[Kinds.BEYOND_INTERVALS]
                         else ", not told apart from ") + \
                    f"{found[Kinds.RUNNER_UP]} ({found[Kinds.RUNNER_UP_AUROC]:.2f})"
            parts.append(part)
        if parts:
            winners = {found[Kinds.SCORE] for found in best.values()
                       if detected(tuple(found[Kinds.AUROC_INTERVAL])) == 1}
            sentences.append(f"**{dataset}**, the score to use per kind: " + "; ".join(parts)
                             + ".")
            found_kinds = sum(detected(tuple(f[Kinds.AUROC_INTERVAL])) == 1
                              for f in best.values())
            clear = sum(f[Kinds.BEYOND_INTERVALS] for f in best.values()
                        if detected(tuple(f[Kinds.AUROC_INTERVAL])) == 1)
            if winners:
                sentences.append(
                    (f"One score, {next(iter(winners))}, leads on every kind found here"
                     if len(winners) == 1 else f"{len(winners)} different scores lead on the "
                     f"{found_kinds} kinds found")
                    + f", {clear} of the {found_kinds} leads beyond the runner-up's interval"
                    + " (H-CAT, on images and tables, found no score best across kinds).")
            families = n[Kinds.FAMILIES]
            dynamics, early = families[Kinds.DYNAMICS], families[Kinds.EARLY]
            if dynamics is not None and early is not None:
                sentences.append(
                    f"Over the mislabelled kinds the scores of the output's confidence over "
                    f"training average AUROC {dynamics:.2f}, EL2N and GraNd (read at epoch "
                    f"{n[Kinds.EARLY_EPOCH]}) {early:.2f}; H-CAT found such learning-dynamics "
                    "scores the more effective.")
        checked = n.get(Kinds.DUPLICATES)
        if checked:
            sentences.append(_duplicates_sentence(dataset, checked))
    return " ".join(sentences)


def _duplicates_sentence(dataset: str, checked: dict[str, Any]) -> str:
    from lib.duplicates import CHECKS, CLOSEST_PAIRS

    planted = checked.get(Kinds.PLANTED_PAIRS)
    thresholded = [check for check in CHECKS if check != CLOSEST_PAIRS]
    if planted:
        found = "; ".join(f"{check} {checked[check][Kinds.PLANTED_FOUND]}" for check in CHECKS)
        text = (f"Of **{dataset}**'s {planted} planted near-duplicate pair"
                f"{'s' if planted != 1 else ''} the checks find: {found}")
    else:
        found = "; ".join(f"{check} {checked[check][Kinds.PAIRS]} "
                          f"({checked[check][Kinds.ACROSS_SPLITS]} across splits)"
                          for check in thresholded)
        closest = checked[CLOSEST_PAIRS]
        text = (f"Near-duplicate pairs in **{dataset}**: {found}; the {closest[Kinds.PAIRS]} "
                f"closest pairs in the embedding, candidates to listen to, include "
                f"{closest[Kinds.ACROSS_SPLITS]} across splits")
    shared = checked[Kinds.SHARED_SPEAKERS]
    if shared:
        text += "; speakers shared by two splits: " + ", ".join(
            f"{pair} {count}" for pair, count in shared.items())
    return text + "."
