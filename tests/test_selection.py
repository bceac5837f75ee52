"""Easy / medium / hard bands per class: sizes, ties, small classes."""
import numpy as np
import pandas as pd
import pytest

from lib import selection


def ordering(sizes: dict[str, int], seed: int = 0) -> pd.DataFrame:
    rows = [{"sample_id": f"{label}/{i:03d}.wav", "label": label}
            for label, size in sizes.items() for i in range(size)]
    table = pd.DataFrame(rows)
    table["rank"] = np.random.default_rng(seed).permutation(len(table)) / max(len(table) - 1, 1)
    return table


def test_bands_are_the_easiest_middle_and_hardest_of_each_class():
    table = ordering({"yes": 30, "no": 9})
    chosen = selection.select(table, k=3)
    for label, size in (("yes", 30), ("no", 9)):
        ranks = table[table["label"] == label]["rank"].sort_values().to_list()
        mine = chosen[chosen["label"] == label]
        assert mine[mine["band"] == "easy"]["rank"].to_list() == ranks[:3]
        assert mine[mine["band"] == "hard"]["rank"].to_list() == ranks[-3:]
        middle = {30: [14, 15, 16], 9: [3, 4, 5]}[size]  # centred on the median position
        assert mine[mine["band"] == "medium"]["rank"].to_list() == [ranks[p] for p in middle]
        assert mine["place"].to_list() == [1, 2, 3] * 3


def test_ties_are_broken_by_sample_id_whatever_the_row_order():
    table = ordering({"yes": 12})
    table["rank"] = 0.5  # all tied
    first = selection.select(table, k=2)
    again = selection.select(table.sample(frac=1, random_state=3), k=2)
    pd.testing.assert_frame_equal(first, again)
    assert first[first["band"] == "easy"]["sample_id"].to_list() == ["yes/000.wav",
                                                                    "yes/001.wav"]


@pytest.mark.parametrize("size, expected", [
    (5, {"easy": 1, "medium": 1, "hard": 1}),
    (2, {"easy": 1, "medium": 0, "hard": 1}),
    (1, {"easy": 1, "medium": 0, "hard": 0}),
])
def test_k_larger_than_a_class_gives_smaller_disjoint_bands(size, expected):
    chosen = selection.select(ordering({"yes": size}), k=10)
    assert chosen.groupby("band").size().reindex(list(expected), fill_value=0).to_dict() \
        == expected
    assert chosen["sample_id"].is_unique


def test_bad_k_or_ordering_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        selection.select(ordering({"yes": 3}), k=0)
    with pytest.raises(ValueError, match="lacks column 'rank'"):
        selection.select(ordering({"yes": 3}).drop(columns="rank"))
