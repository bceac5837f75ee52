"""lib.calibration and the inference warnings on hand-made answers and signals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lib import audio, calibration, inference


def test_ece_is_zero_when_confidence_matches_accuracy_and_the_gap_otherwise():
    # 10 answers at 0.75 confidence, 3 of 4 right in each block of 4 -> calibrated
    confidence = np.full(8, 0.75)
    correct = np.array([1, 1, 1, 0, 1, 1, 1, 0], dtype=bool)
    assert calibration.expected_calibration_error(confidence, correct) == pytest.approx(0.0)
    # all answered with 0.95, half right: gap 0.45
    assert calibration.expected_calibration_error(np.full(6, 0.95), [1, 0] * 3) == \
        pytest.approx(0.45)
    # two bins, weighted by their answers: 3 x |1 - 0.35| and 1 x |0 - 0.95|, over 4
    ece = calibration.expected_calibration_error([0.35, 0.35, 0.35, 0.95], [1, 1, 1, 0])
    assert ece == pytest.approx((3 * 0.65 + 0.95) / 4)


def test_reliability_bins_hold_their_answers_and_a_certain_answer_is_in_the_last_bin():
    table = calibration.reliability([0.05, 0.5, 0.51, 1.0], [0, 1, 0, 1], bins=10)
    assert list(table["low"]) == [0.0, 0.5, 0.9] and list(table["answers"]) == [1, 2, 1]
    assert table["accuracy"].tolist() == [0.0, 0.5, 1.0]
    with pytest.raises(ValueError, match="confidences must lie in"):
        calibration.reliability([1.2], [True])
    with pytest.raises(ValueError, match="2 confidences but 1"):
        calibration.reliability([0.2, 0.3], [True])


def test_threshold_lets_the_dev_coverage_pass_and_flags_what_is_below():
    dev = np.linspace(0.0, 1.0, 101)
    threshold = calibration.confidence_threshold(dev, coverage=0.95)
    assert threshold == pytest.approx(0.05)
    assert (dev >= threshold).mean() == pytest.approx(0.95, abs=0.01)
    assert calibration.low_confidence(0.04, threshold) == calibration.LOW_CONFIDENCE
    assert calibration.low_confidence(0.5, threshold) == ""
    with pytest.raises(ValueError, match="no dev-split"):
        calibration.confidence_threshold([])


def test_answers_take_the_top_class_and_compare_it_with_the_label():
    table = pd.DataFrame({"label": ["a", "b"], "a": [0.7, 0.6], "b": [0.3, 0.4]})
    out = calibration.answers(table, ["a", "b"])
    assert out["prediction"].tolist() == ["a", "a"] and out["correct"].tolist() == [True, False]
    assert out["confidence"].tolist() == [0.7, 0.6]


def _tone(hz: float, rate: int = 16000, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return np.sin(2 * np.pi * hz * t).astype(np.float32)


def test_narrowband_is_little_energy_above_4_khz():
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    assert audio.energy_above(noise, 16000) == pytest.approx(0.5, abs=0.02)
    assert audio.energy_above(_tone(1000), 16000) < 1e-6
    assert audio.energy_above(_tone(1000) + 0.1 * _tone(6000), 16000) == \
        pytest.approx(0.01 / 1.01, rel=0.01)
    assert audio.energy_above(_tone(1000, 8000), 8000) == 0.0  # 8 kHz holds nothing above 4
    assert "narrowband" in inference.narrowband_warning(audio.energy_above(_tone(1000), 16000))
    assert inference.narrowband_warning(audio.energy_above(noise, 16000)) == ""


def test_only_runs_trained_with_the_telephone_band_heard_narrowband():
    assert inference.trained_on_narrowband("telephone")
    assert inference.trained_on_narrowband("telephone+specaugment")
    assert not inference.trained_on_narrowband("specaugment")
    assert not inference.trained_on_narrowband("none")


def test_the_inputs_check_warns_of_narrowband_files_unless_the_runs_heard_them(tmp_path):
    audio.write(tmp_path / "phone.wav", _tone(1000, 8000), 8000)
    noise = np.random.default_rng(1).standard_normal(16000).astype(np.float32) * 0.1
    audio.write(tmp_path / "wide.wav", noise, 16000)
    _, _, warnings = inference.check_inputs(tmp_path)
    assert list(warnings) == ["phone.wav"] and warnings["phone.wav"].startswith("narrowband (")
    _, _, warnings = inference.check_inputs(tmp_path, narrowband_trained=True)
    assert warnings == {}


def test_clips_are_cut_to_one_second_as_speechcommands_cuts_them():
    rate = 8000
    word = _tone(500, rate, 0.4)
    short = audio.one_second(word, rate)
    assert len(short) == rate and np.array_equal(short[2400:5600], word)
    assert not short[:2400].any() and not short[5600:].any()
    long = np.concatenate([np.zeros(rate), word, np.zeros(rate)]).astype(np.float32)
    cut = audio.one_second(long, rate)
    assert len(cut) == rate and np.isclose((cut ** 2).sum(), (word ** 2).sum())


def test_inputs_of_another_length_are_shaped_as_the_training_clips_and_say_how():
    assert inference.shaping_note(0.88, 1.0) == ("padded from 0.88 s to 1 s at its own floor, "
                                                 "as the training clips")
    assert inference.shaping_note(2.5, 1.0).startswith("cut to its loudest 1 s of 2.50 s")
    assert inference.shaping_note(1.0, 1.0) == ""
    assert inference.shaping_note(0.5, None) == ""  # a dataset whose clips keep their length
