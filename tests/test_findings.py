"""Chapter openings and the "Read this first" box: every number they state is one of the
chapter's recorded numbers, with its uncertainty, and the statistics behind them are right."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import claims, classes, findings, paths, record, significance
from lib.findings import beyond, paper
from lib.record import DIFFICULTY_TEST
from lib.difficulty import HardestShare
from lib.groundtruth import FLIPPED, NONSPEECH
from lib.pruning import CLEAN, LOW_SNR

D, T, Df, C, E, P = (record.Data, record.Training, record.Difficulty, record.Classes,
                     record.Explanations, record.Pruning)
#: A hand-made record of a demo-like build, written with the keys the chapters write.
DEMO_LIKE = {
    D.CHAPTER: {"OfflineKeywords": {D.CLIPS_PER_SPLIT: {"train": 600, "dev": 60, "test": 120},
                                    D.CLASSES: 6, D.FLIPPED: 24, D.NONSPEECH: 24, D.VOICES: 130}},
    T.CHAPTER: {T.RUNS: 5, T.TRAIN_SECONDS: 700.0,
                T.SEEDS: {"OfflineKeywords Cnn10": 3, "OfflineKeywords Cnn14": 2},
                T.TEST_ACCURACY: {"OfflineKeywords Cnn10": 0.9583, "OfflineKeywords Cnn14": 0.875},
                T.TRAIN_ACCURACY: {"OfflineKeywords Cnn10": {T.ALL: 0.91, T.GENUINE: 0.965},
                                   "OfflineKeywords Cnn14": {T.ALL: 0.87, T.GENUINE: 0.919}}},
    Df.CHAPTER: {"OfflineKeywords": {
        Df.SAMPLES: 600, Df.MODEL_AGREEMENT: {"rho": 0.7412, "n": 600, "p": 0.0},
        Df.RANK_VS_SNR: {"rho": -0.0992, "n": 552, "p": 0.0197},
        Df.HARDEST_FRACTION: 0.1,
        Df.HARDEST: {FLIPPED: HardestShare(24, 24, 62, 600).as_record(),
                     NONSPEECH: HardestShare(24, 10, 62, 600).as_record()}}},
    C.CHAPTER: {"OfflineKeywords": {C.CLASSES: 6, C.CORRELATIONS: {DIFFICULTY_TEST: -0.7143},
                                    C.P: {DIFFICULTY_TEST: 0.1361},
                                    C.DIFFICULTY_TEST_PAPER: -0.5936, C.PAPER_CLASSES: 35}},
    E.CHAPTER: {"OfflineKeywords": {
        E.EDGE_SHARE: {"easy": 0.0966, "medium": 0.0711, "hard": 0.1122},
        E.EDGE_SHARE_UNIFORM: 0.2,
        E.FAITHFULNESS: {"0.1": {E.DROP_GRADCAM: 0.4932, E.DROP_RANDOM: 0.4426, E.MAPS: 540,
                                 E.DIFFERENCE_INTERVAL: [0.031, 0.07]}}}},
}


@pytest.fixture
def demo_like(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    for chapter, numbers in DEMO_LIKE.items():
        record.save("demo-like", chapter, numbers)
    return "demo-like"


def test_training_opening_states_accuracy_interval_and_chance(demo_like):
    text = findings.opening(demo_like, T.CHAPTER)
    low, high = significance.share_interval(0.9583 * 120, 120)
    assert "Cnn10 0.958" in text and f"{low:.2f}–{high:.2f}" in text
    assert "120 test clips of 6 classes" in text and "chance is 0.17" in text
    assert "3 seeds" in text and "have learned" in text


def test_an_opening_follows_its_record(demo_like):
    """The same sentence from other numbers: nothing in it is fixed text."""
    numbers = {**DEMO_LIKE[T.CHAPTER], T.TEST_ACCURACY: {"OfflineKeywords Cnn10": 0.2,
                                                          "OfflineKeywords Cnn14": 0.18}}
    record.save(demo_like, T.CHAPTER, numbers)
    text = findings.opening(demo_like, T.CHAPTER)
    assert "Cnn10 0.200" in text and "**not** learned" in text
    assert "**not** learned" in findings.read_first(demo_like)


def test_difficulty_opening_carries_counts_n_and_p(demo_like):
    text = findings.opening(demo_like, Df.CHAPTER)
    assert "all 24 flipped-label clips and 10 of the 24 non-speech clips" in text
    assert "chance would put 2.5 of each" in text
    assert "Spearman 0.74 (n = 600, p < 0.001)" in text
    assert "Spearman -0.10 (n = 552, p = 0.02)" in text


def test_class_opening_gives_exact_p_and_the_paper(demo_like):
    text = findings.opening(demo_like, C.CHAPTER)
    assert "Spearman -0.71" in text and "over 6 classes, exact p = 0.14" in text
    assert "-0.59 over 35 SpeechCommands classes" in text


def test_explanation_opening_states_the_faithfulness_difference(demo_like):
    text = findings.opening(demo_like, E.CHAPTER)
    assert "by 0.49 on average, against 0.44" in text and "+0.05" in text
    assert "0.03–0.07, n = 540 maps" in text and "0.11 (hard)" in text and "0.20" in text


def test_read_first_names_the_stand_in_and_the_missing_scene_side(demo_like):
    box = findings.read_first(demo_like)
    assert box.startswith(":::{admonition} Read this first\n:class: important")
    assert box.endswith(":::")
    assert "stand-in for SpeechCommands" in box and "SyntheticScenes" in box
    assert "chance is 0.17" in box


def test_a_missing_record_is_one_line(demo_like):
    text = findings.opening(demo_like, record.Validation.CHAPTER)
    assert text.startswith("*No finding yet:*") and "validation/summary.json" in text
    assert "\n" not in text


def test_every_notebook_has_a_chapter_and_a_finding_cell():
    import json
    for notebook in paths.chapter_notebooks():
        cells = json.loads(notebook.read_text())["cells"]
        tagged = [c for c in cells if "finding" in c["metadata"].get("tags", [])]
        assert notebook.stem in record.CHAPTER_OF, notebook.name
        assert len(tagged) == 1, notebook.name
        assert f'"{record.CHAPTER_OF[notebook.stem]}"' in "".join(tagged[0]["source"])


def test_spearman_p_is_exact_for_few_points_and_t_for_many():
    a = pd.Series([1, 2, 3, 4, 5, 6], index=list("abcdef"))
    b = pd.Series([2, 1, 4, 3, 6, 5], index=list("abcdef"))
    exact = significance.spearman(a, b)
    assert exact.n == 6 and math.isclose(exact.rho, stats.spearmanr(a, b).statistic)
    assert math.isclose(exact.p, stats.permutation_test(
        (a.to_numpy(),), lambda x: stats.spearmanr(x, b.to_numpy()).statistic,
        permutation_type="pairings", n_resamples=np.inf).pvalue, abs_tol=1e-9)
    rng = np.random.default_rng(0)
    x = pd.Series(rng.normal(size=200))
    y = x + pd.Series(rng.normal(size=200))
    many = significance.spearman(x, y)
    assert math.isclose(many.p, stats.spearmanr(x, y).pvalue, rel_tol=1e-6)


def test_spearman_joins_on_the_index_not_row_order():
    a = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=list("abcde"))
    assert significance.spearman(a, a.iloc[::-1]).rho == pytest.approx(1.0)


def test_share_interval_is_wilson():
    low, high = significance.share_interval(115, 120)
    assert 0.90 < low < 0.958 < high < 0.99
    assert significance.share_interval(0, 10)[0] == 0.0


def test_class_correlations_carry_n_and_p():
    overview = pd.DataFrame({"train_recall": [1, 0.9, 0.8, 0.7, 0.95, 0.6],
                             "test_recall": [0.9, 0.85, 0.7, 0.6, 0.8, 0.5],
                             "mean_difficulty": [0.2, 0.3, 0.6, 0.7, 0.4, 0.8]},
                            index=pd.Index(list("abcdef"), name="labels"))
    recalls = pd.DataFrame([{"run": "r", "label": label, "subset": subset, "recall": value}
                            for label, row in overview.iterrows()
                            for subset, value in (("train", row.train_recall),
                                                  ("test", row.test_recall))])
    table = classes.correlations(overview, recalls).set_index("Base")
    assert (table["n"] == 6).all()
    assert table.loc["Difficulty Test", "Spearmanr"] == pytest.approx(-1.0)
    assert table.loc["Difficulty Test", "p"] == pytest.approx(2 / 720)


def test_pruning_opening_reads_each_point_against_the_seed_spread(demo_like):
    def point(rule: str, test_accuracy: float, difference: float) -> dict:
        return {P.RULE: rule, P.FRACTION: 0.1, P.REMOVED: 60, P.TEST_ACCURACY: test_accuracy,
                P.DIFFERENCE: difference, P.MINUTES_PER_RUN: 1.4}
    record.save(demo_like, P.CHAPTER, {"OfflineKeywords": {
        P.MODEL: "Cnn10", P.SEEDS: [1], P.SKIPPED: [], P.UNPRUNED: 0.9583, P.SEED_SPREAD: 0.01,
        P.SPREAD_RUNS: 3,
        P.POINTS: {"hardest 10%": point("hardest", 0.975, 0.0167),
                   "easiest 10%": point("easiest", 0.9, -0.0583)},
        P.COMPOSITION: {"hardest 10%": {FLIPPED: 24, NONSPEECH: 10, LOW_SNR: 20, CLEAN: 6},
                        "easiest 10%": {FLIPPED: 0, NONSPEECH: 0, LOW_SNR: 20, CLEAN: 40}}}})
    text = findings.opening(demo_like, P.CHAPTER)
    assert "0.958 on the whole training split" in text
    assert "hardest 10% (60 clips: 24 flipped label, 10 non-speech" in text
    assert "0.975 (+0.017)" in text and "chance 0.17" in text and "120 test clips" in text
    # one seed: a difference of two runs has spread sqrt(2) x 0.01; twice that (0.028) is
    # larger than two test clips (0.017)
    assert text.startswith("**OfflineKeywords** (stand-in for SpeechCommands): Removing the "
                           "easiest 10% (-0.058) changes test accuracy beyond what reseeding a "
                           "run does, with a paired 90 % interval on the same test clips clear "
                           "of zero; removing the hardest 10% (+0.017) does not (one seed each).")
    assert "beyond 0.028" in text
    assert "not** learned" not in text
    numbers = record.load(demo_like, P.CHAPTER)
    numbers["OfflineKeywords"][P.SEED_SPREAD] = 0.03
    record.save(demo_like, P.CHAPTER, numbers)
    text = findings.opening(demo_like, P.CHAPTER)
    assert "beyond 0.085" in text and "changes test accuracy no more than reseeding" in text


def test_inference_opening_leads_with_real_speech_calibration_and_unknown_words(tmp_path,
                                                                                monkeypatch):
    from lib import inference

    I = record.Inference
    real = pd.DataFrame({"label": ["zero", "no", "tree"], "prediction": ["no", "no", "tree"],
                         "speaker": ["festival-prompts"] * 2 + ["ktuberling-data"],
                         "word_probability": [0.2, 0.9, 0.7], "confidence": [0.7, 0.9, 0.7],
                         "runs_correct": [0, 5, 4], "correct": [False, True, True]})
    test = pd.DataFrame({"confidence": [0.9] * 10, "correct": [True] * 9 + [False]})
    letters = pd.DataFrame({"confidence": [0.3, 0.5, 0.95, 0.2]})
    confidence = inference.confidence_numbers(test, real, letters, threshold=0.4)
    examples = pd.DataFrame({"filename": ["a.wav"], "error": [""], "warning": [""]})
    numbers = inference.key_numbers(examples, "Cnn10_s1", "best dev accuracy", real, [], 0.95,
                                    "telephone", confidence)
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    record.save("p", I.CHAPTER, numbers)
    text = findings.opening("p", I.CHAPTER)
    assert text.startswith("**On real human speech, out of domain, the ensemble names 2 of 3")
    assert "*zero* as no (0 runs right)" in text and "*tree* right (4 runs right)" in text
    # against the ensemble's own accuracy on its 10 synthetic test clips, with intervals
    assert "2 of 3 words right (90 % interval" in text and "with the telephone augmentation" in text
    assert "its own accuracy of 0.90 on its 10 synthetic test clips" in text
    assert "the intervals overlap, so 3 recordings of 2 speakers cannot show a gap" in text
    assert "One class takes 67% of the answers, more than half" in text
    assert "ECE 0.000, mean top probability 0.90 against accuracy 0.90" in text
    assert "the ensemble is calibrated: ECE" in text
    assert "4 words it never learned" in text and "0.49 against 0.77" in text
    assert "below 0.40" in text and "flags 50% of the letters and 0% of the real words" in text
    assert numbers[I.REAL_SPEECH][I.MOST_PREDICTED_SHARE] == pytest.approx(2 / 3)
    assert "does not tell a word they never learned" not in text  # 50 % flagged against 0 %
    unknown_as_sure = inference.confidence_numbers(test, real, letters.assign(confidence=0.9),
                                                   threshold=0.4)
    record.save("p", I.CHAPTER, {**numbers, **unknown_as_sure})
    assert "does not tell a word they never learned" in findings.opening("p", I.CHAPTER)


# --- Claims sized to their evidence: each rule on both sides of its line ----------------------

def test_an_effect_needs_its_p_or_its_interval():
    assert claims.is_effect(p=0.049) and not claims.is_effect(p=0.05)
    assert not claims.is_effect(p=float("nan")) and not claims.is_effect()
    assert claims.is_effect(interval=(0.01, 0.2)) and claims.is_effect(interval=(-0.3, -0.1))
    assert not claims.is_effect(interval=(-0.01, 0.2))
    assert claims.is_effect(interval=(0.55, 0.9), null=0.5)
    assert not claims.is_effect(interval=(0.45, 0.9), null=0.5)


def test_a_correlation_is_called_the_papers_effect_only_when_significant():
    words = ("harder classes are recognised worse", "harder classes are recognised better")
    assert claims.correlation_claim(-0.94, 6, 0.017, -0.59, *words) == words[0]
    assert claims.correlation_claim(0.94, 6, 0.017, -0.59, *words) == words[1]
    assert (claims.correlation_claim(-0.75, 6, 0.11, -0.59, *words)
            == "the same sign as the paper's, not significant at n = 6")
    assert (claims.correlation_claim(0.3, 6, 0.6, -0.59, *words)
            == "the opposite sign to the paper's, not significant at n = 6")
    assert claims.correlation_claim(-0.2, 600, 0.3, None, *words) == (
        "not significant at n = 600")


def test_the_class_opening_follows_the_rule(demo_like):
    numbers = {C.CORRELATIONS: {DIFFICULTY_TEST: -0.7537}, C.P: {DIFFICULTY_TEST: 0.1083},
               C.CLASSES: 6, C.DIFFICULTY_TEST_PAPER: -0.594, C.PAPER_CLASSES: 35}
    text = findings.class_correlation("OfflineKeywords", numbers)
    assert "the same sign as the paper's, not significant at n = 6" in text
    assert "recognised worse" not in text and "exact p = 0.11" in text
    significant = {**numbers, C.P: {DIFFICULTY_TEST: 0.0167}}
    assert "test recall: harder classes are recognised worse at test, as in the paper (" in (
        findings.class_correlation("OfflineKeywords", significant))


def test_comparisons_count_only_where_the_intervals_separate():
    above, below, overlapping = ((0.8, 0.9), (0.6, 0.7)), ((0.5, 0.6), (0.7, 0.8)), \
        ((0.6, 0.8), (0.7, 0.9))
    assert [claims.separation(*pair) for pair in (above, below, overlapping)] == [1, -1, 0]
    assert claims.separation((float("nan"),) * 2, (0.1, 0.2)) == 0
    text = claims.count_claim([above, above, below, overlapping], "eval mode", "train mode",
                                "finds the injected samples")
    assert text == ("Eval mode finds the injected samples better in 2 of 4 comparisons and "
                    "worse in 1; in the other 1 the intervals overlap.")
    assert claims.count_claim([overlapping] * 8, "eval mode", "train mode",
                                "finds the injected samples") == (
        "In none of the 8 comparisons do the intervals of eval mode and train mode separate: "
        "at this size neither finds the injected samples better.")


def test_the_abstract_answers_from_the_records_and_links_each_chapter(demo_like):
    text = findings.abstract(demo_like)
    assert text.startswith("**Abstract.** On OfflineKeywords (chance 0.17) the models reach "
                           "test accuracy 0.96 for Cnn10 (3 seeds) and 0.88 for Cnn14 (2 seeds)")
    assert "[Training](executed/01_training.ipynb)" in text
    assert "[Classes](executed/05_classes.ipynb)" in text or C.CHAPTER not in DEMO_LIKE
    assert "not learned" not in text


@pytest.mark.parametrize("interval, words", [((0.91, 0.99), "are found: AUROC 0.95"),
                                             ((0.45, 0.99), "are not told apart from the others"),
                                             ((0.01, 0.2), "are ranked easier than the others")])
def test_the_abstract_calls_a_kind_found_only_where_its_interval_clears_chance(
        demo_like, interval, words):
    lead = {record.Validation.AUROC: 0.95 if interval[0] > 0.5 else 0.5,
            record.Validation.AUROC_INTERVAL: list(interval)}
    record.save(demo_like, record.Validation.CHAPTER, {"OfflineKeywords": {
        record.Validation.DETECTION: {FLIPPED: {claims.LEAD_SCORE: lead}}}})
    assert f"the flipped-label clips {words}" in findings.abstract(demo_like)


@pytest.mark.parametrize("nonspeech, words", [
    ((0.81, 0.90), "the flipped labels are found better than the non-speech clips"),
    ((0.88, 0.97), "the intervals of the two kinds overlap")])
def test_the_abstract_says_which_kind_is_found_better_only_where_the_intervals_separate(
        demo_like, nonspeech, words):
    detection = {kind: {claims.LEAD_SCORE: {record.Validation.AUROC: sum(interval) / 2,
                                              record.Validation.AUROC_INTERVAL: list(interval)}}
                 for kind, interval in ((FLIPPED, (0.95, 1.0)), (NONSPEECH, nonspeech))}
    record.save(demo_like, record.Validation.CHAPTER, {"OfflineKeywords": {
        record.Validation.DETECTION: detection}})
    assert words in findings.abstract(demo_like)


def test_importance_peaks_are_read_against_the_papers_near_one_kilohertz():
    near = paper._peaks_against_paper({"easy": 900.0, "medium": 1300.0, "hard": 1100.0})
    assert near.endswith("near the paper's 1 kHz in every band")
    far = paper._peaks_against_paper({"easy": 1300.0, "medium": 2000.0, "hard": 2100.0})
    assert "unlike the paper's peak near 1 kHz except in the easy band" in far
    assert "unlike the paper's peak near 1 kHz (its hard band" in paper._peaks_against_paper(
        {"easy": 2000.0, "hard": 300.0})


def test_the_pruning_pattern_says_when_every_point_moved_one_way_and_reads_the_oracle():
    def point(rule: str, accuracy: float, change: float) -> dict:
        return {P.RULE: rule, P.TEST_ACCURACY: accuracy, P.DIFFERENCE: change}
    points = {"hardest 10%": point("hardest", 0.975, 0.008),
              "random 10%": point("random", 0.983, 0.017),
              "oracle 8%": point("oracle", 0.983, 0.017)}
    def pattern() -> str:
        changes = {name: p[P.DIFFERENCE] for name, p in points.items()}
        return beyond._pruning_pattern(points, beyond.Retrained(changes, 0.036, {}, 1))
    text = pattern()
    assert "Every point, random included, lies above its unpruned run (+0.008 to +0.017), none " \
           "beyond reseeding" in text
    assert "within reseeding of each other" in text
    points["oracle 8%"] = point("oracle", 0.90, -0.06)
    text = pattern()
    assert "Every point" not in text and "the hardest rule is ahead beyond reseeding" in text


def test_a_retrained_point_counts_only_beyond_the_yardstick_at_the_printed_digits():
    verdict = beyond.Retrained({"hardest 10%": 0.0364, "random 10%": -0.0366, "easiest": 0.01},
                               0.036, {}, 1)
    assert verdict.moved == ["random 10% (-0.037)"]
    assert beyond.pruning_claim(verdict) == (
        "Removing the random 10% (-0.037) changes test accuracy beyond what reseeding a run "
        "does, with a paired 90 % interval on the same test clips clear of zero; removing the "
        "hardest 10% (+0.036) or the easiest (+0.010) does not (one seed each)")
    assert beyond.curricula_claim(beyond.Retrained({"easiest first": 0.01}, 0.036, {}, 3)) == (
        "Training with the easiest first (+0.010) changes test accuracy no more than reseeding "
        "a run does, or not on the same test clips (mean over 3 seeds)")
    assert beyond.curricula_claim(beyond.Retrained({}, 0.036, {}, 1)) == "No point of its own"


def test_a_retrained_point_moves_only_where_its_paired_interval_clears_zero():
    beyond_reseeding = {"hardest 10%": 0.05, "random 10%": 0.05}
    verdict = beyond.Retrained(beyond_reseeding, 0.036,
                               {"hardest 10%": (0.01, 0.09), "random 10%": (-0.01, 0.11)}, 1)
    assert verdict.moved == ["hardest 10% (+0.050; same clips +0.010 to +0.090)"]
    assert verdict.unmoved == ["random 10% (+0.050; same clips -0.010 to +0.110)"]
    against = beyond.Retrained({"easiest 10%": 0.05}, 0.036, {"easiest 10%": (-0.09, -0.01)}, 1)
    assert against.moved == []  # the paired interval lies on the other side of zero


def test_paired_clips_joins_the_runs_on_sample_identity(monkeypatch):
    from lib import retraining

    class Fixed:
        def __init__(self, table):
            self.table = table

        def correct(self):
            return self.table
    point = Fixed(pd.DataFrame({1: [1.0, 1.0, 1.0, 0.0]}, index=["a", "b", "c", "d"]))
    compared = Fixed(pd.DataFrame({1: [0.0, 0.0, 1.0, 1.0]}, index=["d", "a", "b", "c"]))
    found = retraining.paired_clips(point, compared)
    # a: 1 vs 0, b: 1 vs 1, c: 1 vs 1, d: 0 vs 0 -> mean difference 0.25 over 4 clips
    assert found["paired_clips"] == 4
    assert found["paired_low"] <= 0.25 <= found["paired_high"]
    assert 0 < found["paired_p"] <= 1


def test_critical_rho_is_where_the_exact_p_drops_below_005():
    rho = significance.critical_rho(6)
    assert rho == pytest.approx(0.8857, abs=1e-4)
    x = pd.Series(range(6), dtype=float)
    assert math.isnan(significance.critical_rho(4))  # four points never reach p < 0.05
    assert significance.critical_rho(40) == pytest.approx(0.3120, abs=1e-3)
    assert significance.spearman(x, pd.Series([0, 1, 2, 3, 5, 4.0])).p < 0.05  # rho 0.943


def test_the_discussion_sorts_findings_into_agreeing_and_not_by_the_rules(demo_like):
    numbers = {C.CORRELATIONS: {DIFFICULTY_TEST: -0.7537}, C.P: {DIFFICULTY_TEST: 0.1083},
               C.CLASSES: 6, C.DIFFICULTY_TEST_PAPER: -0.594, C.PAPER_CLASSES: 35}
    record.save(demo_like, C.CHAPTER, {"OfflineKeywords": numbers})
    text = findings.discussion(demo_like)
    agree, differ = text.split("**Where it does not, or not yet.**")
    assert "not significant at n = 6 (p = 0.11): over so few classes it takes |ρ| ≥ 0.89" in differ
    assert "recognised worse" not in agree
    record.save(demo_like, C.CHAPTER, {"OfflineKeywords": {**numbers,
                                                           C.P: {DIFFICULTY_TEST: 0.0167}}})
    agree, _ = findings.discussion(demo_like).split("**Where it does not, or not yet.**")
    assert "Harder classes of OfflineKeywords are recognised worse at test" in agree


@pytest.mark.parametrize("hard, where, sentence", [
    ([0.22, 0.26], "agree", "hard samples draw more of Grad-CAM's importance"),
    ([0.10, 0.12], "differ", "the paper's direction, but every band puts less there than a map "
                             "blind to time (0.20)"),
    ([0.07, 0.10], "differ", "hard and easy samples' shares of Grad-CAM's importance at the "
                             "clip's edges overlap")])
def test_the_discussion_sorts_the_edge_effect_by_its_intervals(demo_like, hard, where, sentence):
    explained = {**DEMO_LIKE[E.CHAPTER]["OfflineKeywords"], E.EDGE_SHARE_UNIFORM: 0.2,
                 E.EDGE_SHARE_INTERVAL: {"easy": [0.07, 0.09], "hard": hard}}
    record.save(demo_like, E.CHAPTER, {"OfflineKeywords": explained})
    agree, differ = findings.discussion(demo_like).split("**Where it does not, or not yet.**")
    assert sentence in (agree if where == "agree" else differ)


def test_the_hardest_band_is_called_hard_only_when_it_holds_more_than_chance():
    hard = findings.hardest_reading(HardestShare(24, 23, 60, 600), "flipped label")
    assert hard.startswith("the hardest band is hard: it holds 10 times") and "p < 0.001" in hard
    loose = findings.hardest_reading(HardestShare(24, 4, 60, 600), "flipped label")
    assert loose.startswith("the hardest band holds no more flipped label samples than chance")


def test_edge_shares_are_read_by_their_intervals():
    clear = paper._edges_reading({"easy": 0.08, "hard": 0.11},
                                    {"easy": [0.07, 0.09], "hard": [0.10, 0.12]}, 0.2)
    assert "0.11 (hard, 0.10–0.12)" in clear
    assert "less at the edges in the easy and hard bands" in clear
    assert ("hard samples draw more importance to the edges than easy ones, the paper's "
            "direction, but less than a map blind to time") in clear
    focused = paper._edges_reading({"easy": 0.08, "hard": 0.25},
                                   {"easy": [0.07, 0.09], "hard": [0.22, 0.28]}, 0.2)
    assert "hard samples draw more importance to the edges than easy ones, as in the paper" in \
        focused
    overlapping = paper._edges_reading({"easy": 0.15, "hard": 0.16},
                                          {"easy": [0.1, 0.25], "hard": [0.12, 0.21]}, 0.2)
    assert "no band differs from it beyond its interval" in overlapping
    assert "does not show the paper's hard samples attended at the edges" in overlapping


def test_the_validation_opening_calls_an_inverted_score_inverted_not_found(demo_like):
    detection = {kind: {claims.LEAD_SCORE: {record.Validation.AUROC: auroc,
                                              record.Validation.AUROC_INTERVAL: interval}}
                 for kind, auroc, interval in ((FLIPPED, 0.97, [0.94, 0.99]),
                                               (NONSPEECH, 0.023, [0.0, 0.068]))}
    record.save(demo_like, record.Validation.CHAPTER, {"OfflineKeywords": {
        record.Validation.DETECTION: detection}})
    text = findings.opening(demo_like, record.Validation.CHAPTER)
    assert "flipped-label clips are found: AUROC 0.970" in text
    assert "non-speech clips are ranked easier than the others (inverted): AUROC 0.023" in text


def _masked(*intervals):
    return {str(share): {E.DROP_GRADCAM: 0.4, E.DROP_RANDOM: 0.35, E.MAPS: 540,
                         E.DIFFERENCE_INTERVAL: list(interval)}
            for share, interval in zip((0.05, 0.1, 0.2), intervals)}


def _masking_reading(*intervals):
    return findings.faithfulness_reading(findings.faithfulness_verdict(_masked(*intervals)))


def test_grad_cam_is_called_faithful_only_at_shares_whose_interval_clears_zero():
    assert "the maps point at evidence the model uses" in _masking_reading(
        (0.05, 0.1), (0.01, 0.05), (0.02, 0.03))
    mixed = _masking_reading((0.05, 0.1), (-0.001, 0.05), (-0.03, -0.02))
    assert mixed.startswith("Grad-CAM's cells matter more than random ones at 5% masked "
                            "(+0.050, +0.050 to +0.100); less at 20% masked (+0.050, -0.030 to "
                            "-0.020); the interval includes zero at 10% masked")
    assert "not shown" in _masking_reading((-0.05, 0.1), (-0.001, 0.05), (-0.02, 0.03))


def test_the_masking_verdict_keeps_each_share_effect_and_needs_every_interval():
    verdict = findings.faithfulness_verdict(_masked((0.05, 0.1), (-0.001, 0.05), (-0.03, -0.02)))
    assert verdict.signs == {0.05: 1, 0.1: 0, 0.2: -1}
    assert verdict.differences[0.1] == pytest.approx(0.05)
    partial = _masked((0.05, 0.1), (0.01, 0.05), (0.02, 0.03))
    del partial["0.1"][E.DIFFERENCE_INTERVAL]
    assert findings.faithfulness_verdict(partial) is None


def test_the_abstract_reads_the_masking_check_over_every_share(demo_like):
    explained = {**DEMO_LIKE[E.CHAPTER]["OfflineKeywords"], E.FAITHFULNESS: _masked(
        (0.06, 0.11), (-0.001, 0.048), (0.001, 0.046))}
    record.save(demo_like, E.CHAPTER, {"OfflineKeywords": explained})
    text = findings.abstract(demo_like)
    assert ("in the masking check, Grad-CAM's cells matter more than random ones at 5% masked "
            "(+0.050, +0.060 to +0.110) and 20% masked (+0.050, +0.001 to +0.046); the interval "
            "includes zero at 10% masked") in text


def _definitions_record(detection: dict[str, dict[str, tuple[float, float, float]]],
                        stability: dict[str, float | None],
                        minutes: dict[str, float]) -> dict:
    """A Definitions record of one dataset: kind -> definition -> (AUROC, low, high)."""
    Dn = record.Definitions
    return {Dn.COLUMNS: {name: 3 for name in stability} | {"Random": 3},
            Dn.DETECTION: {kind: {name: {Dn.AUROC: a, Dn.AUROC_INTERVAL: [lo, hi]}
                                  for name, (a, lo, hi) in found.items()}
                           for kind, found in detection.items()},
            Dn.STABILITY: {name: {Dn.RUN_TO_RUN: rho} for name, rho in stability.items()},
            Dn.COST: {name: {Dn.MINUTES: m, Dn.SOURCE: Dn.FROM_AUCURRICULUM}
                      for name, m in minutes.items()}}


def test_the_definition_to_use_is_decided_by_detection_then_stability_then_cost():
    minutes = {"A": 1.0, "B": 0.1, "C": 0.5}
    clear = _definitions_record(
        {FLIPPED: {"A": (0.99, 0.98, 1.0), "B": (0.80, 0.75, 0.85), "C": (0.52, 0.45, 0.60)}},
        {"A": 0.4, "B": 0.9, "C": 0.9}, minutes)
    choice = paper.definition_choice(clear)
    assert (choice.definition, choice.decided_by, choice.tied) == ("A", "detection", ())
    assert choice.failing == ("C",)
    assert "not a label-error detector" in paper.choice_text(choice)
    tied = _definitions_record(
        {FLIPPED: {"A": (0.99, 0.95, 1.0), "B": (0.97, 0.93, 0.99), "C": (0.60, 0.55, 0.65)}},
        {"A": 0.4, "B": 0.9, "C": 0.9}, minutes)
    choice = paper.definition_choice(tied)
    assert (choice.definition, choice.decided_by, choice.tied) == ("B", "stability", ("A",))
    assert "most stable from run to run (Spearman 0.90; the next, A, Spearman 0.40)" in \
        paper.choice_text(choice)
    failing_but_steady = _definitions_record(
        {FLIPPED: {"A": (0.62, 0.51, 0.70), "B": (0.55, 0.45, 0.65), "C": (0.5, 0.4, 0.6)}},
        {"A": 0.4, "B": 0.9, "C": 0.9}, minutes)
    choice = paper.definition_choice(failing_but_steady)
    assert choice.definition == "A" and "B" not in choice.tied  # B finds nothing
    as_stable = _definitions_record(
        {FLIPPED: {"A": (0.99, 0.95, 1.0), "B": (0.97, 0.93, 0.99), "C": (0.60, 0.55, 0.65)}},
        {"A": 0.88, "B": 0.9, "C": 0.9}, minutes)
    assert paper.definition_choice(as_stable).decided_by == "cost"
    assert paper.definition_choice(as_stable).definition == "B"
    assert "as stable from run to run as A (Spearman 0.90), it costs the least" in \
        paper.choice_text(paper.definition_choice(as_stable))
    unknown = _definitions_record({}, {"A": 0.2, "B": 0.7, "C": None}, minutes)
    choice = paper.definition_choice(unknown)
    assert (choice.definition, choice.kinds) == ("B", ())
    assert "Detection cannot decide" in paper.choice_text(choice)


def test_a_grad_cam_peak_is_stated_at_the_maps_resolution():
    from lib import explain
    assert explain.map_mel_bands("conv_block4.conv2") == 8  # Cnn10's, the paper's layer
    assert explain.map_mel_bands("conv_block6.conv2") == 2  # Cnn14's last block
    assert explain.map_mel_bands("fc1") is None
    assert explain.map_mel_bands("conv_block4") == 4  # the block's pooled output
    same = paper._peaks_against_paper({"easy": 2043.0, "medium": 2043.0, "hard": 2043.0}, True, 8)
    assert "the map has 8 mel bands, so a peak can fall only at one of 8 frequencies" in same
    assert "share that coarse band, not an exact frequency" in same


def test_the_abstract_names_the_lead_per_kind_and_the_near_duplicate_result(demo_like):
    from lib.duplicates import CHECKS
    from lib.findings import answers
    from lib.groundtruth import DUPLICATE
    K = record.Kinds

    def lead(score: str, auroc: float, interval: list[float]) -> dict:
        return {K.SCORE: score, K.AUROC: auroc, K.AUROC_INTERVAL: interval,
                K.RUNNER_UP: "", K.RUNNER_UP_AUROC: None, K.BEYOND_INTERVALS: False}
    record.save(demo_like, K.CHAPTER, {"OfflineKeywords": {
        K.BEST: {FLIPPED: lead("CELoss", 0.99, [0.97, 1.0]),
                 DUPLICATE: lead("VoG", 0.58, [0.46, 0.68])},
        K.DUPLICATES: {K.PLANTED_PAIRS: 12, K.SHARED_SPEAKERS: {"test & train": 6},
                       **{check: {K.PLANTED_FOUND: 0} for check in CHECKS}}}})
    text = answers._answer_kinds(demo_like, "")
    assert "CELoss on flipped-label clips (0.99)" in text
    assert "no score finds the near-duplicate clips" in text
    assert "find 0 of the 12 planted pairs, while the 6 speakers the training and test splits " \
        "share give the leak away" in text
