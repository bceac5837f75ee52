"""Pruning rules: the right samples, the right count, classes kept, ties broken by sample id."""
from __future__ import annotations

import pandas as pd
import pytest

from lib import data, difficulty, paths, profiles, pruning, toolkit


def ordering(n: int = 20) -> pd.DataFrame:
    labels = ["no", "one", "tree", "zero"]
    table = pd.DataFrame({"sample_id": [f"{labels[i % 4]}/clip_{i:02d}.wav" for i in range(n)],
                          "label": [labels[i % 4] for i in range(n)],
                          "rank": [round(i / (n - 1), 3) for i in range(n)]})
    table["label_quality"] = 1 - table["rank"]
    table["mislabelled"] = table["rank"] > 0.9
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
    assert list(first) == sorted(table["sample_id"], key=difficulty.tie_key)[:2]
    assert list(pruning.removed(table.iloc[::-1], "hardest", 0.1)) == list(first)


def test_a_large_tie_is_not_broken_in_class_order():
    """When most samples tie (every one right at every epoch), the easiest share must not be
    the alphabetically first classes."""
    table = ordering(400).assign(rank=0.0)
    gone = pruning.removed(table, "easiest", 0.25)
    per_class = table.set_index("sample_id").loc[gone, "label"].value_counts()
    assert len(per_class) == 4 and per_class.min() >= 10


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
        table.loc[table["mislabelled"], "sample_id"])


def test_bad_requests_are_one_line():
    table = ordering()
    with pytest.raises(pruning.PruningError, match="unknown pruning rule 'median'"):
        pruning.removed(table, "median", 0.1)
    with pytest.raises(pruning.PruningError, match="needs a 'label_quality' column"):
        pruning.removed(table.drop(columns="label_quality"), "cleanlab", 0.1)
    with pytest.raises(pruning.PruningError, match=r"must be in \[0, 1\)"):
        pruning.removed(table, "hardest", 1.0)
    single = ordering().assign(label=lambda t: ["rare"] + ["common"] * (len(t) - 1))
    single = single.assign(mislabelled=lambda t: t["label"] == "rare")
    with pytest.raises(pruning.PruningError, match="every training sample of class 'rare'"):
        pruning.removed(single, "oracle", 0.05)
    with pytest.raises(pruning.PruningError, match="would leave a class of the 4 without"):
        pruning.removed(table, "hardest", 0.9)


@pytest.mark.parametrize("rule", ["hardest", "easiest", "random", "cleanlab"])
def test_a_class_last_sample_is_passed_over_and_the_count_kept(rule):
    table = ordering().assign(label=lambda t: ["rare"] + ["common"] * (len(t) - 1))
    rare = table["label"] == "rare"
    table = table.assign(rank=lambda t: rare.astype(float) if rule != "easiest"
                         else 1 - rare.astype(float), label_quality=lambda t: 1 - rare)
    gone = pruning.removed(table, rule, 0.25, seed=2)
    assert len(gone) == 5 and table.loc[rare, "sample_id"].iloc[0] not in gone


def test_only_training_samples_leave_the_split():
    split = pd.DataFrame({"path": ["a.wav", "b.wav", "c.wav"], "label": ["no", "no", "one"]})
    assert list(pruning.kept_split(split, pd.Index(["b.wav"]), "path")["path"]) == [
        "a.wav", "c.wav"]
    with pytest.raises(pruning.PruningError, match="'dev.wav': it is not a training sample"):
        pruning.kept_split(split, pd.Index(["dev.wav"]), "path")


@pytest.mark.parametrize("dataset", ["OfflineKeywords", "SyntheticScenes"])
def test_a_pruned_copy_drops_only_the_removed_training_rows(smoke_data, dataset, tmp_path,
                                                            monkeypatch):
    from lib import datasets, toolkit

    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    source = tmp_path / "data" / "smoke" / dataset
    source.parent.mkdir(parents=True)
    source.symlink_to(paths.ROOT / "data" / "smoke" / dataset, target_is_directory=True)
    layout = datasets.LAYOUTS[dataset]
    train = pd.read_csv(source / "train.csv", keep_default_na=False)
    gone = pd.Index(train[layout.index_column].iloc[[0, 3]])
    target = pruning.pruned_copy("smoke", "smoke/prune/test10", dataset, gone,
                                 log=lambda line: None)
    kept = pd.read_csv(target / "train.csv", keep_default_na=False)
    assert len(kept) == len(train) - 2 and not kept[layout.index_column].isin(gone).any()
    assert kept.equals(train[~train[layout.index_column].isin(gone)].reset_index(drop=True))
    for split in layout.splits[1:]:
        assert (target / f"{split}.csv").read_bytes() == (source / f"{split}.csv").read_bytes()
    if layout.metadata_file:
        metadata = pd.read_csv(target / "metadata.csv", keep_default_na=False)
        assert len(metadata) == len(pd.read_csv(source / "metadata.csv")) - 2
        assert not metadata["path"].isin(gone).any()
    assert (target / "default").resolve() == (source / "default").resolve()
    loaded = toolkit.load_dataset("smoke/prune/test10", dataset)  # as autrainer reads it
    assert not pd.concat([loaded.df_train, loaded.df_dev])[layout.index_column].isin(gone).any()
    assert loaded.df_test.equals(toolkit.load_dataset("smoke", dataset).df_test)
    before = datasets.read_manifest(target)
    pruning.pruned_copy("smoke", "smoke/prune/test10", dataset, gone[::-1],
                        log=lambda line: None)  # reused
    assert datasets.read_manifest(target) == before


def test_what_the_removed_samples_were_and_which_classes_lost_them():
    kinds = pd.Series(["flipped label", "non-speech", "low-SNR genuine", "clean genuine"] * 2,
                      index=[f"s{i}" for i in range(8)])
    labels = pd.Series(["no", "no", "no", "no", "one", "one", "one", "one"], index=kinds.index)
    point = pruning.Point("x", (), "hardest", 0.25, pd.Index(["s0", "s1", "s4"]))
    table = pruning.composition([point], kinds)
    assert table.loc[("hardest", 0.25)].to_dict() == {
        "flipped label": 2, "non-speech": 1, "low-SNR genuine": 0, "clean genuine": 0}
    shares = pruning.removed_per_class([point], labels)
    assert shares.loc[("hardest", 0.25)].to_dict() == {"no": 0.5, "one": 0.25}


def test_the_keyword_kinds_split_genuine_clips_at_the_median_snr(smoke_data):
    kinds = pruning.kinds_by_snr("smoke", "OfflineKeywords")
    train = data.samples("smoke", "OfflineKeywords").query("split == 'train'")
    assert kinds.index.equals(train.index) and set(kinds) <= set(pruning.REMOVED_KINDS)
    assert (kinds == "flipped label").sum() == train["label_flipped"].astype(bool).sum()
    genuine = train[kinds.isin(["low-SNR genuine", "clean genuine"])]
    low = genuine[kinds.reindex(genuine.index) == "low-SNR genuine"]["snr_db"]
    assert low.max() < genuine["snr_db"].median() <= genuine["snr_db"].max()
    assert pruning.kinds_by_snr("smoke", "SyntheticScenes") is None


def test_a_pruning_point_trains_on_the_pruned_set(smoke_notebooks, ensemble):
    """The smoke notebook's hardest point went through the real autrainer path: its run saw
    every training sample but the removed ones, its test accuracy and recalls come back, and
    asking for it again trains nothing."""
    from lib import toolkit, training

    candidates = pruning.removal_candidates("smoke", "OfflineKeywords")
    assert candidates["mislabelled"].sum() > 0
    lines = []
    point = pruning.train_point("smoke", ensemble, "OfflineKeywords", candidates, "hardest",
                                0.1, [1], 0, log=lines.append)
    assert any("1 of 1 runs of 1 point(s) already trained; training 0" in line
               for line in lines), lines
    table = point.metrics()
    assert len(table) == 1 and 0 <= table["test_accuracy"].iloc[0] <= 1
    assert table["removed"].iloc[0] == 2 == len(point.removed)
    assert point.profile == paths.prune_profile("smoke", "hardest", 0.1)
    (run,) = point.runs
    seen = set(toolkit.run_split_table(training.run_dir(point.profile, run))["path"])
    gone = set(pruning.removed(candidates, "hardest", 0.1))
    assert not seen & gone and len(seen) == len(candidates) - 2
    recalls = point.recalls()
    assert set(recalls["label"]) == set(candidates["label"]) and recalls["recall"].between(0, 1).all()


def test_the_unpruned_baseline_needs_seeds_of_the_main_ensemble(smoke_notebooks, ensemble):
    baseline = pruning.unpruned("smoke", ensemble, "OfflineKeywords", [1])
    assert baseline.rule == "none" and not len(baseline.removed)
    table = pruning.accuracy_table([], baseline)
    assert table["difference"].iloc[0] == 0
    with pytest.raises(pruning.PruningError, match="pruning seed 7 is not a seed of Cnn10"):
        pruning.unpruned("smoke", ensemble, "OfflineKeywords", [7])


def test_every_rule_a_profile_may_name_is_applied_and_planned_once():
    table = ordering()
    for rule in profiles.SCHEMA["PRUNE_RULES"].choices:
        assert len(pruning.removed(table, rule, 0.1, seed=1)) >= 1, rule
    assert [rule for rule, _ in pruning.plan(["oracle", "hardest"], [0.05, 0.1])] == [
        "hardest", "hardest", "oracle"]


def test_the_smoke_notebook_records_every_point_and_what_it_removed(smoke_notebooks):
    """notebooks/08_pruning on the smoke profile: a point per rule x share (the oracle once,
    keyword set only), each against the unpruned run; the oracle removed exactly the mislabelled
    clips, and every composition adds up to the count removed."""
    from lib import record
    from lib.groundtruth import FLIPPED, MISLABELLED, NONSPEECH

    P, D = record.Pruning, record.Data
    values = profiles.load("smoke")
    numbers = record.load("smoke", P.CHAPTER)
    described = record.load("smoke", D.CHAPTER)["OfflineKeywords"]
    keyword_set = numbers["OfflineKeywords"]
    expected = [pruning.point_name(rule, fraction)
                for rule, fraction in pruning.plan(values["PRUNE_RULES"], values["PRUNE_FRACTIONS"])
                if rule != "oracle"]
    assert [name for name in keyword_set[P.POINTS] if not name.startswith("oracle")] == expected
    (oracle,) = [name for name in keyword_set[P.POINTS] if name.startswith("oracle")]
    kinds = described[D.KINDS]  # the oracle removes the mislabelled kinds, nothing else
    assert keyword_set[P.COMPOSITION][oracle] == {
        **{kind: kinds[kind] if kind in MISLABELLED else 0 for kind in kinds},
        pruning.LOW_SNR: 0, pruning.CLEAN: 0}
    assert keyword_set[P.COMPOSITION][oracle][FLIPPED] == described[D.FLIPPED] > 0
    assert keyword_set[P.COMPOSITION][oracle][NONSPEECH] == described[D.NONSPEECH] > 0
    for name, point in keyword_set[P.POINTS].items():
        assert sum(keyword_set[P.COMPOSITION][name].values()) == point[P.REMOVED]
        assert 0 <= point[P.TEST_ACCURACY] <= 1
        label, share = keyword_set[P.MOST_REMOVED_CLASS][name]
        assert label in values["KEYWORDS"] and 0 < share < 1
    scenes = numbers["SyntheticScenes"]
    assert P.COMPOSITION not in scenes
    assert not any(n.startswith("oracle") for n in scenes[P.POINTS])
    assert len(scenes[P.POINTS]) + len(scenes[P.SKIPPED]) == len(expected)


def test_the_smoke_notebook_trains_its_points_in_one_autrainer_command(smoke_notebooks):
    """No command start per point or dataset: notebooks/08_pruning's runs were trained by one
    `autrainer train`, in the shared points folder. Each pruning run is matched to the command
    in the ledger that was running when the run finished (the ledger keeps every build's
    commands, so a rebuild that reused the points still finds the commands that made them)."""
    import json

    ledger = paths.command_ledger(paths.results_dir("smoke"))
    trains = [e for e in map(json.loads, ledger.read_text().splitlines())
              if e["tool"] == "autrainer" and e["args"][0] == "train"]
    finished = [metrics.stat().st_mtime
                for point in (paths.results_dir("smoke") / "prune").iterdir()
                for metrics in toolkit.runs_dir(f"smoke/prune/{point.name}").glob(
                    f"*/{toolkit.METRICS_FILE}")]
    assert finished
    makers = {json.dumps(next(e for e in trains
                              if e["started"] - 1 <= when <= e["started"] + e["seconds"] + 1))
              for when in finished}
    assert len(makers) == 1, makers
    assert {json.loads(e)["work"] for e in makers} == {
        f"{paths.points_profile('smoke')}/autrainer"}


def record_points() -> dict:
    from lib import record

    return {dataset: numbers[record.Pruning.POINTS]
            for dataset, numbers in record.load("smoke", record.Pruning.CHAPTER).items()}
