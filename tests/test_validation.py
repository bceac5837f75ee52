"""Detection metrics and stability on hand-made cases."""

import numpy as np
import pandas as pd
import pytest

from lib import detection, difficulty, groundtruth, paths, record, validation

IDS = [f"s{i}" for i in range(6)]
TRUTH = pd.Series([True, True, False, False, False, False], index=IDS)


def scored(values):
    return pd.Series(values, index=IDS, dtype=float)


def test_a_perfect_score_a_reversed_one_and_a_constant_one():
    perfect, reversed_, constant = scored([9, 8, 3, 2, 1, 0]), scored([0, 1, 5, 6, 7, 8]), \
        scored([1] * 6)
    assert detection.auroc(perfect, TRUTH) == 1.0
    assert detection.auroc(reversed_, TRUTH) == 0.0
    assert detection.auroc(constant, TRUTH) == 0.5
    assert detection.average_precision(perfect, TRUTH) == 1.0
    assert detection.average_precision(constant, TRUTH) == pytest.approx(2 / 6)
    assert detection.precision_at_k(perfect, TRUTH) == 1.0
    assert detection.precision_at_k(reversed_, TRUTH) == 0.0
    assert detection.precision_at_k(constant, TRUTH) == pytest.approx(2 / 6)


def test_metrics_join_on_sample_ids_not_row_order():
    score = scored([9, 8, 3, 2, 1, 0]).iloc[::-1]  # same scores, rows reversed
    assert detection.auroc(score, TRUTH) == 1.0
    assert detection.precision_at_k(score, TRUTH.iloc[::-1]) == 1.0


def test_a_hand_computed_mixed_case():
    score = scored([5, 2, 4, 3, 1, 0])  # flagged at positions 1 and 4 of the order
    assert detection.auroc(score, TRUTH) == pytest.approx(6 / 8)
    assert detection.average_precision(score, TRUTH) == pytest.approx((1 / 1 + 2 / 4) / 2)
    assert detection.precision_at_k(score, TRUTH) == 0.5
    curve = detection.roc_curve(score, TRUTH)
    assert curve[["fpr", "tpr"]].iloc[-1].tolist() == [1.0, 1.0]
    area = np.sum(np.diff(curve["fpr"]) * (curve["tpr"].iloc[1:].to_numpy()
                                           + curve["tpr"].iloc[:-1].to_numpy()) / 2)
    assert area == pytest.approx(6 / 8)


def test_detection_table_has_one_row_per_score():
    table = detection.detection(pd.DataFrame({"good": scored([9, 8, 3, 2, 1, 0]),
                                               "none": scored([1] * 6)}), TRUTH)
    assert table.set_index("score")["auroc"].to_dict() == {"good": 1.0, "none": 0.5}
    assert table.set_index("score").loc["good", ["auroc_low", "auroc_high"]].tolist() == [1, 1]
    assert table["k"].tolist() == [2, 2] and table["base_rate"].tolist() == [2 / 6, 2 / 6]
    shown = detection.presented(table)
    assert shown.loc["good", "AUROC [90% interval]"] == "1.000 [1.00, 1.00]"
    assert shown.loc["none", "base rate"] == "0.333"


def test_auroc_interval_brackets_the_estimate_and_narrows_with_more_samples():
    perfect, constant = scored([9, 8, 3, 2, 1, 0]), scored([1] * 6)
    assert detection.auroc_interval(perfect, TRUTH) == (1.0, 1.0)
    assert detection.auroc_interval(constant, TRUTH) == (0.5, 0.5)
    generator = np.random.default_rng(0)

    def noisy(samples: int) -> tuple[pd.Series, pd.Series]:
        truth = pd.Series(np.arange(samples) < samples // 10,
                          index=[f"s{i}" for i in range(samples)])
        return pd.Series(truth.to_numpy() + generator.normal(0, 1, samples),
                         index=truth.index), truth

    small, large = noisy(60), noisy(2000)
    low, high = detection.auroc_interval(*small)
    assert low < detection.auroc(*small) < high
    assert detection.auroc_interval(*small) == (low, high)  # seeded: reproducible
    large_low, large_high = detection.auroc_interval(*large)
    assert large_high - large_low < (high - low) / 2


def test_verdict_names_the_scores_above_and_below_chance():
    table = detection.detection(pd.DataFrame({"good": scored([9, 8, 3, 2, 1, 0]),
                                               "reversed": scored([0, 1, 3, 4, 5, 6]),
                                               "none": scored([1] * 6)}), TRUTH)
    text = detection.verdict(table, "flipped label")
    assert "With 2 flipped label samples" in text
    assert "Better than chance: good (1.00" in text
    assert "*easier* than the rest: reversed (0.00" in text
    assert "The other scores cannot be told from chance" in text
    alone = detection.verdict(table[table["score"] == "none"], "flipped label")
    assert alone.endswith("No score can be told from chance here.")

def _run(sums):
    return pd.DataFrame({"sample_id": IDS, "label": ["a"] * 6, "sum": sums, "count": [4] * 6})


def test_identical_runs_are_perfectly_stable():
    per_run = {f"r{i}": _run([4, 3, 3, 2, 1, 0]) for i in range(4)}
    halves = difficulty.split_halves(per_run)
    assert len(halves) == 3 and (halves["spearman"] == 1.0).all()
    intervals = difficulty.bootstrap_ranks(per_run, draws=20)
    assert (intervals["width"] == 0).all()
    assert intervals.set_index("sample_id").loc["s0", "rank"] == 0.0


def test_disagreeing_runs_give_wide_rank_intervals():
    per_run = {"r0": _run([4, 3, 2, 1, 0, 0]), "r1": _run([0, 0, 1, 2, 3, 4])}
    intervals = difficulty.bootstrap_ranks(per_run, draws=50).set_index("sample_id")
    assert intervals.loc["s0", "width"] == pytest.approx(0.9)  # easiest in r0, tied hardest in r1
    assert difficulty.split_halves(per_run)["spearman"].iloc[0] < 0


def test_validation_chapter_records_detection_covariates_and_stability(smoke_notebooks):
    V = record.Validation
    numbers = record.load("smoke", V.CHAPTER)
    keyword_set = numbers["OfflineKeywords"]
    for kind in groundtruth.INJECTED:
        found = keyword_set[V.DETECTION][kind]
        assert set(found) == {*validation.SCORES, record.CLEANLAB_NETWORK, record.CLEANLAB_PROBE}
        for metrics in found.values():
            low, high = metrics[V.AUROC_INTERVAL]
            assert 0.0 <= low <= metrics[V.AUROC] <= high <= 1.0
    assert -1.0 <= keyword_set[V.RANK_VS_SNR]["rho"] <= 1.0
    assert " -> " in keyword_set[V.MOST_CONFUSED]
    assert set(numbers["SyntheticScenes"]) == {V.STABILITY}  # no ground truth: stability only
    sweep = keyword_set[V.SWEEP]  # smoke: 0 % and 25 % flipped, each with its own small ensemble
    assert set(sweep) == {"0", "0.25"}
    assert all(auroc is None for auroc in sweep["0"][V.AUROC].values())  # nothing to find
    assert all(0.0 <= auroc <= 1.0 for auroc in sweep["0.25"][V.AUROC].values())
    assert (paths.DATA / "smoke" / "sweep" / "flip25" / "OfflineKeywords" / "train.csv").is_file()
    for dataset in numbers.values():
        assert 0.0 <= dataset[V.STABILITY][V.MEDIAN_INTERVAL_WIDTH] <= 1.0


def test_eval_mode_is_better_only_where_the_auroc_intervals_separate():
    def row(dynamic: str, evaluated: tuple, trained: tuple) -> dict:
        values = {"dynamic": dynamic, "spearman": 0.9, "n": 600, "p": 0.0}
        for mode, (auroc, low, high) in (("eval mode", evaluated), ("train mode", trained)):
            for flag in groundtruth.INJECTED:
                key = record.Validation.mode_auroc
                values.update({key(flag, mode): auroc,
                               key(flag, mode, record.Validation.LOW): low,
                               key(flag, mode, record.Validation.HIGH): high})
        return values
    modes = pd.DataFrame([row("confidence", (0.95, 0.9, 0.99), (0.7, 0.6, 0.8)),
                          row("forgetting", (0.72, 0.6, 0.8), (0.7, 0.62, 0.79))])
    text = validation.modes_finding(modes)
    kinds = len(groundtruth.INJECTED)  # one comparison per dynamic and kind
    assert (f"Eval mode finds the injected samples better in {kinds} of {2 * kinds} comparisons "
            f"and worse in 0; in the other {kinds} the intervals overlap.") in text
    assert "0.95 (0.90–0.99) in eval mode against 0.70 (0.60–0.80) in train mode" in text
