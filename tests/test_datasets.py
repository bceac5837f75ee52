"""Bad data gets one clear line naming the file and the problem."""
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from lib import audio
from lib.datasets import LAYOUTS, DatasetError, check_tree

LAYOUT = LAYOUTS["OfflineKeywords"]


def _first_wav(root):
    return root / "default" / pd.read_csv(root / "train.csv")["path"].iloc[0]


@pytest.mark.parametrize("damage, expected", [
    (lambda f: f.write_bytes(b""), "empty file (0 bytes)"),
    (lambda f: f.write_bytes(b"RIFF\x00\x00garbage" * 10), "corrupt or not an audio file"),
    (lambda f: sf.write(str(f), np.zeros(22050, "float32"), 22050), "sample rate 22050 Hz, expected 16000 Hz"),
    (lambda f: sf.write(str(f), np.zeros((16000, 2), "float32"), 16000), "2 channels, expected 1"),
    (lambda f: sf.write(str(f), np.zeros(4000, "float32"), 16000), "too short (0.250 s"),
    (lambda f: f.unlink(), "file does not exist"),
])
def test_bad_wav_is_named(keyword_copy, damage, expected):
    wav = _first_wav(keyword_copy)
    damage(wav)
    with pytest.raises(audio.AudioError) as err:
        check_tree(keyword_copy, LAYOUT, progress=False)
    message = str(err.value)
    assert expected in message and wav.name in message and "\n" not in message


def test_missing_column_is_named(keyword_copy):
    table = pd.read_csv(keyword_copy / "dev.csv").drop(columns="speaker_id")
    table.to_csv(keyword_copy / "dev.csv", index=False)
    with pytest.raises(DatasetError, match=r"dev.csv: missing column 'speaker_id'$"):
        check_tree(keyword_copy, LAYOUT, progress=False)


def test_sample_listed_twice_is_named(keyword_copy):
    table = pd.read_csv(keyword_copy / "train.csv")
    pd.concat([table, table.iloc[[3]]]).to_csv(keyword_copy / "train.csv", index=False)
    with pytest.raises(DatasetError, match=rf"train.csv: sample '{table['path'][3]}' listed twice$"):
        check_tree(keyword_copy, LAYOUT, progress=False)


def test_sample_in_two_splits_is_named(keyword_copy):
    train, test = (pd.read_csv(keyword_copy / f"{s}.csv") for s in ("train", "test"))
    pd.concat([test, train.iloc[[0]]]).to_csv(keyword_copy / "test.csv", index=False)
    with pytest.raises(DatasetError, match=r"test.csv: sample .* is also in train.csv$"):
        check_tree(keyword_copy, LAYOUT, progress=False)


def test_unknown_class_is_named(keyword_copy):
    table = pd.read_csv(keyword_copy / "test.csv")
    table.loc[0, "label"] = "banana"
    table.to_csv(keyword_copy / "test.csv", index=False)
    with pytest.raises(DatasetError, match=r"test.csv: unknown class 'banana'"):
        check_tree(keyword_copy, LAYOUT, progress=False)


def test_empty_split_file_is_named(keyword_copy):
    (keyword_copy / "train.csv").write_text("")
    with pytest.raises(DatasetError, match=r"train.csv: unreadable CSV"):
        check_tree(keyword_copy, LAYOUT, progress=False)


def test_mix_at_snr_gives_the_requested_snr():
    rng = np.random.default_rng(0)
    speech, noise = rng.standard_normal(16000), rng.standard_normal(16000) * 3
    mixed = audio.mix_at_snr(speech, noise, 6.0)
    assert 10 * np.log10(audio.rms(speech) ** 2 / audio.rms(mixed - speech) ** 2) == pytest.approx(6.0)
    # the keyword set's way: a word placed in silence, its SNR measured on the word alone
    word, placed = speech[:4000], np.zeros(16000)
    placed[8000:12000] = word
    mixed = audio.mix_at_snr(placed, noise, 6.0, measured_on=word)
    assert 10 * np.log10(audio.rms(word) ** 2 / audio.rms(mixed - placed) ** 2) == pytest.approx(6.0)


def test_mel_bin_centres_span_the_panns_range():
    centres = audio.mel_bin_centres_hz()
    assert len(centres) == 64 and 50 < centres[0] < 100 and 7000 < centres[-1] < 8000
    assert np.all(np.diff(centres) > 0)
