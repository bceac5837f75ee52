"""Easy / medium / hard bands per class: sizes, ties, small classes."""
import numpy as np
import pandas as pd
import pytest

from lib import paths, selection


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


# --- Saved selection, gallery and explorer on the smoke ensemble ------------------------------

def test_every_selected_sample_has_audio_spectrogram_and_a_gradcam_per_seed(smoke_notebooks,
                                                                            smoke):
    from lib import gallery

    for dataset in smoke["DATASETS"]:
        chosen = selection.read("smoke", dataset)
        runs = [f"Cnn10_s{s}" for s in smoke["SEEDS"]]
        assert set(chosen["band"]) == set(selection.BANDS)
        folder = paths.selection_dir("smoke", dataset)
        for row in chosen.itertuples():
            sample = folder / row.folder
            names = {"audio.wav", "log_mel.npy", "log_mel.png",
                     *(f"gradcam_{r}.{ext}" for r in runs for ext in ("npy", "png"))}
            assert names <= {p.name for p in sample.iterdir()}, sample
            assert np.load(sample / f"gradcam_{runs[0]}.npy").shape == \
                np.load(sample / "log_mel.npy").shape
        explained = selection.read_explanations("smoke", dataset)
        assert len(explained) == len(chosen) * len(runs)
        html = gallery.gallery_html("smoke", dataset, chosen, 1)
        assert html.count("<audio") == chosen["label"].nunique() * 3
        assert html.count("data:image/png;base64,") == html.count("<audio")


def test_explorer_follows_its_controls(smoke_notebooks, smoke):
    from lib import gallery

    explorer = gallery.Explorer("smoke", smoke["DATASETS"])
    first_view, first_sample = explorer.view.value, explorer.current()["sample_id"]
    assert "<audio" in first_view and "data:image/png;base64," in first_view
    explorer.band.value = "hard"
    assert explorer.current()["band"] == "hard"
    assert explorer.current()["sample_id"] != first_sample
    assert explorer.view.value != first_view
    explorer.label.value = explorer.label.options[-1]
    assert explorer.current()["label"] == explorer.label.options[-1]
    explorer.place.value = explorer.place.max
    assert explorer.current()["place"] == explorer.place.max
    explorer.dataset.value = smoke["DATASETS"][-1]
    row = explorer.current()
    assert row["sample_id"] in explorer.view.value


def test_selection_is_reused_and_a_failed_rebuild_keeps_the_old_one(private_results, smoke,
                                                                    monkeypatch, ensemble, spec):
    from lib import explain

    dataset = "OfflineKeywords"
    key = paths.selection_dir("smoke", dataset) / "key.json"
    before = key.stat().st_mtime_ns
    lines = []
    selection.build("smoke", ensemble, spec, dataset,
                     log=lines.append)
    assert key.stat().st_mtime_ns == before and "unchanged" in lines[0]
    saved = selection.read("smoke", dataset)

    def broken(*args, **kwargs):
        raise RuntimeError("Grad-CAM failed")

    monkeypatch.setattr(explain, "gradcam", broken)
    with pytest.raises(RuntimeError, match="Grad-CAM failed"):
        selection.build("smoke", ensemble,
                        selection.Selection.from_parameters(
                            {**smoke, "SELECTION_K": smoke["SELECTION_K"] + 1}), dataset,
                        log=lines.append)
    pd.testing.assert_frame_equal(selection.read("smoke", dataset), saved)
    assert key.stat().st_mtime_ns == before
