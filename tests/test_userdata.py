"""A user's own labelled audio: the import's checks, one line each, on real recordings.

The clips are real human speech from a Debian package (``asterisk-core-sounds-en-wav``: one
speaker's number words, letter names and phonetic alphabet, 8 kHz), some re-encoded to other
formats, rates and channel counts, plus a handful of broken files, in both conventions a user
may bring: class subfolders and a labels CSV.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from lib import (audio, datasets, explain, groundtruth, noise, paths, profiles, projection,
                 realspeech, run, userdata, userprofile)
from lib.groundtruth import FLIPPED_COLUMN

CLASSES = realspeech.PROMPT_CLASSES
#: The broken files added to the real ones, and the line the import must give each.
BROKEN = {"numbers/empty.wav": "empty file (0 bytes)",
          "letters/text.wav": "not readable as audio (Format not recognised.)",
          "phonetic/nan.wav": "100 of 300 samples are NaN or infinite",
          "letters/zero.wav": "no audio samples (zero length)",
          "numbers/dup.wav": "identical audio under two labels: letters/a.wav (letters), "
                             "numbers/dup.wav (numbers)"}


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(folder.rglob("*")):
        if file.is_file():
            digest.update(str(file.relative_to(folder)).encode() + file.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def prompts(tmp_path_factory) -> Path:
    """Every prompt in class subfolders, in mixed formats, rates and channels, plus the broken
    files (:func:`lib.realspeech.write_prompts`)."""
    try:
        return realspeech.write_prompts(tmp_path_factory.mktemp("user") / "prompts")
    except noise.SourceError as err:
        pytest.fail(f"the real prompts could not be had: {err}")


def test_every_problem_of_the_input_is_one_line_naming_the_file_and_nothing_is_written(
        prompts, tmp_path):
    before = _digest(prompts)
    copy = tmp_path / "copy"
    with pytest.raises(userdata.ImportRefused) as refused:
        userdata.import_dataset(userdata.Source(prompts), copy, "prompts",
                                userdata.ImportSettings(), progress=False)
    lines = str(refused.value).splitlines()
    assert lines[0] == f"{len(BROKEN)} problems in the input, nothing imported:"
    for file, problem in BROKEN.items():
        said = [line for line in lines if line.strip().startswith(f"{prompts / file}: ")]
        assert len(said) == 1 and problem in said[0], (file, lines)
    assert len(lines) == 1 + len(BROKEN)
    assert not copy.exists() and not copy.with_name("copy.partial").exists()
    assert _digest(prompts) == before  # the user's files are only read


def test_dropping_bad_files_imports_the_rest_as_16k_mono_clips_of_one_length(prompts, tmp_path):
    before = _digest(prompts)
    settings = userdata.ImportSettings(flip_fraction=0.1, drop_bad=True, seed=3)
    messages: list[str] = []
    copy = userdata.import_dataset(userdata.Source(prompts), tmp_path / "copy", "prompts",
                                   settings, progress=False, log=messages.append)
    manifest = __import__("json").loads((copy / "manifest.json").read_text())
    assert len(manifest["dropped"]) == len(BROKEN)
    assert all(any(line.startswith(f"{f}: ") for line in manifest["dropped"]) for f in BROKEN)
    metadata = pd.read_csv(copy / "metadata.csv").set_index("path")
    assert set(metadata["source_sample_rate"]) == {8000, 22050, 44100}
    assert set(metadata["source_channels"]) == {1, 2}
    seconds = manifest["clip_seconds"]
    assert seconds == userdata.clip_seconds(metadata["source_seconds"], settings)
    for path in metadata.index[::15]:
        info = sf.info(str(copy / "default" / path))
        assert (info.samplerate, info.channels) == (16000, 1)
        assert info.frames == round(seconds * 16000)
    splits = {split: pd.read_csv(copy / f"{split}.csv") for split in userdata.SPLITS}
    for split, table in splits.items():
        assert set(table["label"]) == set(CLASSES.values()), split
        assert (metadata.loc[table["path"], "split"] == split).all()
    flipped = metadata[metadata[FLIPPED_COLUMN]]
    assert len(flipped) == round(0.1 * len(splits["train"])) == manifest["flipped"]
    assert (flipped["split"] == "train").all()
    train = splits["train"].set_index("path")["label"]
    assert (train[flipped.index] != flipped["label_given"]).all()
    assert _digest(prompts) == before
    again: list[str] = []
    userdata.import_dataset(userdata.Source(prompts), copy, "prompts", settings,
                            progress=False, log=again.append)
    assert any("reusing" in line for line in again)  # re-running reuses the copy


def _labels_csv(prompts: Path, folder: Path, rows: list[dict]) -> Path:
    file = folder / "labels.csv"
    pd.DataFrame(rows).to_csv(file, index=False)
    return file


def _good_rows(prompts: Path) -> list[dict]:
    """Every readable prompt with a speaker-like group (its first letter) and a covariate."""
    rows = []
    for file in sorted(prompts.rglob("*")):
        name = str(file.relative_to(prompts))
        if file.is_file() and name not in BROKEN:
            rows.append({"file": name, "label": name.split("/")[0],
                         "group": file.name[0], "loudness": file.stat().st_size % 7})
    return rows


def test_a_labels_csv_gets_every_problem_of_its_rows_at_once(prompts, tmp_path):
    rows = [{**row, "split": "train"} for row in reversed(_good_rows(prompts))]  # phonetic first
    rows[0]["split"] = "validation"
    rows[1]["label"] = ""
    rows[2]["label"] = "rare"  # a class of one clip
    groups = pd.Series([row["group"] for row in rows])
    spread = next(g for g, n in groups.value_counts().items()
                  if n > 2 and g not in {rows[i]["group"] for i in range(3)})
    next(row for row in reversed(rows) if row["group"] == spread)["split"] = "test"
    rows.append(dict(rows[5]))  # listed twice
    rows.append({"file": "numbers/missing.wav", "label": "numbers", "split": "train",
                 "group": "missing", "loudness": 0})
    # the same audio as letters/a.wav (in train), in test
    rows.append({"file": "numbers/dup.wav", "label": "letters", "split": "test",
                 "group": "twin", "loudness": 0})
    labels = _labels_csv(prompts, tmp_path, rows)
    _, _, problems = userdata.check(userdata.Source(prompts, labels), progress=False)
    said = [str(p) for p in problems]
    expected = [f"{labels}, line 2 ({rows[0]['file']}): unknown split 'validation'",
                f"{labels}, line 3 ({rows[1]['file']}): empty label",
                f"{labels} ({rows[5]['file']}): listed 2 times",
                f"{prompts / 'numbers/missing.wav'}: file does not exist",
                f"{prompts / 'numbers/dup.wav'}: identical audio in train and test",
                f"group {spread!r}: in more than one split",
                "class 'rare': 1 clip, fewer than its 3 splits need"]
    for line in expected:
        assert sum(s.startswith(line) for s in said) == 1, (line, said)
    assert len(said) == len(expected), said


def test_class_names_are_text_everywhere_and_a_missing_looking_one_is_refused(prompts,
                                                                                 tmp_path):
    """Classes named 007, 010 and 100 stay those names in the copy, in every reader of lib and
    in the dataset autrainer trains on (its own reader would give 7, 10, 100); a class named
    NA, which CSV readers take for a missing value, is one line, and so is one named like a
    column of the tables with a column per class."""
    from types import SimpleNamespace

    from lib.toolkit.own_data import OwnClassificationDataset

    rows = _good_rows(prompts)
    names = dict(zip(sorted({row["label"] for row in rows}), ["007", "010", "100", "0042"]))
    numbered = [{**row, "label": names[row["label"]]} for row in rows]
    source = userdata.Source(prompts, _labels_csv(prompts, tmp_path, numbered))
    copy = userdata.import_dataset(source, tmp_path / "copy", "numbered",
                                   userdata.ImportSettings(flip_fraction=0.2), progress=False)
    layout = datasets.layout_of("numbered")
    expected = set(names.values())
    assert set(datasets.read_split(copy, layout, "train")["label"]) <= expected
    metadata = datasets.load_metadata(copy, layout, groundtruth.CLASS_COLUMNS)
    assert set(metadata["label"]) == set(metadata[groundtruth.GIVEN_LABEL_COLUMN]) == expected
    tables = OwnClassificationDataset.load_dataframes(
        SimpleNamespace(path=str(copy), index_column="path", target_column="label"))
    assert set(pd.concat(tables)["label"]) == expected
    renamed = {rows[0]["label"]: "NA", rows[-1]["label"]: "confidence"}
    named_na = [{**row, "label": renamed.get(row["label"], row["label"])} for row in rows]
    _, _, problems = userdata.check(
        userdata.Source(prompts, _labels_csv(prompts, tmp_path, named_na)), progress=False)
    assert [str(p) for p in problems] == [
        "class 'NA': reads as a missing value in CSV tools (pandas, autrainer) (rename the "
        "class, e.g. 'NA_')",
        "class 'confidence': is a column name of the book's tables of class probabilities "
        "(rename the class, e.g. 'confidence_')"]


def test_generated_splits_are_stratified_and_never_split_a_group_or_identical_audio(
        prompts, tmp_path):
    rows = _good_rows(prompts)
    rows.append({"file": "numbers/dup.wav", "label": "letters", "group": "twin", "loudness": 0})
    labels = _labels_csv(prompts, tmp_path, rows)
    copy = userdata.import_dataset(userdata.Source(prompts, labels), tmp_path / "copy",
                                   "prompts", userdata.ImportSettings(seed=5), progress=False)
    metadata = pd.read_csv(copy / "metadata.csv")
    assert "loudness" in metadata and "group" in metadata  # covariates are kept
    assert (metadata.groupby("group")["split"].nunique() == 1).all()
    twins = metadata.set_index("source_file").loc[["letters/a.wav", "numbers/dup.wav"], "split"]
    assert twins.nunique() == 1  # identical audio is kept in one split
    shares = metadata["split"].value_counts(normalize=True)
    assert 0.05 < shares["test"] < 0.2 and 0.05 < shares["dev"] < 0.2
    assert pd.crosstab(metadata["label_given"], metadata["split"]).gt(0).all().all()


def test_a_short_clip_is_padded_at_its_own_floor_and_a_long_one_keeps_its_loudest_window():
    rate = 16000
    rng = np.random.default_rng(0)
    floor = 0.01 * rng.standard_normal(rate // 2).astype(np.float32)
    word = floor.copy()
    word[3000:5000] += np.sin(np.arange(2000) / 5).astype(np.float32)
    padded = audio.fit_clip(word, rate, 1.0)
    assert len(padded) == rate
    edge = padded[:rate // 4 - 100]
    assert 0.5 < audio.rms(edge) / 0.01 < 2  # the clip's own floor, not digital silence
    assert np.array_equal(padded[rate // 4:rate // 4 + len(word)], word)
    long = np.concatenate([floor, word, floor])
    cut = audio.fit_clip(long, rate, 0.25)
    assert len(cut) == rate // 4 and audio.rms(cut) > 0.3


def test_the_clip_length_is_a_percentile_of_the_durations_rounded_up():
    durations = pd.Series(np.linspace(0.3, 1.43, 100))
    settings = userdata.ImportSettings(clip_percentile=90)
    assert userdata.clip_seconds(durations, settings) == 1.4
    assert userdata.clip_seconds(durations, userdata.ImportSettings(clip_seconds=2.0)) == 2.0
    assert userdata.clip_seconds(pd.Series([0.1, 0.2]), settings) == userdata.MIN_CLIP_SECONDS


def test_every_chapters_training_is_counted_in_sample_epochs():
    values = profiles.load("demo")  # Cnn10 x 3 seeds, Cnn14 x 1, 6 epochs
    work = projection.sample_epochs(values, 600, ground_truth=True)
    assert work["training"] == {"Cnn10": 3 * 6 * 600, "Cnn14": 1 * 6 * 600}
    assert work["definitions"] == {"Cnn10": pytest.approx(3 * 3 * 600 * 2 / 3)}  # CVLoss folds
    assert work["validation"] == {"Cnn10": 1 * 1 * 6 * 600}  # one sweep point, one seed
    assert work["pruning"] == {"Cnn10": pytest.approx(4 * 6 * 600 * 0.9)}  # 4 rules at 10 %
    pace = 0.75 * (1 + 0.2) / 2 + 0.25  # linear from a fifth to all at three quarters
    assert work["curricula"] == {"Cnn10": pytest.approx(3 * 6 * 600 * pace)}
    blind = projection.sample_epochs(values, 600, ground_truth=False)
    assert "validation" not in blind and blind["pruning"]["Cnn10"] == pytest.approx(3 * 3240)


def test_grad_cams_and_masking_passes_are_counted_per_class_band_and_seed():
    values = profiles.load("demo")  # SELECTION_K 10, EXPLAIN_MODEL Cnn10 of 3 seeds, 3 shares
    assert projection.explained_maps(values, 600, classes=6) == 30 * 6 * 3
    assert projection.explained_maps(values, 600, classes=50) == 12 * 50 * 3  # 12 per class
    forwards = 1 + 3 * (1 + explain.RANDOM_MASKS)  # unmasked, then top and 5 random per share
    assert projection.explanation_steps(values, 10) == pytest.approx(10 * (1 + forwards / 3))
    few, many = (projection.project(values, 600, 1.0, True, classes, {"Cnn10": 60.0,
                                                                       "Cnn14": 10.0})
                 for classes in (6, 20))
    assert many.explanation_minutes > 3 * few.explanation_minutes
    assert many.total - few.total == pytest.approx(many.explanation_minutes
                                                   - few.explanation_minutes)


def test_step_rates_are_kept_per_machine_and_shape_and_say_when_measured(tmp_path,
                                                                         monkeypatch):
    measured = []
    monkeypatch.setattr(projection, "step_rate",
                        lambda model, *args, **kwargs: measured.append(model) or 50.0)
    kept = tmp_path / "step_rates.json"
    assert projection.cached_rates(kept, ["Cnn10"], 1.0, 16, "bf16") == ({"Cnn10": 50.0},
                                                                         ["Cnn10"])
    assert projection.cached_rates(kept, ["Cnn10", "Cnn14"], 1.0, 16, "bf16")[1] == ["Cnn14"]
    assert projection.cached_rates(kept, ["Cnn10"], 1.0, 16, "bf16")[1] == []
    assert projection.cached_rates(kept, ["Cnn10"], 2.5, 16, "bf16")[1] == ["Cnn10"]
    assert measured == ["Cnn10", "Cnn14", "Cnn10"]


def test_a_training_step_rate_is_measured_here():
    assert projection.step_rate("Cnn10", 0.5, 4, "bf16", steps=2) > 0


@pytest.fixture()
def own_profiles(tmp_path, monkeypatch):
    """A profiles folder holding the demo profile, and step rates fixed at Cnn10 200 clips/s
    and Cnn14 40 (the sizing is tested, not this machine)."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    shutil.copy(paths.profile_file("demo"), folder / "demo.yaml")
    monkeypatch.setattr(paths, "PROFILES", folder)
    rates = {"Cnn10": 200.0, "Cnn14": 40.0}
    monkeypatch.setattr(projection, "step_rate", lambda model, *args, **kwargs: rates[model])
    return folder


def test_make_profile_sizes_the_profile_to_the_budget_and_never_overwrites(prompts,
                                                                          own_profiles, capsys):
    args = ["--name", "prompts", "--audio", str(prompts), "--minutes", "20", "--drop-bad"]
    assert userprofile.main(args) == 0
    said = capsys.readouterr().out
    values = profiles.load("prompts")
    assert values["DATASETS"] == ["prompts"] and values["USER_AUDIO"] == str(prompts)
    assert values["DROP_BAD_FILES"] and values["FLIP_FRACTION"] == userprofile.DEFAULT_FLIP_FRACTION
    train = round((len(list(prompts.rglob("*.*"))) - len(BROKEN)) * 0.8)
    seconds = float(re.search(r"cut or padded to ([0-9.]+) s", said).group(1))
    chosen = projection.project(values, train, seconds, True, len(CLASSES),
                                {"Cnn10": 200.0, "Cnn14": 40.0})
    assert chosen.total <= 20 and f"projected: {chosen.total:.0f} minutes" in said
    rung = next(i for i, r in enumerate(userprofile.LADDER)
                if all(values[k] == v for k, v in r.items()))
    if rung:  # the rung before it is over the budget
        before = {**values, **userprofile.LADDER[rung - 1]}
        assert projection.project(before, train, seconds, True, len(CLASSES),
                                  chosen.rates).total > 20
    assert userprofile.main(args) == 1  # an existing profile is never overwritten
    assert "exists" in capsys.readouterr().err


def test_make_profile_lists_every_problem_and_writes_nothing(prompts, own_profiles, capsys):
    assert userprofile.main(["--name", "mine", "--audio", str(prompts)]) == 1
    err = capsys.readouterr().err
    assert all(str(prompts / file) in err for file in BROKEN)
    assert not (own_profiles / "mine.yaml").exists()
    assert userprofile.main(["--name", "my data", "--audio", str(prompts)]) == 1
    assert "nor a usable name" in capsys.readouterr().err


def test_a_csv_column_named_like_the_copys_own_is_refused(prompts, tmp_path):
    labels = _labels_csv(prompts, tmp_path, [{**row, "source_seconds": 1.0}
                                             for row in _good_rows(prompts)])
    _, _, problems = userdata.check(userdata.Source(prompts, labels), progress=False)
    assert [str(p) for p in problems] == [f"{labels}: column 'source_seconds' is a name the "
                                          "book's copy uses (rename the column)"]


def test_a_profile_runs_the_cells_for_its_datasets_only():
    stand_ins, own = ["OfflineKeywords", "SyntheticScenes"], ["mine"]
    for tag, applies_to in (("keyword-set", stand_ins), ("paper-data", stand_ins),
                            ("own-data", own)):
        other = own if applies_to is stand_ins else stand_ins
        assert datasets.cell_applies([tag], applies_to) and not datasets.cell_applies([tag], other)
    assert datasets.cell_applies(["parameters", "finding"], own)  # other tags keep a cell
    for names, kept, left_out in ((own, "your own labelled audio", "35 spoken keywords"),
                                  (stand_ins, "35 spoken keywords", "your own labelled audio")):
        sources = " ".join(cell.source for cell in
                           run.for_datasets(paths.NOTEBOOKS / "00_data.ipynb", names).cells)
        assert kept in sources and left_out not in sources
