"""Each chapter's finding in a sentence or two, written from its ``summary.json``.

The book opens every chapter with :func:`opening` (inserted by :mod:`lib.book` above the
figures) and the introduction and results pages with :func:`read_first`; each number comes
with what it takes to judge it (a chance level, an interval, n or p). Nothing here computes a
result: the text is only as true as the records, and cannot drift from the figures drawn
from the same records.
"""
from __future__ import annotations

from typing import Any, Callable

from lib import record, significance
from lib.datasets import LAYOUTS
from lib.validation import CUMULATIVE_ACCURACY

#: The chapter whose record each notebook writes.
CHAPTER_OF = {"00_data": "data", "01_training": "training", "02_difficulty": "difficulty",
              "03_selection": "selection", "04_explanations": "explanations",
              "05_classes": "classes", "06_inference": "inference",
              "07_validation": "validation", "08_pruning": "pruning",
              "90_results": "results"}
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


def _named(dataset: str) -> str:
    paper = LAYOUTS[dataset].paper_dataset if dataset in LAYOUTS else dataset
    return f"**{dataset}**" + ("" if paper == dataset else f" (stand-in for {paper})")


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def _interval(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


def data(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, "data").items():
        splits = n["clips_per_split"]
        counts = ", ".join(f"{splits[s]} {s}" for s in ("train", "dev", "test") if s in splits)
        sentence = f"{_named(dataset)}: {counts} clips of {n['classes']} classes"
        if "flipped" in n:
            train = splits.get("train", 0)
            sentence += (f", spoken by {n['voices']} synthetic voices; {n['flipped']} training "
                         f"clips ({_share(n['flipped'], train)}) carry a flipped label and "
                         f"{n['nonspeech']} ({_share(n['nonspeech'], train)}) hold no speech, "
                         "the ground truth later chapters check the difficulty scores against")
        elif LAYOUTS[dataset].generated:
            sentence += (", generated to exercise the scene code path (no ground truth of "
                         "difficulty, so the book draws no conclusion from it)")
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _accuracies(profile: str) -> tuple[list[str], bool]:
    """One sentence per dataset on test accuracy against chance, and whether all learned."""
    trained, described = record.load(profile, "training"), record.load(profile, "data")
    sentences, learned = [], True
    for dataset, n in described.items():
        classes, test_clips = n["classes"], n["clips_per_split"].get("test", 0)
        chance = 1 / classes
        parts = []
        for key, accuracy in trained["test_accuracy"].items():
            if not key.startswith(f"{dataset} "):
                continue
            model = key.split(" ", 1)[1]
            low, high = significance.share_interval(accuracy * test_clips, test_clips)
            seeds = trained.get("seeds", {}).get(key)
            train = trained["train_accuracy"][key]
            which = "genuine training clips" if "genuine" in train else "training clips"
            parts.append(f"{model} {accuracy:.3f} (95 % interval {_interval(low, high)}"
                         f"{f', {seeds} seeds' if seeds else ''}; "
                         f"{which} {train.get('genuine', train['all']):.3f})")
            learned &= has_learned(accuracy, chance)
        if parts:
            sentences.append(f"{_named(dataset)}: test accuracy {', '.join(parts)}, mean over "
                             f"seeds, on {test_clips} test clips of {classes} classes, where "
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
    for dataset, n in record.load(profile, "difficulty").items():
        parts, found = [], []
        for kind in ("flipped label", "non-speech"):
            share = n.get(f"{kind} in hardest 10%")
            if share and share["flagged"]:
                count = ("all" if share["in_hardest"] == share["flagged"]
                         else f"{share['in_hardest']} of the")
                found.append(f"{count} {share['flagged']} {_hyphenated(kind)} clips")
                hardest, chance = share["hardest_size"], share["expected_by_chance"]
        if found:
            parts.append(f"{' and '.join(found)} rank among the hardest 10 % ({hardest} of "
                         f"{n['samples']} samples), where chance would put {chance:.1f} of each")
        if "model_agreement" in n:
            parts.append("Cnn10's and Cnn14's orderings agree with "
                         f"{significance.Correlation(**n['model_agreement'])}")
        if "rank_vs_snr" in n:
            parts.append("among genuine clips, rank against SNR gives "
                         f"{significance.Correlation(**n['rank_vs_snr'])}")
        if not parts and "convergence" in n:
            parts.append(f"one run's ordering agrees with the ensemble's with Spearman "
                         f"{n['convergence']['1']:.2f} on average ({n['samples']} samples)")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def _hyphenated(kind: str) -> str:
    return kind.replace("flipped label", "flipped-label")


def selection(profile: str) -> str:
    described = record.load(profile, "data")
    sentences = []
    for dataset, n in record.load(profile, "selection").items():
        bands = n["correct_share_by_band"]
        per_band = n["selected"] // 3
        sentence = (f"**{dataset}**: {n['selected']} training clips selected, "
                    f"{per_band // described[dataset]['classes']} per band for each of "
                    f"{described[dataset]['classes']} classes; the explained runs predict "
                    + ", ".join(f"{share:.0%} of the {band} band" for band, share in bands.items())
                    + " right")
        if "injected_in_hard_band" in n:
            sentence += (f", and {n['injected_in_hard_band']} of the hard band's {per_band} "
                         "clips are injected ones (flipped label or non-speech)")
        sentences.append(sentence + ".")
    sentences.append("Bands are relative within each class: one class's hard band can be "
                     "easier than another class's easy band.")
    return " ".join(sentences)


def explanations(profile: str) -> str:
    sentences = []
    for dataset, n in record.load(profile, "explanations").items():
        faithful = n.get("faithfulness", {})
        if not faithful:
            continue
        share = min(faithful, key=lambda f: abs(float(f) - 0.1))
        drops = faithful[share]
        difference = drops["drop_gradcam"] - drops["drop_random"]
        verb = "lowers" if drops["drop_gradcam"] >= 0 else "changes"
        sentence = (f"**{dataset}**: masking the {float(share):.0%} of spectrogram cells "
                    f"Grad-CAM ranks highest {verb} the explained class's probability by "
                    f"{drops['drop_gradcam']:.2f} on average, against {drops['drop_random']:.2f} "
                    f"for as many random cells (difference {difference:+.2f}")
        if "difference_interval" in drops:
            sentence += (f", 90 % bootstrap interval "
                         f"{_interval(*drops['difference_interval'])}, n = {drops['maps']} maps")
        sentence += ")"
        edges = n.get("edge_share", {})
        if edges and "edge_share_uniform" in n:
            sentence += ("; the share of importance at the clip's edges is "
                         + ", ".join(f"{edges[b]:.2f} ({b})" for b in ("easy", "medium", "hard")
                                     if b in edges)
                         + f", against {n['edge_share_uniform']:.2f} for a map blind to time")
        sentences.append(sentence + ".")
    return " ".join(sentences)


def class_correlation(dataset: str, n: dict[str, Any]) -> str:
    """The paper's class-level result for one dataset, ours beside the paper's."""
    rho = n["correlations"]["Difficulty Test"]
    p = n.get("p", {}).get("Difficulty Test")
    paper = LAYOUTS[dataset].paper_dataset if dataset in LAYOUTS else dataset
    reading = ("harder classes are recognised worse at test" if rho < 0 else
               "harder classes are **not** recognised worse at test, unlike in the paper")
    uncertainty = (f", {'exact ' if n['classes'] <= significance.EXACT_UP_TO else ''}"
                   f"{significance.p_text(p)}" if p is not None else "")
    return (f"**{dataset}**: {reading}: Spearman {rho:.2f} between a class's mean "
            f"difficulty and its test recall over {n['classes']} classes{uncertainty}; the "
            f"paper found {n['difficulty_test_paper']:.2f} over "
            f"{n.get('paper_classes', 'its')} {paper} classes. The sign is comparable; the size "
            "is not, over so few classes and other data.")


def classes(profile: str) -> str:
    return " ".join(class_correlation(dataset, n)
                    for dataset, n in record.load(profile, "classes").items())


def inference(profile: str) -> str:
    n = record.load(profile, "inference")
    sentence = (f"Run {n['run']} ({n.get('run_chosen_by', 'chosen by the profile')}) classified "
                f"{n['classified']} of {n['files']} example files and rejected "
                f"{len(n['errors'])} with a one-line error naming the file")
    if n.get("accuracy") is not None and n.get("labelled"):
        right = round(n["accuracy"] * n["labelled"])
        sentence += f"; it got {right} of the {n['labelled']} with a known class right"
    sentence += "."
    real = n.get("real_speech") or {}
    if real.get("words"):
        right = round(real["accuracy"] * real["words"])
        synthetic = real["synthetic_test_accuracy"]
        reading = ("what the models learned from synthetic voices carries over to a human voice "
                   "only in part" if real["accuracy"] < synthetic - 0.1 else
                   "as good as on synthetic clips")
        sentence += (f" On {real['words']} real human recordings (one per word, out of domain) "
                     f"the ensemble got {right} right ({real['accuracy']:.0%}) against a test "
                     f"accuracy of {synthetic:.2f} on synthetic clips: {reading} (one recording "
                     "per word is a handful of yes/no answers, not an accuracy estimate).")
    return sentence


def validation(profile: str) -> str:
    described = record.load(profile, "data")
    sentences = []
    for dataset, n in record.load(profile, "validation").items():
        parts = []
        counts = {"flipped label": described[dataset].get("flipped"),
                  "non-speech": described[dataset].get("nonspeech")}
        for kind, found in n.get("detection", {}).items():
            lead = found[LEAD_SCORE]
            low, high = lead["auroc_interval"]
            parts.append(f"{_hyphenated(kind)} clips are found with AUROC {lead['auroc']:.3f} "
                         f"(90 % interval {low:.3f}–{high:.3f}, {counts.get(kind)} of "
                         f"{described[dataset]['clips_per_split'].get('train')} clips)")
        if parts:
            parts[0] = "ranked by CumulativeAccuracy, " + parts[0]
            parts[-1] += "; chance is 0.5"
        if "cleanlab_flagged" in n and counts.get("flipped label"):
            train = described[dataset]["clips_per_split"].get("train")
            parts.append(f"cleanlab, which never sees the CNNs, flags {n['cleanlab_flagged']} of "
                         f"{train} clips ({_share(n['cleanlab_flagged'], train)}) as label "
                         f"issues where {counts['flipped label']} labels were flipped, so most "
                         "of its flags are false alarms on these features"
                         if n["cleanlab_flagged"] > 2 * counts["flipped label"] else
                         f"cleanlab flags {n['cleanlab_flagged']} of {train} clips as label "
                         f"issues where {counts['flipped label']} labels were flipped")
        if "stability" in n:
            parts.append("orderings from two disjoint halves of the runs agree with Spearman "
                         f"{n['stability']['split_halves_spearman']:.2f} on average")
        if parts:
            sentences.append(f"**{dataset}**: " + "; ".join(parts) + ".")
    return " ".join(sentences)


def pruning(profile: str) -> str:
    described = record.load(profile, "data")
    sentences = []
    for dataset, n in record.load(profile, "pruning").items():
        test_clips = max(described[dataset]["clips_per_split"].get("test", 0), 1)
        chance = 1 / described[dataset]["classes"]
        seeds = ", ".join(map(str, n["seeds"]))
        parts = []
        for name, point in n["points"].items():
            kinds = n.get("composition", {}).get(name, {})
            what = ", ".join(f"{count} {kind}" for kind, count in kinds.items() if count)
            parts.append(f"without the {name} ({point['removed']} clips{': ' + what if what else ''}) "
                         f"{point['test_accuracy']:.3f} ({point['difference']:+.3f})")
        if not parts:
            sentences.append(f"{_named(dataset)}: no pruning point could be trained "
                             f"({'; '.join(n.get('skipped', [])) or 'none asked for'}).")
            continue
        spread, runs = n["seed_spread"], len(n["seeds"])
        # A point's mean over k seeds minus the unpruned mean over the same k: its standard
        # deviation is sqrt(2 / k) times a single run's when runs differ by seed alone.
        noise = spread * (2 / runs) ** 0.5 if spread == spread else 0.0
        yardstick = round(max(2 * noise, 2 / test_clips), 3)
        changes = {name: point["difference"] for name, point in n["points"].items()}
        moved = [f"{name} ({change:+.3f})" for name, change in changes.items()
                 if round(abs(change), 3) > yardstick]
        largest = max(changes, key=lambda name: abs(changes[name]))
        learned = has_learned(n["unpruned"], chance)
        verdict = (f"removing {' and '.join(moved)} changes test accuracy beyond what reseeding "
                   "a run does" if moved else
                   "no rule changes test accuracy beyond what reseeding a run does at this size "
                   f"(the largest change: {largest}, {changes[largest]:+.3f})")
        sentence = (f"{_named(dataset)}: {verdict}. {n['model']} retrained with "
                    f"seed{'s' if runs > 1 else ''} {seeds} reaches test accuracy "
                    f"{n['unpruned']:.3f} on the whole training split and " + "; ".join(parts)
                    + f" (chance {chance:.2f}; one of the {test_clips} test clips is "
                    f"{1 / test_clips:.3f}). ")
        if spread == spread:
            sentence += (f"Runs that differ only by seed differ by {spread:.3f} (standard "
                         f"deviation of the unpruned {n['model']} runs over {n['spread_runs']} "
                         "seeds), so a point's difference from its unpruned "
                         + ("run" if runs == 1 else f"runs (mean over {runs} seeds)")
                         + f" counts beyond {yardstick:.3f}: twice its expected spread, or two "
                         "test clips if larger.")
        else:
            sentence += (f"One unpruned run gives no seed-to-seed spread, so a change counts "
                         f"beyond {yardstick:.3f} (two test clips).")
        if not learned:
            sentence += (" These models have **not** learned, so the points test the pipeline, "
                         "not what pruning does.")
        sentences.append(sentence)
    return " ".join(sentences)


def results(profile: str) -> str:
    n = record.load(profile, "results")
    same = [d for d, agrees in n.get("difficulty_test_same_sign", {}).items() if agrees]
    return (f"{n['compared_with_paper']} of this build's numbers sit beside the paper's and "
            f"{n['beyond_paper']} go beyond it; the class-level correlation of difficulty and "
            f"test recall has the paper's sign on {len(same)} of "
            f"{len(n.get('difficulty_test_same_sign', {}))} datasets.")


OPENINGS: dict[str, Callable[[str], str]] = {
    "data": data, "training": training, "difficulty": difficulty, "selection": selection,
    "explanations": explanations, "classes": classes, "inference": inference,
    "validation": validation, "pruning": pruning, "results": results}


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
        described = record.load(profile, "data")
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
