"""Chapter openings and the "Read this first" box: every number they state is one of the
chapter's recorded numbers, with its uncertainty, and the statistics behind them are right."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lib import classes, findings, paths, record, significance

DEMO_LIKE = {
    "data": {"OfflineKeywords": {"clips_per_split": {"train": 600, "dev": 60, "test": 120},
                                 "classes": 6, "flipped": 24, "nonspeech": 24, "voices": 130}},
    "training": {"runs": 5, "train_seconds": 700.0, "seeds": {"OfflineKeywords Cnn10": 3,
                                                               "OfflineKeywords Cnn14": 2},
                 "test_accuracy": {"OfflineKeywords Cnn10": 0.9583, "OfflineKeywords Cnn14": 0.875},
                 "train_accuracy": {"OfflineKeywords Cnn10": {"all": 0.91, "genuine": 0.965},
                                    "OfflineKeywords Cnn14": {"all": 0.87, "genuine": 0.919}}},
    "difficulty": {"OfflineKeywords": {
        "samples": 600, "model_agreement": {"rho": 0.7412, "n": 600, "p": 0.0},
        "rank_vs_snr": {"rho": -0.0992, "n": 552, "p": 0.0197},
        "flipped label in hardest 10%": {"flagged": 24, "in_hardest": 24, "hardest_size": 62,
                                         "expected_by_chance": 2.48},
        "non-speech in hardest 10%": {"flagged": 24, "in_hardest": 10, "hardest_size": 62,
                                      "expected_by_chance": 2.48}}},
    "classes": {"OfflineKeywords": {"classes": 6, "correlations": {"Difficulty Test": -0.7143},
                                    "p": {"Difficulty Test": 0.1361},
                                    "difficulty_test_paper": -0.5936, "paper_classes": 35}},
    "explanations": {"OfflineKeywords": {
        "edge_share": {"easy": 0.0966, "medium": 0.0711, "hard": 0.1122},
        "edge_share_uniform": 0.2,
        "faithfulness": {"0.1": {"drop_gradcam": 0.4932, "drop_random": 0.4426, "maps": 540,
                                 "difference_interval": [0.031, 0.07]}}}},
}


@pytest.fixture
def demo_like(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    for chapter, numbers in DEMO_LIKE.items():
        record.save("demo-like", chapter, numbers)
    return "demo-like"


def test_training_opening_states_accuracy_interval_and_chance(demo_like):
    text = findings.opening(demo_like, "training")
    low, high = significance.share_interval(0.9583 * 120, 120)
    assert "Cnn10 0.958" in text and f"{low:.2f}–{high:.2f}" in text
    assert "120 test clips of 6 classes" in text and "chance is 0.17" in text
    assert "3 seeds" in text and "have learned" in text


def test_an_opening_follows_its_record(demo_like):
    """The same sentence from other numbers: nothing in it is fixed text."""
    numbers = {**DEMO_LIKE["training"], "test_accuracy": {"OfflineKeywords Cnn10": 0.2,
                                                          "OfflineKeywords Cnn14": 0.18}}
    record.save(demo_like, "training", numbers)
    text = findings.opening(demo_like, "training")
    assert "Cnn10 0.200" in text and "**not** learned" in text
    assert "**not** learned" in findings.read_first(demo_like)


def test_difficulty_opening_carries_counts_n_and_p(demo_like):
    text = findings.opening(demo_like, "difficulty")
    assert "all 24 flipped-label clips and 10 of the 24 non-speech clips" in text
    assert "chance would put 2.5 of each" in text
    assert "Spearman 0.74 (n = 600, p < 0.001)" in text
    assert "Spearman -0.10 (n = 552, p = 0.02)" in text


def test_class_opening_gives_exact_p_and_the_paper(demo_like):
    text = findings.opening(demo_like, "classes")
    assert "Spearman -0.71" in text and "over 6 classes, exact p = 0.14" in text
    assert "-0.59 over 35 SpeechCommands classes" in text


def test_explanation_opening_states_the_faithfulness_difference(demo_like):
    text = findings.opening(demo_like, "explanations")
    assert "by 0.49 on average, against 0.44" in text and "+0.05" in text
    assert "0.03–0.07, n = 540 maps" in text and "0.11 (hard)" in text and "0.20" in text


def test_read_first_names_the_stand_in_and_the_missing_scene_side(demo_like):
    box = findings.read_first(demo_like)
    assert box.startswith(":::{admonition} Read this first\n:class: important")
    assert box.endswith(":::")
    assert "stand-in for SpeechCommands" in box and "SyntheticScenes" in box
    assert "chance is 0.17" in box


def test_a_missing_record_is_one_line(demo_like):
    text = findings.opening(demo_like, "validation")
    assert text.startswith("*No finding yet:*") and "validation/summary.json" in text
    assert "\n" not in text


def test_every_notebook_has_a_chapter_and_a_finding_cell():
    import json
    for notebook in sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        tagged = [c for c in cells if "finding" in c["metadata"].get("tags", [])]
        assert notebook.stem in findings.CHAPTER_OF, notebook.name
        assert len(tagged) == 1, notebook.name
        assert f'"{findings.CHAPTER_OF[notebook.stem]}"' in "".join(tagged[0]["source"])


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
    points = {"hardest 10%": {"rule": "hardest", "fraction": 0.1, "removed": 60,
                              "test_accuracy": 0.975, "difference": 0.0167, "minutes_per_run": 1.4},
              "easiest 10%": {"rule": "easiest", "fraction": 0.1, "removed": 60,
                              "test_accuracy": 0.9, "difference": -0.0583, "minutes_per_run": 1.4}}
    record.save(demo_like, "pruning", {"OfflineKeywords": {
        "model": "Cnn10", "seeds": [1], "skipped": [], "unpruned": 0.9583, "seed_spread": 0.01,
        "spread_runs": 3, "points": points,
        "composition": {"hardest 10%": {"flipped label": 24, "non-speech": 10,
                                        "low-SNR genuine": 20, "clean genuine": 6},
                        "easiest 10%": {"flipped label": 0, "non-speech": 0,
                                        "low-SNR genuine": 20, "clean genuine": 40}}}})
    text = findings.opening(demo_like, "pruning")
    assert "0.958 on the whole training split" in text
    assert "hardest 10% (60 clips: 24 flipped label, 10 non-speech" in text
    assert "0.975 (+0.017)" in text and "chance 0.17" in text and "120 test clips" in text
    # one seed: a difference of two runs has spread sqrt(2) x 0.01; twice that (0.028) is
    # larger than two test clips (0.017)
    assert text.startswith("**OfflineKeywords** (stand-in for SpeechCommands): removing easiest "
                           "10% (-0.058) changes test accuracy beyond what reseeding")
    assert "beyond 0.028" in text
    assert "not** learned" not in text
    numbers = record.load(demo_like, "pruning")
    numbers["OfflineKeywords"]["seed_spread"] = 0.03
    record.save(demo_like, "pruning", numbers)
    text = findings.opening(demo_like, "pruning")
    assert "beyond 0.085" in text and "no rule changes test accuracy beyond" in text
    assert "(the largest change: easiest 10%, -0.058)" in text
