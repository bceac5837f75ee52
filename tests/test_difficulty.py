"""Per-sample ensemble, rank normalisation, training dynamics and the published-format reader."""
import types
import warnings

import numpy as np
import pandas as pd
import pytest
from aucurriculum.curricula.scoring.abstract_score import AbstractScore

from lib import difficulty


def scores(rows):
    return pd.DataFrame(rows, columns=["sample_id", "label", "sum", "count"])


def test_ensemble_joins_runs_on_the_sample_not_the_row():
    # Two runs whose training sets differ (a/b/c vs b/c/d) and whose rows come in other orders.
    first = scores([("a", "yes", 3, 4), ("b", "no", 1, 4), ("c", "yes", 4, 4)])
    second = scores([("d", "no", 0, 2), ("c", "yes", 2, 2), ("b", "no", 0, 2)])
    table = difficulty.join_runs({"r1": first, "r2": second}).set_index("sample_id")
    assert table.loc["a", ["sum", "count", "runs"]].tolist() == [3, 4, 1]
    assert table.loc["b", ["sum", "count", "runs"]].tolist() == [1, 6, 2]
    assert table.loc["c", "score"] == 1.0 and table.loc["d", "score"] == 0.0
    assert table.loc["b", "score"] == pytest.approx(1 / 6)
    assert np.isnan(table.loc["d", "score_r1"]) and table.loc["d", "score_r2"] == 0.0
    shuffled = difficulty.join_runs({"r1": first.iloc[::-1], "r2": second.sample(frac=1,
                                                                                random_state=1)})
    pd.testing.assert_frame_equal(shuffled.set_index("sample_id").sort_index(),
                                  table.sort_index())


def test_position_join_would_have_mixed_samples():
    """What aucurriculum's row-wise sum gives for the same two runs: another answer for b."""
    first = scores([("a", "yes", 3, 4), ("b", "no", 1, 4), ("c", "yes", 4, 4)])
    second = scores([("d", "no", 0, 2), ("c", "yes", 2, 2), ("b", "no", 0, 2)])
    by_position = (first["sum"] + second["sum"]) / (first["count"] + second["count"])
    ours = difficulty.join_runs({"r1": first, "r2": second}).set_index("sample_id")["score"]
    assert by_position[1] == pytest.approx(0.5) and ours["b"] == pytest.approx(1 / 6)


@pytest.mark.parametrize("runs, message", [
    ({}, "empty ensemble"),
    ({"r1": scores([])}, "run r1: no scored samples"),
    ({"r1": scores([("a", "x", 1, 1), ("a", "x", 0, 1)])}, "run r1: sample 'a' scored twice"),
    ({"r1": scores([("a", "x", 1, 1)]), "r2": scores([("a", "y", 1, 1)])},
     "sample 'a' has different labels"),
])
def test_ensemble_refuses_bad_input_in_one_line(runs, message):
    with pytest.raises(difficulty.DifficultyError) as err:
        difficulty.join_runs(runs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_rank_is_zero_for_the_easiest_and_one_for_the_hardest():
    score = pd.Series([0.9, 0.1, 0.5])
    assert difficulty.normalised_rank(score).tolist() == [0.0, 1.0, 0.5]
    # A score where higher means harder (a loss) is ranked the other way round.
    assert difficulty.normalised_rank(score, higher_is_easier=False).tolist() == [1.0, 0.0, 0.5]


def test_tied_scores_share_their_rank_whatever_the_row_order():
    score = pd.Series([1.0, 1.0, 0.0, 0.5], index=list("abcd"))
    ranks = difficulty.normalised_rank(score)
    assert ranks["a"] == ranks["b"] == pytest.approx(0.5 / 3)
    assert ranks["d"] == pytest.approx(2 / 3) and ranks["c"] == 1.0
    assert difficulty.normalised_rank(score[::-1]).sort_index().equals(ranks.sort_index())
    assert difficulty.normalised_rank(pd.Series([0.3, 0.3])).tolist() == [0.5, 0.5]
    assert difficulty.normalised_rank(pd.Series([0.3])).tolist() == [0.0]


def test_rank_equals_aucurriculums_when_there_are_no_ties():
    score = pd.Series(np.random.default_rng(0).permutation(50) / 50)
    theirs = AbstractScore.rank_and_normalize(types.SimpleNamespace(reverse_score=True),
                                              pd.DataFrame({"mean": score}))
    pd.testing.assert_series_equal(difficulty.normalised_rank(score), theirs,
                                   check_names=False)


def epoch(number, ids, probabilities, correct):
    return difficulty.EpochOutputs(number, np.array(ids), np.array(probabilities),
                                   np.array(correct))


def test_dynamics_of_a_hand_made_three_epoch_run():
    epochs = [  # rows in a different order every epoch, as batches are shuffled
        epoch(1, ["a", "b", "c"], [0.6, 0.2, 0.1], [True, False, False]),
        epoch(2, ["c", "a", "b"], [0.3, 0.4, 0.8], [False, False, True]),
        epoch(3, ["b", "c", "a"], [0.3, 0.2, 0.9], [False, False, True]),
    ]
    table = difficulty.dynamics(epochs, stop_epoch=2).set_index("sample_id")
    assert table.loc["a", "confidence"] == pytest.approx((0.6 + 0.4 + 0.9) / 3)
    assert table.loc["a", "variability"] == pytest.approx(np.std([0.6, 0.4, 0.9]))
    assert table.loc["a", "correctness"] == pytest.approx(2 / 3)
    assert table["forgetting_events"].to_dict() == {"a": 1, "b": 1, "c": 0}
    assert table["never_learned"].to_dict() == {"a": False, "b": False, "c": True}
    # Cumulative accuracy up to the stop epoch only (2 of 3 here).
    assert table["cumulative_accuracy"].to_dict() == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert difficulty.dynamics(epochs).set_index("sample_id").loc["a", "cumulative_accuracy"] \
        == pytest.approx(2 / 3)


def test_epoch_outputs_turn_logits_into_true_class_probability():
    logits = np.log(np.array([[1.0, 3.0], [2.0, 2.0]]))
    outputs = difficulty.epoch_outputs(1, np.array(["a", "b"]), logits, np.array([1, 1]))
    assert outputs.true_probability == pytest.approx([0.75, 0.5])
    assert outputs.correct.tolist() == [True, False]  # a tie's argmax is the first class


PUBLISHED_HEADER = "index,filename,scene_label,city,encoded,decoded,sum,count,mean,ranks\n"


def write_published(tmp_path, rows):
    file = tmp_path / "CumulativeAccuracyDCASE2020Task1A.csv"
    file.write_text(PUBLISHED_HEADER + "".join(rows))
    return file


def test_published_file_reads_into_our_table(tmp_path):
    file = write_published(tmp_path, ["0,audio/a.wav,park,lyon,4,park,3,4,0.75,0.0\n",
                                      "1,audio/b.wav,bus,paris,1,bus,1,4,0.25,1.0\n"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = difficulty.read_published(file)
    assert table.columns.tolist() == ["sample_id", "label", "score", "count", "rank", "city"]
    assert table["sample_id"].tolist() == ["audio/a.wav", "audio/b.wav"]
    assert table["label"].tolist() == ["park", "bus"] and table["rank"].tolist() == [0.0, 1.0]


def test_published_file_with_varying_count_warns_of_a_position_join(tmp_path):
    file = write_published(tmp_path, ["0,audio/a.wav,park,lyon,4,park,300,357,0.84,0.0\n",
                                      "1,audio/b.wav,bus,paris,1,bus,100,266,0.38,1.0\n"])
    with pytest.warns(difficulty.PositionJoinWarning, match="joined by row position"):
        difficulty.read_published(file)


@pytest.mark.parametrize("content, message", [
    ("", "empty file"),
    ("index,filename,scene_label,encoded,decoded,sum,count,mean\n0,a,b,0,b,1,1,1\n",
     "missing column ranks"),
    (PUBLISHED_HEADER, "no samples"),
    (PUBLISHED_HEADER + "0,a.wav,park,lyon,4,park,3,4,0.75,1.5\n", "outside [0, 1]"),
])
def test_bad_published_file_is_one_line_naming_it(tmp_path, content, message):
    file = tmp_path / "scores.csv"
    file.write_text(content)
    with pytest.raises(difficulty.DifficultyError) as err:
        difficulty.read_published(file)
    assert message in str(err.value) and "scores.csv" in str(err.value)
    assert "\n" not in str(err.value)


def test_hardest_share_counts_flagged_samples_by_id():
    ordering = pd.DataFrame({"sample_id": list("abcdefghij"),
                             "rank": np.linspace(0, 1, 10)})
    flagged = pd.Series([True, True, False], index=["j", "a", "x"])
    share = difficulty.hardest_share(ordering, flagged, 0.1)
    assert share == difficulty.HardestShare(flagged=2, in_hardest=1, hardest_size=1, samples=10)
    assert share.expected_by_chance == 0.2
    assert difficulty.HardestShare(**share.as_record()) == share  # the record reads back


def test_identical_runs_converge_at_once():
    run = scores([("a", "x", 1, 4), ("b", "x", 3, 4), ("c", "x", 4, 4)])
    curve = difficulty.convergence({"r1": run, "r2": run, "r3": run}, orders=3)
    assert curve["runs"].tolist() == [1, 2, 3] and (curve["mean"] == 1.0).all()


def test_the_hardest_share_is_one_set_whatever_the_ties_and_pruning_removes_it():
    """Ranks tied across the 10 % line: the hardest 10 % is still 10 % of the samples (the
    Difficulty chapter's count and the pruning rule's removed samples are the same set)."""
    from lib import pruning

    ids = [f"s{i:02d}" for i in range(20)]
    ordering = pd.DataFrame({"sample_id": ids, "label": ["a", "b"] * 10,
                             "rank": [0.2] * 15 + [0.925] * 5})
    hardest = difficulty.hardest_ids(ordering, 0.1)
    assert len(hardest) == 2 and set(hardest) <= set(ids[15:])
    assert list(pruning.removed(ordering, "hardest", 0.1)) == list(hardest)
    share = difficulty.hardest_share(ordering, pd.Series(True, index=ids[15:]), 0.1)
    assert (share.hardest_size, share.in_hardest) == (2, 2)
