"""The generated trees load through autrainer's own dataset classes after log-mel extraction."""
import json

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


def test_scene_tree_loads_through_autrainer_dcase2020task1a(smoke_data, smoke):
    dataset = toolkit.load_dataset("smoke", "SyntheticScenes")
    assert type(dataset).__name__ == "DCASE2020Task1A"
    features, _, _ = dataset.train_dataset[0]
    frames = int(100 * smoke["SCENE_SECONDS"]) + 1  # a frame every 10 ms, and one more
    assert tuple(features.shape) == (1, frames, 64)
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


def _run_folder(root, epochs=3):
    """A finished run's state files as autrainer leaves them: _initial, _best, every epoch."""
    for folder in ("_initial", "_best", *(f"epoch_{e}" for e in range(1, epochs + 1))):
        (root / folder).mkdir(parents=True)
        for state in (toolkit.MODEL_STATE, toolkit.OPTIMIZER_STATE, toolkit.SCHEDULER_STATE):
            (root / folder / state).write_bytes(b"state")
    (root / "epoch_1" / "train_outputs.npy").write_bytes(b"outputs")
    return root


def _left(root):
    return sorted(str(p.relative_to(root)) for p in root.glob("*/*.pt"))


@pytest.mark.parametrize("retention, stop, resumable, kept", [
    ("scored", "best", False, ["_best/model.pt"]),
    ("scored", "last", False, ["_best/model.pt", "epoch_3/model.pt"]),
    ("every-epoch", "best", False, ["_best/model.pt", "epoch_1/model.pt", "epoch_2/model.pt",
                                    "epoch_3/model.pt"]),
    ("none", "best", False, []),
    ("scored", "best", True, ["_best/model.pt", "epoch_3/model.pt", "epoch_3/optimizer.pt",
                              "epoch_3/scheduler.pt"]),
])
def test_a_finished_run_keeps_exactly_the_states_its_retention_names(tmp_path, retention, stop,
                                                                      resumable, kept):
    root = _run_folder(tmp_path / "run")
    toolkit.retain(root, 3, retention, stop, resumable)
    assert _left(root) == kept
    assert (root / "epoch_1" / "train_outputs.npy").is_file()  # outputs are never states


def test_an_unknown_retention_is_one_line_and_deletes_nothing(tmp_path):
    root = _run_folder(tmp_path / "run")
    with pytest.raises(toolkit.ToolkitError, match="unknown state retention 'best-last'"):
        toolkit.retain(root, 3, "best-last")
    assert len(_left(root)) == 15


def test_every_toolkit_command_is_in_the_profiles_ledger(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    work = paths.toolkit_dir("demo/prune/hardest10")
    work.mkdir(parents=True)
    with pytest.raises(toolkit.ToolkitError):  # a command that fails is logged too
        toolkit.run_cli("python3", ["-c", "import sys; sys.exit(3)"], work, "bad")
    ledger = paths.command_ledger(work)
    assert ledger == tmp_path / "results" / "demo" / "timing" / "commands.jsonl"
    (entry,) = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert entry["tool"] == "python3" and entry["args"][0] == "-c"
    assert entry["work"] == "demo/prune/hardest10/autrainer" and entry["exit"] == 3
    assert entry["seconds"] > 0


def test_sources_of_other_sizes_train_in_one_sweep_each_under_its_own_cycle(tmp_path,
                                                                            monkeypatch):
    """Points of different sizes (a pruning share and the oracle) in one sweep under the
    schedule's one id: autrainer builds each run's one-cycle from its own dataset's size
    (resolved in the run's config as autrainer resolves it), and only the wanted (source,
    model, seed) runs are trained."""
    import autrainer
    import torch
    import yaml
    from omegaconf import OmegaConf

    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    sources = []
    for name, rows in (("a", 17), ("b", 30)):  # 3 and 4 steps of 8
        root = tmp_path / name
        root.mkdir()
        (root / "train.csv").write_text("path,label\n" + "x.wav,one\n" * rows)
        sources.append(toolkit.Source(f"OfflineKeywords-16k-{name}", "OfflineKeywords", root))
    a, b = sources
    settings = toolkit.Settings(2, 8, 1e-3, "Adam", "onecycle", "bf16", device="cpu")
    work = toolkit.write_training_config("smoke/points", [a, b], {"Cnn10": [1, 2]}, settings,
                                         every_epoch=False,
                                         wanted={(a.id, "Cnn10", 1), (b.id, "Cnn10", 2)})
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())
    assert config["hydra"]["sweeper"]["params"]["dataset"] == f"{a.id}, {b.id}"
    assert config["hydra"]["sweeper"]["params"]["scheduler"] == "OneCycle"
    filters = [f["expr"] for f in config["hydra"]["sweeper"]["filters"] if f["type"] == "expr"]
    assert f"dataset.id == '{a.id}' and model.id == 'Cnn10-bf16' and seed == 2" in filters
    assert f"dataset.id == '{b.id}' and model.id == 'Cnn10-bf16' and seed == 1" in filters
    scheduler = yaml.safe_load((work / "conf" / "scheduler" / "OneCycle.yaml").read_text())
    for source, steps in ((a, 3), (b, 4)):
        run = OmegaConf.create({"learning_rate": 1e-3, "dataset": {"id": source.id},
                                "scheduler": scheduler})
        options = run.scheduler
        options.pop("step_frequency")
        built = autrainer.instantiate(config=options, optimizer=torch.optim.Adam(
            [torch.nn.Parameter(torch.zeros(1))]))
        assert built.total_steps == 2 * steps, source.id
    with pytest.raises(Exception, match="no size for dataset 'elsewhere'"):
        run = OmegaConf.create({"learning_rate": 1e-3, "dataset": {"id": "elsewhere"},
                                "scheduler": scheduler})
        run.scheduler.pop("step_frequency")
        autrainer.instantiate(config=run.scheduler, optimizer=torch.optim.Adam(
            [torch.nn.Parameter(torch.zeros(1))]))
    dataset = yaml.safe_load((work / "conf" / "dataset" / f"{b.id}.yaml").read_text())
    assert dataset["id"] == b.id and dataset["path"] == str(b.root)
