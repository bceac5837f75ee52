"""``autrainer inference`` on awkward and broken files."""
import shutil

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from lib import calibration, inference, paths, record, toolkit, training


@pytest.fixture(scope="module")
def keyword_run(smoke_notebooks, smoke, ensemble):
    return inference.choose_run("smoke", ensemble, "OfflineKeywords")


def test_examples_cover_rates_channels_lengths_and_broken_files(smoke_notebooks):
    folder = inference.write_examples("smoke", "OfflineKeywords")
    truth = pd.read_csv(folder / "truth.csv", keep_default_na=False)
    infos = {row.filename: sf.info(str(folder / row.filename)) for row in truth.itertuples()
             if row.variant not in ("corrupt", "empty")}
    assert {i.samplerate for i in infos.values()} == {44100, 16000, 8000}
    assert {i.channels for i in infos.values()} == {1, 2}
    durations = sorted(i.duration for i in infos.values())
    assert durations[0] == pytest.approx(0.05, abs=0.005) and durations[-1] > 2
    assert pytest.approx(0.5, abs=0.01) in durations
    assert (folder / "empty.wav").stat().st_size == 0


def _odd_files(folder):
    """A battery of files a user might hand in, beside the generated examples."""
    sf.write(str(folder / "no_samples.wav"), np.zeros((0, 1)), 16000)
    sf.write(str(folder / "inf.wav"), np.r_[np.zeros(8000), np.inf, np.zeros(7999)]
             .astype(np.float32), 16000, subtype="FLOAT")
    (folder / "text.wav").write_text("these are not the samples you are looking for\n")
    sf.write(str(folder / "quiet.wav"), 1e-5 * np.random.default_rng(1).standard_normal(16000),
             16000, subtype="FLOAT")
    sf.write(str(folder / "zeros.wav"), np.zeros(16000), 16000, subtype="PCM_16")


#: The batch the odd files are classified as (the chapter's own examples stay as they are).
ODD = "odd_files"

ERRORS = {"corrupt.wav": "corrupt or not an audio file", "empty.wav": "empty file (0 bytes)",
          "no_samples.wav": "no audio samples", "text.wav": "corrupt or not an audio file",
          "nan.wav": "16000 of 16000 samples are not finite (NaN or Inf)",
          "inf.wav": "1 of 16000 samples are not finite (NaN or Inf)"}


def test_good_files_are_classified_bad_ones_named_in_one_line_and_reused(keyword_run,
                                                                         tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(inference.write_examples("smoke", "OfflineKeywords"), inputs)
    _odd_files(inputs)
    table = inference.predict("smoke", keyword_run, inputs, batch=ODD).set_index("filename")
    bad = table[table["error"] != ""]
    assert sorted(bad.index) == sorted(ERRORS)
    for name, problem in ERRORS.items():
        assert bad.loc[name, "error"].endswith(f"{name}: {problem}") or \
            f"{name}: {problem}" in bad.loc[name, "error"], bad.loc[name, "error"]
    assert all("\n" not in e for e in bad["error"])
    warned = table[table["warning"] != ""]["warning"]
    narrowband = [n for n in table.index if n.endswith("_8k.wav")]  # the smoke runs: no
    short = [n for n in table.index if n.endswith("_short.wav")]  # telephone augmentation
    long = [n for n in table.index if n.endswith("_long.wav")]
    assert narrowband and short and long and sorted(warned.index) == sorted(
        ["quiet.wav", "silent.wav", "zeros.wav", *narrowband, *short, *long,
         next(n for n in table.index if "_blip" in n)])
    # shaped as the training clips: 1 s, the loudest window or padded at the clip's floor
    assert all(warned[n].startswith("padded from 0.50 s to 1 s at its own floor") for n in short)
    assert all(warned[n].startswith("cut to its loudest 1 s of 2.50 s") for n in long)
    assert warned["silent.wav"].startswith("silent (") and "too short (0.05 s" in \
        warned[[n for n in warned.index if "_blip" in n][0]]
    assert all(warned[n].startswith("narrowband (") for n in narrowband)
    assert not any("narrowband" in warned[n] for n in ("quiet.wav", "silent.wav"))
    good = table[table["error"] == ""]
    assert len(good) == len(list(inputs.glob("*.wav"))) - len(ERRORS)
    labels = toolkit.run_labels(training.run_dir("smoke", keyword_run))
    assert set(good["prediction"]) <= set(labels)
    probabilities = good[labels].astype(float)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)
    folder = paths.inference_output_dir("smoke", keyword_run.name, ODD)
    assert len(pd.read_csv(folder / inference.RESULTS_FILE)) == len(good)  # autrainer's rows
    # the same inputs again: the predictions are reused, autrainer is not run
    before = (folder / inference.PREDICTIONS_FILE).stat().st_mtime_ns
    inference.predict("smoke", keyword_run, inputs, batch=ODD)
    assert (folder / inference.PREDICTIONS_FILE).stat().st_mtime_ns == before


def test_answers_below_the_threshold_carry_the_low_confidence_warning(keyword_run):
    """Other settings on the inputs the inference chapter classified: its answers are taken
    again (autrainer is not run), the warnings made afresh."""
    folder = inference.write_examples("smoke", "OfflineKeywords")
    answers = paths.inference_output_dir("smoke", keyword_run.name) / inference.RESULTS_FILE
    before = answers.stat().st_mtime_ns
    table = inference.predict("smoke", keyword_run, folder, threshold=1.01,
                              narrowband_trained=True)
    assert answers.stat().st_mtime_ns == before
    good = table[table["error"] == ""]
    assert good["warning"].str.contains(calibration.LOW_CONFIDENCE, regex=False).all()
    assert not table["warning"].str.contains("narrowband").any()
    threshold = inference.run_threshold("smoke", keyword_run)
    assert 0.0 < threshold <= 1.0


def test_folder_without_wavs_and_unknown_run_fail_in_one_line(smoke, tmp_path, ensemble):
    with pytest.raises(FileNotFoundError, match="no .wav files"):
        inference.check_inputs(tmp_path)
    with pytest.raises(ValueError, match="INFERENCE_RUN 'Cnn99_s1' is not a run"):
        inference.choose_run("smoke", ensemble, "OfflineKeywords", "Cnn99_s1")


def test_inference_chapter_records_its_numbers(smoke_notebooks):
    I = record.Inference
    summary = record.load("smoke", I.CHAPTER)
    assert summary[I.ERRORS] == ["corrupt.wav", "empty.wav", "nan.wav"]
    assert summary[I.CLASSIFIED] == summary[I.FILES] - 3
    assert "silent.wav" in summary[I.WARNINGS]
    truth = pd.read_csv(paths.inference_examples_dir("smoke") / "truth.csv")
    assert set(truth.loc[truth["variant"] == "8k", "filename"]) <= set(summary[I.WARNINGS])
    assert summary[I.AUGMENTATION] == "none"
    calibrated = summary[I.CALIBRATION][I.SYNTHETIC_TEST]
    assert 0.0 <= calibrated[I.ECE] <= 1.0 and calibrated[I.ANSWERS] > 0
    oov = summary[I.OUT_OF_VOCABULARY]
    assert oov[I.WORDS] == 26 and 0.0 <= oov[I.FLAGGED] <= 1.0
    assert 0.0 < oov[I.THRESHOLD] <= 1.0 and oov[I.DEV_COVERAGE] == 0.95


def test_real_speech_goes_through_inference_and_is_recorded(smoke_notebooks, smoke, ensemble):
    """The smoke words tree and three have real recordings in Debian; off and up have none."""
    I = record.Inference
    summary = record.load("smoke", I.CHAPTER)[I.REAL_SPEECH]
    assert sorted(summary[I.PER_WORD]) == ["three", "tree"] and summary[I.WORDS] == 2
    assert 0.0 <= summary[I.ACCURACY] <= 1.0
    assert 0.0 <= summary[I.SYNTHETIC_TEST_ACCURACY] <= 1.0
    assert sorted(note.split(":")[0] for note in summary[I.MISSING]) == ["off", "up"]
    for word in summary[I.PER_WORD].values():
        assert 0.0 <= word[I.WORD_PROBABILITY] <= 1.0 and 0 <= word[I.RUNS_CORRECT] <= 2
    truth = pd.read_csv(paths.DATA / "smoke" / "real_speech" / "truth.csv").set_index("label")
    assert truth.loc["three", "sample_rate"] == 8000  # a telephone prompt, resampled by autrainer
    for run in ensemble.runs:
        if run.dataset == "OfflineKeywords":
            assert (paths.inference_output_dir("smoke", run.name, "real_speech") / "outputs"
                    / "results.csv").is_file()


def test_the_real_speech_caption_lists_what_was_not_checked_and_claims_nothing():
    table = pd.DataFrame({"label": ["three", "tree"], "prediction": ["three", "three"],
                          "correct": [True, False]})
    text = inference.real_speech_caption(table, ["off: no real recording"])
    assert "2 real recordings" in text and text.endswith("Not checked:\n- off: no real recording")
    assert "Not checked" not in inference.real_speech_caption(table, [])
    assert "No real recording" in inference.real_speech_caption(table.iloc[:0], ["x"])


def test_the_data_build_rejects_non_finite_audio_in_one_line(keyword_copy):
    from lib import datasets

    layout = datasets.LAYOUTS["OfflineKeywords"]
    clip = pd.read_csv(keyword_copy / "train.csv")["path"].iloc[0]
    sf.write(str(keyword_copy / "default" / clip), np.full(16000, np.nan, dtype=np.float32),
             16000, subtype="FLOAT")
    with pytest.raises(Exception) as err:
        datasets.check_tree(keyword_copy, layout, progress=False)
    message = str(err.value)
    assert f"{clip}: 16000 of 16000 samples are not finite" in message and "\n" not in message


def test_the_data_build_counts_silent_clips_in_one_warning(keyword_copy):
    from lib import datasets

    layout = datasets.LAYOUTS["OfflineKeywords"]
    clip = pd.read_csv(keyword_copy / "train.csv")["path"].iloc[0]
    sf.write(str(keyword_copy / "default" / clip), np.zeros(16000), 16000, subtype="PCM_16")
    lines = []
    datasets.check_tree(keyword_copy, layout, progress=False, log=lines.append)
    assert len(lines) == 1 and "1 clips flagged" in lines[0] and clip in lines[0]


def test_probabilities_take_the_profiles_device_values_and_are_cached(keyword_run):
    """Cached to the digit: the first call returns what a rebuild reads back (the float32
    probabilities once differed from their CSV copy in the ninth digit of the ECE)."""
    from lib import calibration

    cache = paths.probabilities_file("smoke", keyword_run.name, "dev")
    cache.unlink(missing_ok=True)
    table = calibration.split_probabilities("smoke", keyword_run, "dev", device="auto")
    labels = [c for c in table.columns if c not in ("sample_id", "label")]
    np.testing.assert_allclose(table[labels].sum(axis=1), 1.0, atol=1e-4)
    before = cache.stat().st_mtime_ns
    again = calibration.split_probabilities("smoke", keyword_run, "dev", device="auto")
    assert cache.stat().st_mtime_ns == before
    pd.testing.assert_frame_equal(again, table)
