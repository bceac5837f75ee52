"""Grad-CAM on a trained smoke run, the axes of the profiles, edge focus and faithfulness."""

import numpy as np
import pytest

from lib import audio, explain, record, scoring, selection, toolkit, training


@pytest.fixture(scope="module")
def keyword_model(smoke_notebooks, smoke, ensemble):
    run = selection.explained_runs(ensemble, smoke["EXPLAIN_MODEL"],
                                 "OfflineKeywords")[0]
    return toolkit.RunModel(training.run_dir("smoke", run))


@pytest.fixture(scope="module")
def keyword_features(keyword_model):
    sample_id = scoring.read_ordering("smoke", "OfflineKeywords")["sample_id"].iloc[0]
    return np.load(toolkit.features_file("smoke", "OfflineKeywords", sample_id))


def test_run_model_reproduces_autrainers_test_predictions(smoke_notebooks, smoke, ensemble):
    run = selection.explained_runs(ensemble, smoke["EXPLAIN_MODEL"],
                                 "OfflineKeywords")[0]
    folder = training.run_dir("smoke", run)
    model = toolkit.RunModel(folder)
    table = toolkit.run_split_table(folder, "test")
    features = [np.load(toolkit.features_file("smoke", "OfflineKeywords", s))
                for s in table["path"]]
    ours = model.probabilities(features)
    logits, _, positions = (np.load(file) for file in toolkit.test_outputs_files(folder))
    theirs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ours[positions], theirs, atol=1e-5)


def test_gradcam_is_upsampled_onto_the_spectrogram(keyword_model, keyword_features):
    cam, explained, probabilities = explain.gradcam(keyword_model, keyword_features,
                                                    "conv_block4.conv2")
    assert cam.shape == keyword_features.shape[-2:] == (101, 64)
    assert (cam >= 0).all() and np.isfinite(cam).all()
    assert explained == int(probabilities.argmax())
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    true_cam, true_class, _ = explain.gradcam(keyword_model, keyword_features,
                                              "conv_block4.conv2", target=0)
    assert true_class == 0 and true_cam.shape == cam.shape


def test_unknown_layer_is_named_in_one_line(keyword_model):
    with pytest.raises(ValueError, match=r"has no layer 'conv_block9\.conv2'") as error:
        keyword_model.layer("conv_block9.conv2")
    assert "\n" not in str(error.value)


def test_profiles_place_mel_bins_at_filter_centres_and_frames_at_10_ms():
    spectrogram = np.tile(np.arange(64.0), (101, 1))
    cam = np.zeros((101, 64))
    cam[50, 10] = 3.0
    frequency, time = explain.profiles({"a": spectrogram}, {("a", "Cnn10_s1"): cam})
    np.testing.assert_allclose(frequency["hz"], audio.mel_bin_centres_hz(64, 50, 8000))
    np.testing.assert_allclose(time["seconds"], np.arange(101) * 0.01)
    assert frequency.loc[frequency["mel_bin"] == 10, "importance"].item() == 1.0
    assert time.loc[time["frame"] == 50, "importance"].item() == 1.0
    assert frequency["log_power"].tolist() == list(np.arange(64.0))


def test_mel_centres_are_the_peaks_of_the_panns_filter_bank():
    import librosa

    bank = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=50, fmax=8000)
    peaks = bank.argmax(axis=1) * 16000 / 512
    assert np.abs(peaks - audio.mel_bin_centres_hz(64, 50, 8000)).max() <= 16000 / 512 / 2


def test_edge_share_of_uniform_and_edge_maps():
    assert explain.edge_share(np.ones((100, 8)), 0.1) == pytest.approx(0.2)
    edges = np.zeros((100, 8))
    edges[:5] = edges[-5:] = 1
    assert explain.edge_share(edges, 0.1) == pytest.approx(1.0)
    assert explain.edge_share(np.zeros((100, 8)), 0.1) == pytest.approx(0.2)
    with pytest.raises(ValueError):
        explain.edge_share(np.ones((10, 2)), 0.5)


def test_faithfulness_masks_the_requested_share(keyword_model, keyword_features):
    cam, explained, _ = explain.gradcam(keyword_model, keyword_features, "conv_block4.conv2")
    rows = explain.faithfulness(keyword_model, keyword_features, cam, explained, [0.05, 0.5])
    assert [r["fraction"] for r in rows] == [0.05, 0.5]
    for row in rows:
        assert 0 <= row["probability"] <= 1
        assert -1 <= row["drop_gradcam"] <= 1 and -1 <= row["drop_random"] <= 1
    with pytest.raises(ValueError, match="differs"):
        explain.faithfulness(keyword_model, keyword_features, cam[:50], explained, [0.1])


def test_masked_sets_cells_to_the_quietest_value():
    features = np.arange(12.0).reshape(1, 3, 4)
    cells = np.zeros((3, 4), dtype=bool)
    cells[2, 3] = True
    out = explain.masked(features, cells)
    assert out[0, 2, 3] == 0.0 and out.sum() == features.sum() - 11.0
    assert features[0, 2, 3] == 11.0  # the input is not changed


def test_explanation_chapter_records_its_numbers(smoke_notebooks, smoke):
    summary = record.load("smoke", record.Explanations.CHAPTER)
    for dataset in smoke["DATASETS"]:
        shares = summary[dataset][record.Explanations.EDGE_SHARE]
        assert set(shares) == {"easy", "medium", "hard"}
        assert all(0 <= v <= 1 for v in shares.values())
