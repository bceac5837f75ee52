"""The clips to review: every training clip once, hardest first, its columns documented, the
labels as given, the injected ones marked as the data records them."""
from __future__ import annotations

import re

import pandas as pd

from lib import data, difficulty, groundtruth, paths, profiles, record, review, scoring
from lib.datasets import layout_of


def _documented(column: str, definitions: list[str]) -> bool:
    patterns = [re.escape(name).replace(re.escape("<definition>"), "(?P<d>.+)")
                for name in review.COLUMNS]
    for pattern in patterns:
        match = re.fullmatch(pattern, column)
        if match and (match.groupdict().get("d") is None or match["d"] in definitions):
            return True
    return False


def test_every_training_clip_is_listed_once_hardest_first_with_documented_columns(
        smoke_notebooks, smoke):
    numbers = record.load("smoke", record.Review.CHAPTER)
    for dataset in smoke["DATASETS"]:
        table = pd.read_csv(paths.review_file("smoke", dataset), keep_default_na=False)
        samples = data.samples("smoke", dataset)
        trained = scoring.read_ordering("smoke", dataset)["sample_id"]  # the runs' clips
        train = samples.loc[trained]
        assert (samples.loc[trained, "split"] == "train").all()
        assert sorted(table["clip"]) == sorted(trained)  # every clip once, by identity
        assert list(table["rank"]) == list(range(1, len(train) + 1))
        ordered_by = numbers[dataset][record.Review.ORDERED_BY]
        scores = pd.to_numeric(table[ordered_by])
        assert scores.is_monotonic_decreasing, dataset
        tied = table[scores == scores.iloc[0]]["clip"]  # ties in a hash order, not by name
        assert list(tied) == sorted(tied, key=difficulty.tie_key)
        assert all(_documented(c, smoke["DEFINITIONS"]) for c in table.columns), table.columns
        assert paths.review_file("smoke", dataset).with_suffix(".md").read_text().count(
            ordered_by) >= 1
        by_clip = table.set_index("clip")
        kinds = groundtruth.present(train)
        for kind, column in kinds.items():
            marked = set(by_clip.index[by_clip["injected"] == kind])
            assert marked == set(train.index[train[column].astype(bool)]), (dataset, kind)
        target = layout_of(dataset).target_column
        given = (train[groundtruth.GIVEN_LABEL_COLUMN] if layout_of(dataset).user
                 else train[target])
        assert (by_clip.loc[train.index, "label"] == given.astype(str)).all()
        assert (by_clip.loc[train.index, "trained_as"] == train[target].astype(str)).all()
        if kinds:
            assert numbers[dataset][record.Review.INJECTED_AT_THE_TOP] is not None
        # cleanlab wherever CVLoss ran, ground truth or not (the scenes have none)
        assert (table["cleanlab_score"] != "").any(), dataset


def test_the_chapter_plays_the_top_of_each_list(smoke_book, smoke):
    page = (smoke_book / "book" / "executed" / "10_review.html").read_text()
    top = profiles.load("smoke")["REVIEW_TOP"]
    for dataset in smoke["DATASETS"]:
        assert f"{dataset}: the {top} hardest training clips" in page
    assert page.count("<audio") >= top * len(smoke["DATASETS"])
