"""The offline keyword set: layout, determinism, injections, voice-disjoint splits, reuse."""
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from lib import groundtruth, keywords, paths, profiles, speech
from lib.datasets import LAYOUTS, read_manifest

TINY = keywords.KeywordSetSpec(
    keywords=("yes", "no"), engines=("espeak", "piper"), train_voices=4, dev_voices=1,
    test_voices=1, utterances_per_voice=2, snr_db=(0.0, 10.0), flip_fraction=0.25,
    nonspeech_fraction=0.125, noise_sources=("dcase-util",), seed=3)


@pytest.fixture(scope="module")
def smoke_tree(smoke_data):
    root = paths.dataset_dir("smoke", "OfflineKeywords")
    return root, pd.read_csv(root / "metadata.csv")


def test_layout_is_speech_commands(smoke_tree):
    root, metadata = smoke_tree
    for split in ("train", "dev", "test"):
        table = pd.read_csv(root / f"{split}.csv")
        assert list(table.columns) == ["path", "sample_rate", "label", "speaker_id",
                                       "utterance_number"]
        for path, label in zip(table["path"], table["label"]):
            assert path.split("/")[0] == label  # default/<label>/<file>.wav
            info = sf.info(str(root / "default" / path))
            assert (info.samplerate, info.channels, info.frames) == (16000, 1, 16000)
    assert set(metadata["split"]) == {"train", "dev", "test"}


def test_splits_are_voice_disjoint_but_for_the_near_duplicates_copied_into_test(smoke_tree):
    _, metadata = smoke_tree
    leaked = metadata[(metadata["split"] != "train") & metadata["near_duplicate"]]
    voices = metadata.drop(leaked.index).groupby("split")["speaker_id"].apply(set)
    assert not voices["train"] & voices["dev"]
    assert not voices["train"] & voices["test"]
    assert not voices["dev"] & voices["test"]
    assert len(leaked) and set(leaked["speaker_id"]) <= voices["train"]


def test_injected_fractions_and_ground_truth(smoke_tree):
    _, metadata = smoke_tree
    smoke = profiles.load("smoke")
    train = metadata[metadata["split"] == "train"]
    for column, parameter in (("label_flipped", "FLIP_FRACTION"),
                              ("nonspeech", "NONSPEECH_FRACTION"),
                              ("label_confusable", "CONFUSABLE_FRACTION"),
                              ("out_of_vocabulary", "OUT_OF_VOCABULARY_FRACTION"),
                              ("atypical_voice", "ATYPICAL_FRACTION")):
        assert train[column].sum() == round(smoke[parameter] * len(train)) > 0, column
    kinds = list(groundtruth.INJECTED.values())
    assert (train[kinds].sum(axis=1) <= 1).all()  # one kind per clip
    held_out = metadata[metadata["split"] != "train"]
    assert not held_out[[k for k in kinds if k != "near_duplicate"]].any().any()
    flipped = metadata[metadata["label_flipped"]]
    assert (flipped["label"] != flipped["spoken_word"]).all()
    confusable = metadata[metadata["label_confusable"]]
    partners = keywords.confusable_partners(tuple(smoke["KEYWORDS"]))
    assert (confusable["label"] == confusable["spoken_word"].map(partners)).all()
    other = metadata[metadata["out_of_vocabulary"]]
    assert not other["spoken_word"].isin(smoke["KEYWORDS"]).any()
    assert other["label"].isin(smoke["KEYWORDS"]).all()
    assert (groundtruth.true_labels(other) == "").all()
    nonspeech = metadata[metadata["nonspeech"]]
    assert nonspeech["spoken_word"].isna().all() and nonspeech["snr_db"].isna().all()
    atypical = metadata[metadata["atypical_voice"]]
    espeak = atypical[atypical["engine"] == "espeak"]
    assert ((espeak["voice_pitch"] < 25) | (espeak["voice_pitch"] > 75)).all()
    assert (espeak["voice_rate"] > 210).all()
    genuine = metadata[~metadata[["label_flipped", "label_confusable", "out_of_vocabulary",
                                  "nonspeech"]].any(axis=1)]
    assert (genuine["label"] == genuine["spoken_word"]).all()
    low, high = smoke["SNR_DB"]
    assert genuine["snr_db"].between(low, high).all()


def test_near_duplicates_are_one_utterance_under_other_noise(smoke_tree):
    root, metadata = smoke_tree
    pairs = metadata[metadata["near_duplicate"]].set_index("path")
    assert len(pairs) == 2 * round(profiles.load("smoke")["DUPLICATE_FRACTION"]
                                   * (metadata["split"] == "train").sum())
    for path, row in pairs.iterrows():
        twin = pairs.loc[row["duplicate_of"]]
        assert twin["duplicate_of"] == path
        assert (twin["label"], twin["speaker_id"], twin["spoken_word"]) == \
            (row["label"], row["speaker_id"], row["spoken_word"])
        assert twin["noise_clip"] != row["noise_clip"] or twin["snr_db"] != row["snr_db"]
        assert twin["speech_seconds"] == row["speech_seconds"]  # the same utterance
    assert (pairs["split"] == "test").any()


def test_confusable_partners_are_spelled_alike():
    assert keywords.spelling_distance("three", "tree") == 1
    assert keywords.confusable_partners(("zero", "one", "three", "tree", "no", "seven")) == \
        {"one": "no", "three": "tree", "tree": "three", "no": "one"}
    assert keywords.confusable_partners(("yes", "house")) == {}


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path):
    first = keywords.generate(TINY, tmp_path / "a", log=lambda _: None)
    second = keywords.generate(TINY, tmp_path / "b", log=lambda _: None)
    other = keywords.generate(dataclasses.replace(TINY, seed=4), tmp_path / "c",
                              log=lambda _: None)
    assert read_manifest(first)["audio_sha256"] == read_manifest(second)["audio_sha256"]
    assert read_manifest(first)["tables_sha256"] == read_manifest(second)["tables_sha256"]
    assert read_manifest(first)["audio_sha256"] != read_manifest(other)["audio_sha256"]
    # 4 train voices x 2 words x 2 takes = 16 clips: 4 flipped, 2 non-speech.
    assert read_manifest(first)["flipped"] == 4 and read_manifest(first)["nonspeech"] == 2


def test_unchanged_spec_is_reused_and_changed_spec_replaces_whole(tmp_path):
    root = keywords.generate(TINY, tmp_path / "set", log=lambda _: None)
    stamp = (root / "manifest.json").stat().st_mtime_ns
    messages = []
    keywords.generate(TINY, root, log=messages.append)
    assert (root / "manifest.json").stat().st_mtime_ns == stamp
    assert "reusing" in messages[0]
    keywords.generate(dataclasses.replace(TINY, keywords=("yes", "no", "up")), root,
                      log=lambda _: None)
    assert json.loads((root / "manifest.json").read_text())["spec"]["keywords"] == ["yes", "no", "up"]
    assert not root.with_name("set.partial").exists()


def test_interrupted_generation_keeps_the_previous_set(tmp_path, monkeypatch):
    root = keywords.generate(TINY, tmp_path / "set", log=lambda _: None)
    before = read_manifest(root)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keywords, "_render", crash)
    with pytest.raises(KeyboardInterrupt):
        keywords.generate(dataclasses.replace(TINY, seed=9), root, log=lambda _: None)
    assert read_manifest(root) == before


def test_layout_matches_what_autrainer_reads():
    assert keywords.SPLIT_COLUMNS == list(LAYOUTS["SpeechCommands"].columns)


def test_each_split_gets_its_share_of_each_engine(smoke_tree):
    _, metadata = smoke_tree
    voices = metadata.drop_duplicates("speaker_id")
    piper_share = (voices["engine"] == "piper").mean()
    for split, part in voices.groupby("split"):
        expected = piper_share * len(part)
        assert abs((part["engine"] == "piper").sum() - expected) <= 1, split


@pytest.mark.parametrize("profile", ["smoke", "demo"])
def test_every_planned_clip_gets_its_own_file(profile):
    """Two injected clips of one voice with the same label once shared a file name."""
    spec = keywords.KeywordSetSpec.from_profile(profiles.load(profile))
    for seed in range(5):
        plan, voices = keywords._plan(spec, np.random.default_rng(seed))
        names = [f"{row.label}/{voices[row.voice_index].speaker_id}_nohash_"
                 f"{row.utterance_number}" for row in plan.itertuples()]
        assert len(set(names)) == len(names)


def test_every_espeak_variant_speaks_the_same_bytes_each_time():
    """Breathy eSpeak variants add random noise; the voice bank must not use them."""
    requests = [("tree", speech.Voice("espeak", f"en-us+{variant}", 50, 175))
                for variant in speech.ESPEAK_VARIANTS]
    first, second = speech.synthesize(requests), speech.synthesize(requests)
    differ = [r[1].name for r, a, b in zip(requests, first, second) if a.tobytes() != b.tobytes()]
    assert differ == []


def test_relabelled_set_differs_from_its_source_only_in_labels(smoke_data, tmp_path):
    source = paths.dataset_dir("smoke", "OfflineKeywords")
    clean = groundtruth.relabelled(source, tmp_path / "flip00", "OfflineKeywords", 0.0, seed=0,
                                   log=lambda _: None)
    noisy = groundtruth.relabelled(source, tmp_path / "flip25", "OfflineKeywords", 0.25, seed=0,
                                   log=lambda _: None)
    original = pd.read_csv(source / "metadata.csv", keep_default_na=False).set_index("path")
    for root in (clean, noisy):
        assert (root / "default").resolve() == (source / "default").resolve()
        assert (root / "log_mel_16k").resolve() == (source / "log_mel_16k").resolve()
    restored = pd.read_csv(clean / "metadata.csv", keep_default_na=False).set_index("path")
    has_class = groundtruth.true_labels(restored) != ""  # no other word, no non-speech
    assert (restored.loc[has_class, "label"] == restored.loc[has_class, "spoken_word"]).all()
    assert not restored["label_flipped"].any() and not restored["label_confusable"].any()
    flipped = pd.read_csv(noisy / "metadata.csv", keep_default_na=False).set_index("path")
    train = pd.read_csv(noisy / "train.csv").set_index("path")
    assert int(flipped["label_flipped"].sum()) == round(0.25 * len(train))
    assert (train["label"] == flipped.loc[train.index, "label"]).all()  # tables agree by id
    assert not (flipped["label_flipped"] & (groundtruth.true_labels(flipped) == "")).any()
    assert (flipped.loc[flipped["label_flipped"], "label"]
            != flipped.loc[flipped["label_flipped"], "spoken_word"]).all()
    assert original.index.equals(flipped.index)
    stamp = (noisy / "manifest.json").stat().st_mtime_ns
    groundtruth.relabelled(source, tmp_path / "flip25", "OfflineKeywords", 0.25, seed=0,
                           log=lambda _: None)
    assert (noisy / "manifest.json").stat().st_mtime_ns == stamp  # reused
