"""Which score finds which kind: each of the field's other scores on hand-made training
outputs with a known answer, the score-by-kind table and its record from hand-made scores, the
near-duplicate checks on planted pairs, and the smoke chapter's record."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import data, duplicates, findings, groundtruth, hardness, kinds, record
from lib.definitions import Scored
from lib.record import Kinds

IDS = np.array(["a", "b", "c"])


def _epoch(epoch: int, logits: list[list[float]], targets: list[int] = (0, 1, 0)):
    return hardness.EpochLogits(epoch, IDS, np.asarray(logits, dtype=float),
                                np.asarray(targets))


def test_aum_averages_the_margin_of_the_given_class_over_the_largest_other():
    epochs = [_epoch(1, [[3, 1, 0], [0, 2, 5], [0, 4, 1]]),
              _epoch(2, [[5, 1, 0], [0, 4, 1], [0, 2, 1]])]
    assert hardness.margins(epochs[0]).to_dict() == {"a": 2.0, "b": -3.0, "c": -4.0}
    assert hardness.aum(epochs).to_dict() == {"a": 3.0, "b": 0.0, "c": -3.0}


def test_el2n_is_the_norm_of_softmax_minus_one_hot_at_the_epoch_asked():
    epochs = [_epoch(1, [[0, 0, 0]] * 3), _epoch(2, [[50, 0, 0], [50, 0, 0], [0, 0, 0]])]
    early = hardness.el2n(epochs, 1)
    assert early["a"] == pytest.approx(np.sqrt((2 / 3) ** 2 + 2 * (1 / 3) ** 2))
    late = hardness.el2n(epochs, 2)
    assert late["a"] == pytest.approx(0.0, abs=1e-9)  # right and sure
    assert late["b"] == pytest.approx(np.sqrt(2))  # sure of the wrong class
    assert hardness.early_epoch(6) == 2 and hardness.early_epoch(2) == 1


def test_forgetting_counts_right_to_wrong_and_ranks_the_never_learned_hardest():
    right, wrong = [5, 0, 0], [0, 5, 0]  # class 0 or class 1 for every sample
    epochs = [_epoch(e + 1, [right if r else wrong for r in row], [0, 0, 2])
              for e, row in enumerate([[1, 1, 0], [0, 1, 0], [1, 1, 0], [0, 1, 0]])]
    assert hardness.forgetting(epochs).to_dict() == {"a": 2.0, "b": 0.0, "c": 3.0}


def test_data_map_and_its_regions():
    sure, unsure = [[9, 0, 0]] * 3, [[0, 9, 0]] * 3
    epochs = [_epoch(1, sure, [0, 0, 0]), _epoch(2, [sure[0], unsure[0], unsure[0]], [0, 0, 0]),
              _epoch(3, [sure[0], sure[0], unsure[0]], [0, 0, 0])]
    mapped = hardness.data_map(epochs)
    assert mapped.loc["a", "confidence"] == pytest.approx(1.0, abs=1e-3)
    assert mapped.loc["a", "variability"] == pytest.approx(0.0, abs=1e-3)
    assert mapped.loc["c", "confidence"] < mapped.loc["b", "confidence"]
    assert hardness.regions(mapped).to_dict() == {"a": hardness.EASY, "b": hardness.AMBIGUOUS,
                                                  "c": hardness.HARD}


def test_grand_on_the_output_layer_is_the_error_norm_times_the_embedding_norm():
    probabilities = np.array([[1.0, 0.0], [0.5, 0.5]])
    embeddings = np.array([[3.0, 4.0], [0.0, 0.0]])
    scores = hardness.grand_output_layer(probabilities, np.array([0, 1]), embeddings)
    assert scores[0] == 0.0 and scores[1] == pytest.approx(np.sqrt(0.5))


def test_vog_is_the_variance_over_checkpoints_standardised_within_class():
    gradients = np.zeros((3, 4, 2))
    gradients[:, 1] = [[0, 0], [2, 2], [4, 4]]  # varies across checkpoints
    gradients[:, 3] = [[1, 1], [1, 1], [1, 1]]  # constant
    scores = hardness.vog(gradients, np.array([0, 0, 1, 1]))
    assert scores[1] > scores[0] and scores[3] == scores[2] == 0.0
    assert hardness.vog_epochs(6) == [2, 4, 6] and hardness.vog_epochs(2) == [1, 2]


def test_datalab_outlier_score_is_lowest_for_the_clip_far_from_the_rest():
    # Datalab compares directions (cosine) in this many dimensions: one clip points elsewhere.
    features = np.random.default_rng(0).normal(loc=5.0, size=(40, 6))
    features[7] = [-5, 5, -5, 5, -5, 5]
    labels = pd.Series(np.arange(40) % 2, index=[f"s{i}" for i in range(40)])
    scores = hardness.outlier_scores(features, labels)
    assert scores.idxmin() == "s7"


def _truth() -> pd.DataFrame:
    ids = [f"s{i}" for i in range(12)]
    truth = pd.DataFrame(False, index=pd.Index(ids, name="sample_id"),
                         columns=[groundtruth.FLIPPED_COLUMN, groundtruth.ATYPICAL_COLUMN])
    truth.loc[["s0", "s1"], groundtruth.FLIPPED_COLUMN] = True
    truth.loc[["s2", "s3"], groundtruth.ATYPICAL_COLUMN] = True
    return truth


def test_each_kind_is_judged_against_the_genuine_clips_only():
    truth = _truth()
    finds_flips = pd.Series(np.r_[10, 9, 8, 7, np.arange(8)], index=truth.index, dtype=float)
    scores = pd.DataFrame({"flips": finds_flips, "Random": finds_flips.sample(frac=1.0,
                                                                             random_state=1)
                           .to_numpy()}, index=truth.index)
    table = kinds.detection_table(scores, truth, draws=50)
    row = table.set_index(["kind", "definition"]).loc[(groundtruth.FLIPPED, "flips")]
    # The atypical clips score high too, but are not negatives of the flipped kind.
    assert row["auroc"] == 1.0 and row["precision_at_k"] == 1.0
    best = kinds.best_by_kind(table)
    assert best[groundtruth.FLIPPED][Kinds.SCORE] == "flips"  # Random, the control, left out
    matrix = kinds.heat(table)
    assert list(matrix.columns) == [groundtruth.FLIPPED, groundtruth.ATYPICAL]


def _scored(name: str, values: pd.Series) -> Scored:
    return Scored(name, values.to_frame("run"), "test", 6.0, 0)


def test_the_table_its_record_and_its_opening_from_hand_made_scores():
    truth = _truth()
    ranked = pd.Series(np.r_[10, 9, 8, 7, np.arange(8)], index=truth.index, dtype=float)
    scored = {"AUM": _scored("AUM", -ranked), "EL2N": _scored("EL2N", -ranked)}
    table = kinds.detection_table(kinds.score_table(scored), truth, draws=50)
    regions = pd.DataFrame({hardness.EASY: [1.0], hardness.AMBIGUOUS: [0.0],
                            hardness.HARD: [0.0]}, index=[groundtruth.GENUINE])
    numbers = kinds.key_numbers({"Set": {"table": table, "scored": scored,
                                         "counts": {groundtruth.FLIPPED: 2,
                                                    groundtruth.ATYPICAL: 2},
                                         "regions": regions, "early_epoch": 2}})["Set"]
    assert numbers[Kinds.BEST][groundtruth.FLIPPED][Kinds.SCORE] == "AUM"  # AUM: higher easier
    assert numbers[Kinds.DETECTION][groundtruth.FLIPPED]["EL2N"][Kinds.AUROC] == 0.0
    assert numbers[Kinds.FAMILIES] == {Kinds.DYNAMICS: 1.0, Kinds.EARLY: 0.0}
    assert numbers[Kinds.COST]["AUM"][Kinds.MINUTES] == 0.1
    shown = kinds.presented(table, kinds.cost_table(scored))
    assert list(shown["score"]) == ["AUM", "EL2N"]
    assert shown.loc[0, f"{groundtruth.FLIPPED}: precision at 2"] == "1.00"
    beside = kinds.beside_hcat(numbers)
    assert "confidence over training 1.00" in beside.iloc[1, 2]


def test_the_opening_recommends_a_score_only_above_chance(monkeypatch):
    entry = {Kinds.COUNTS: {groundtruth.FLIPPED: 20, groundtruth.ATYPICAL: 20},
             Kinds.EARLY_EPOCH: 2, Kinds.FAMILIES: {Kinds.DYNAMICS: 0.9, Kinds.EARLY: 0.6},
             Kinds.BEST: {
                 groundtruth.FLIPPED: {Kinds.SCORE: "AUM", Kinds.AUROC: 0.95,
                                       Kinds.AUROC_INTERVAL: [0.9, 0.99],
                                       Kinds.PRECISION_AT_COUNT: 0.8, Kinds.RUNNER_UP: "EL2N",
                                       Kinds.RUNNER_UP_AUROC: 0.7, Kinds.BEYOND_INTERVALS: True},
                 groundtruth.ATYPICAL: {Kinds.SCORE: "VoG", Kinds.AUROC: 0.6,
                                        Kinds.AUROC_INTERVAL: [0.45, 0.75],
                                        Kinds.PRECISION_AT_COUNT: 0.2, Kinds.RUNNER_UP: None,
                                        Kinds.RUNNER_UP_AUROC: None,
                                        Kinds.BEYOND_INTERVALS: False}}}
    monkeypatch.setattr(record, "load", lambda profile, chapter: {"Set": entry})
    text = findings.opening("any", Kinds.CHAPTER)
    assert "flipped-label clips (20): AUM (AUROC 0.95" in text and "ahead of EL2N" in text
    assert "atypical voice clips (20): no score finds them" in text
    assert "One score, AUM, leads on every kind found here, 1 of the 1 leads beyond" in text


def test_near_duplicate_checks_find_planted_pairs_and_their_splits():
    rng = np.random.default_rng(0)
    ids = pd.Index([f"c{i}" for i in range(30)])
    signals = {i: rng.normal(size=200).astype(np.float32) for i in ids}
    signals["c29"] = signals["c3"].copy()  # a file copied under another name
    assert duplicates.same_audio(signals.items()).to_numpy().tolist() == [["c29", "c3"]]
    features = rng.normal(size=(30, 16))
    features[12] = features[4] + 1e-4  # the same utterance, a little noise
    labels = pd.Series(0, index=ids)
    assert duplicates.datalab_pairs(features, ids, labels)[["first", "second"]] \
        .to_numpy().tolist() == [["c12", "c4"]]
    closest = duplicates.closest_pairs(features, ids, 1)
    assert closest[["first", "second"]].to_numpy().tolist() == [["c12", "c4"]]
    features[20] = features[21]  # identical: a clip is never its own neighbour
    assert duplicates.closest_pairs(features, ids, 1)[["first", "second"]] \
        .to_numpy().tolist() == [["c20", "c21"]]
    splits = pd.Series("train", index=ids)
    splits["c12"] = "test"
    planted = pd.DataFrame({"first": ["c12"], "second": ["c4"]})
    table = duplicates.report({duplicates.SAME_AUDIO: duplicates.same_audio(signals.items()),
                               duplicates.CLOSEST_PAIRS: closest}, splits, planted)
    assert table.iloc[0][["first", "second", "across_splits", "planted"]].tolist() == \
        ["c12", "c4", True, True]  # across splits first
    assert table.iloc[1]["found by"] == duplicates.SAME_AUDIO and not table.iloc[1]["planted"]


def test_shared_speakers_per_pair_of_splits():
    table = pd.DataFrame({"split": ["train", "train", "test", "dev"],
                          "speaker_id": ["x", "y", "x", "z"]})
    assert duplicates.shared_speakers(table) == {"dev & test": 0, "dev & train": 0,
                                                 "test & train": 1}
    assert duplicates.shared_speakers(table.drop(columns="speaker_id")) == {}


def test_smoke_records_every_kind_and_the_chapter_judges_every_score(smoke_notebooks):
    keyword_set = record.load("smoke", record.Data.CHAPTER)["OfflineKeywords"]
    table = data.samples("smoke", "OfflineKeywords")
    train = table[table["split"] == "train"]
    assert keyword_set[record.Data.KINDS] == {kind: int(train[column].sum())
                                              for kind, column in groundtruth.INJECTED.items()}
    assert all(count > 0 for count in keyword_set[record.Data.KINDS].values())
    assert keyword_set[record.Data.PAIRS_ACROSS_SPLITS] >= 1
    entry = record.load("smoke", Kinds.CHAPTER)["OfflineKeywords"]
    assert set(entry[Kinds.DETECTION]) == set(groundtruth.INJECTED)
    judged = set(entry[Kinds.DETECTION][groundtruth.FLIPPED])
    assert set(hardness.SCORES) <= judged and {"CumulativeAccuracy", "CVLoss"} <= judged
    assert entry[Kinds.DUPLICATES][Kinds.PLANTED_PAIRS] == \
        keyword_set[record.Data.DUPLICATE_PAIRS]
    assert record.load("smoke", Kinds.CHAPTER)["SyntheticScenes"][Kinds.DUPLICATES]
