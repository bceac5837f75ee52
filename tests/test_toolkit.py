"""The generated trees load through autrainer's own dataset classes after log-mel extraction."""
import pytest

from lib import data, paths, toolkit


def test_keyword_set_loads_through_autrainer_speech_commands(smoke_data):
    dataset = toolkit.load_dataset("smoke", "OfflineKeywords")
    assert type(dataset).__name__ == "SpeechCommands"
    counts = smoke_data["OfflineKeywords"]
    assert (len(dataset.train_dataset), len(dataset.dev_dataset), len(dataset.test_dataset)) == (
        counts["train"], counts["dev"], counts["test"])
    features, target, index = dataset.train_dataset[0]
    assert tuple(features.shape) == (1, 101, 64)  # 1 s of PANNs log-mel: 101 frames x 64 bins
    assert dataset.output_dim == 4


def test_scene_tree_loads_through_autrainer_dcase2020task1a(smoke_data):
    dataset = toolkit.load_dataset("smoke", "SyntheticScenes")
    assert type(dataset).__name__ == "DCASE2020Task1A"
    features, _, _ = dataset.train_dataset[0]
    assert tuple(features.shape) == (1, 1001, 64)  # 10 s clips
    # autrainer carves dev from train by recording location, as for the real data.
    train_locations = set(dataset.df_train["location"])
    dev_locations = set(dataset.df_dev["location"])
    assert dev_locations and not train_locations & dev_locations
    assert dataset.output_dim == 10


def test_present_data_is_never_downloaded(smoke_data, monkeypatch):
    import autrainer.datasets.dcase_2020_t1a as dcase
    import autrainer.datasets.speech_commands as speech_commands

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(dcase, "ZipDownloadManager", no_network)
    monkeypatch.setattr(speech_commands.datasets, "SPEECHCOMMANDS", no_network)
    dcase.DCASE2020Task1A.download(str(paths.dataset_dir("smoke", "SyntheticScenes")))
    speech_commands.SpeechCommands.download(str(paths.dataset_dir("smoke", "OfflineKeywords")))


def test_failed_real_download_is_one_line(tmp_path, monkeypatch):
    import autrainer.datasets as autrainer_datasets

    def offline(path):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(autrainer_datasets.SpeechCommands, "download", staticmethod(offline))
    with pytest.raises(data.DownloadError) as err:
        data._download("SpeechCommands", tmp_path / "SpeechCommands")
    assert "needs the internet" in str(err.value) and "\n" not in str(err.value)


def test_log_mel_is_autrainers_pipeline(smoke_data):
    wav = next((paths.dataset_dir("smoke", "OfflineKeywords") / "default").rglob("*.wav"))
    assert toolkit.log_mel(wav).shape == (101, 64)
