"""Pruning rules: the right samples, the right count, classes kept, ties broken by sample id."""
from __future__ import annotations

import pandas as pd
import pytest

from lib import paths, pruning


def ordering(n: int = 20) -> pd.DataFrame:
    labels = ["no", "one", "tree", "zero"]
    table = pd.DataFrame({"sample_id": [f"{labels[i % 4]}/clip_{i:02d}.wav" for i in range(n)],
                          "label": [labels[i % 4] for i in range(n)],
                          "rank": [round(i / (n - 1), 3) for i in range(n)]})
    table["label_quality"] = 1 - table["rank"]
    table["injected"] = table["rank"] > 0.9
    return table.sample(frac=1.0, random_state=3)  # row order must not matter


@pytest.mark.parametrize("rule", ["hardest", "easiest", "random", "cleanlab"])
def test_a_rule_removes_the_share_and_keeps_every_class(rule):
    table = ordering()
    gone = pruning.removed(table, rule, 0.25, seed=1)
    assert len(gone) == 5 and gone.is_unique and set(gone) <= set(table["sample_id"])
    kept = table[~table["sample_id"].isin(gone)]
    assert set(kept["label"]) == set(table["label"])


def test_hardest_and_easiest_follow_the_rank():
    table = ordering()
    hardest = pruning.removed(table, "hardest", 0.1)
    easiest = pruning.removed(table, "easiest", 0.1)
    assert set(hardest) == set(table.nlargest(2, "rank")["sample_id"])
    assert set(easiest) == set(table.nsmallest(2, "rank")["sample_id"])
    assert list(pruning.removed(table, "cleanlab", 0.1)) == list(hardest)


def test_ties_are_broken_by_sample_id_whatever_the_row_order():
    table = ordering().assign(rank=0.5)
    first = pruning.removed(table, "hardest", 0.1)
    assert list(first) == sorted(table["sample_id"])[:2]
    assert list(pruning.removed(table.iloc[::-1], "hardest", 0.1)) == list(first)


def test_random_keeps_the_class_balance_and_depends_on_the_seed_only():
    table = ordering(40)
    gone = pruning.removed(table, "random", 0.2, seed=5)
    per_class = table.set_index("sample_id").loc[gone, "label"].value_counts()
    assert per_class.to_dict() == {"no": 2, "one": 2, "tree": 2, "zero": 2}
    assert list(pruning.removed(table.iloc[::-1], "random", 0.2, seed=5)) == list(gone)
    assert list(pruning.removed(table, "random", 0.2, seed=6)) != list(gone)


def test_the_oracle_removes_exactly_the_injected_samples():
    table = ordering()
    assert set(pruning.removed(table, "oracle", 0.5)) == set(
        table.loc[table["injected"], "sample_id"])


def test_bad_requests_are_one_line():
    table = ordering()
    with pytest.raises(pruning.PruningError, match="unknown pruning rule 'median'"):
        pruning.removed(table, "median", 0.1)
    with pytest.raises(pruning.PruningError, match="needs a 'label_quality' column"):
        pruning.removed(table.drop(columns="label_quality"), "cleanlab", 0.1)
    with pytest.raises(pruning.PruningError, match=r"must be in \[0, 1\)"):
        pruning.removed(table, "hardest", 1.0)
    single = ordering().assign(label=lambda t: ["rare"] + ["common"] * (len(t) - 1))
    single = single.assign(rank=lambda t: (t["label"] == "rare").astype(float))
    with pytest.raises(pruning.PruningError, match="every training sample of class 'rare'"):
        pruning.removed(single, "hardest", 0.05)


def test_only_training_samples_leave_the_split():
    split = pd.DataFrame({"path": ["a.wav", "b.wav", "c.wav"], "label": ["no", "no", "one"]})
    assert list(pruning.kept_split(split, pd.Index(["b.wav"]), "path")["path"]) == [
        "a.wav", "c.wav"]
    with pytest.raises(pruning.PruningError, match="'dev.wav': it is not a training sample"):
        pruning.kept_split(split, pd.Index(["dev.wav"]), "path")


def test_a_pruned_copy_drops_only_the_removed_training_rows(keyword_copy, tmp_path):
    from lib import datasets

    train = pd.read_csv(keyword_copy / "train.csv", keep_default_na=False)
    gone = pd.Index(train["path"].iloc[[0, 3]])
    target = tmp_path / "pruned" / "OfflineKeywords"
    pruning.pruned_copy(keyword_copy, target, gone, log=lambda line: None)
    kept = pd.read_csv(target / "train.csv", keep_default_na=False)
    assert len(kept) == len(train) - 2 and not kept["path"].isin(gone).any()
    for split in ("dev", "test"):
        assert (target / f"{split}.csv").read_bytes() == (keyword_copy / f"{split}.csv").read_bytes()
    metadata = pd.read_csv(target / "metadata.csv", keep_default_na=False)
    assert not metadata["path"].isin(gone).any()
    assert (target / "default").resolve() == (keyword_copy / "default").resolve()
    before = datasets.read_manifest(target)
    pruning.pruned_copy(keyword_copy, target, gone[::-1], log=lambda line: None)  # reused
    assert datasets.read_manifest(target) == before


def test_a_pruning_point_trains_on_the_pruned_set(smoke_notebooks, ensemble, tmp_path,
                                                    monkeypatch):
    """One point through the real autrainer path: its run saw every training sample but the
    removed ones, its test accuracy comes back, and a second call reuses it."""
    from dataclasses import replace

    from lib import toolkit, training

    candidates = pd.read_csv(paths.results_dir("smoke") / "difficulty"
                             / "OfflineKeywords_ordering.csv")
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    table = pruning.train_point("smoke", ensemble, candidates, "hardest", 0.1, [1], 0,
                                log=lambda line: None)
    assert len(table) == 1 and 0 <= table["test_accuracy"].iloc[0] <= 1
    assert table["removed"].iloc[0] == 2
    (run,) = replace(ensemble, datasets=("OfflineKeywords",), models=ensemble.models[:1],
                     seeds=(1,), seeds_by_model=()).runs
    point = pruning.point_profile("smoke", "hardest", 0.1)
    seen = set(toolkit.run_split_table(training.run_dir(point, run))["path"])
    gone = set(pruning.removed(candidates, "hardest", 0.1))
    assert not seen & gone and len(seen) == len(candidates) - 2
    again = pruning.train_point("smoke", ensemble, candidates, "hardest", 0.1, [1], 0,
                                log=lambda line: None)
    assert again.equals(table)
