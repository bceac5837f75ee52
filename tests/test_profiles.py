"""Profiles: complete, well-typed, matching the notebooks and the published study."""
import re

import nbformat
import papermill
import pytest
import yaml

from lib import paths, profiles, run


@pytest.mark.parametrize("name", ["smoke", "demo", "paper"])
def test_profiles_load(name):
    assert profiles.load(name)["PROFILE"] == name


def test_paper_profile_is_the_published_study():
    paper = profiles.load("paper")
    assert paper["DATASETS"] == ["DCASE2020Task1A", "SpeechCommands"]
    assert paper["MODELS"] == ["Cnn10", "Cnn14"] and paper["SEEDS"] == [1, 2, 3]
    assert (paper["EPOCHS"], paper["BATCH_SIZE"], paper["LEARNING_RATE"]) == (100, 32, 0.001)
    assert (paper["OPTIMIZER"], paper["SCORING"], paper["SCORING_STOP"],
            paper["SCORING_SUBSET"]) == ("Adam", "CumulativeAccuracy", "best", "train")


def test_demo_profile_has_both_models_and_three_seeds():
    demo = profiles.load("demo")
    assert demo["MODELS"] == ["Cnn10", "Cnn14"] and len(demo["SEEDS"]) >= 3
    assert demo["DATASETS"] == ["OfflineKeywords"]


def test_unknown_profile_is_one_line_naming_the_file():
    with pytest.raises(profiles.ProfileError) as err:
        profiles.load("nonexistent")
    message = str(err.value)
    assert "\n" not in message and "notebooks/profiles/nonexistent.yaml" in message
    assert "smoke" in message  # lists what exists


def _write_profile(monkeypatch, tmp_path, values):
    monkeypatch.setattr(paths, "PROFILES", tmp_path)
    (tmp_path / "custom.yaml").write_text(yaml.safe_dump(values))


def test_missing_parameter(monkeypatch, tmp_path):
    values = {**profiles.load("smoke"), "PROFILE": "custom"}
    del values["EPOCHS"]
    _write_profile(monkeypatch, tmp_path, values)
    with pytest.raises(profiles.ProfileError, match=r"custom.yaml: missing parameter EPOCHS$"):
        profiles.load("custom")


def test_a_profile_written_before_a_parameter_was_added_gets_its_value(monkeypatch, tmp_path):
    values = {**profiles.load("smoke"), "PROFILE": "custom"}
    del values["ATYPICAL_FRACTION"]  # added with the Kinds chapter, as 0: no such clips
    _write_profile(monkeypatch, tmp_path, values)
    assert profiles.load("custom")["ATYPICAL_FRACTION"] == 0.0


@pytest.mark.parametrize("name, value, expected", [
    ("EPOCHS", "three", "must be int"),
    ("EPOCHS", 0, "must be >= 1"),
    ("SEEDS", [1, "2"], "must be list[int]"),
    ("MODELS", ["Cnn6"], "allows Cnn10, Cnn14"),
    ("SNR_DB", [20, 0], "low <= high"),
    ("FLIP_FRACTION", 0.9, "must be <= 0.5"),
    ("TYPO_PARAMETER", 1, "unknown parameter"),
    ("SEEDS_BY_MODEL", {"Cnn6": [1]}, "names an unknown model 'Cnn6'"),
    ("SEEDS_BY_MODEL", {"Cnn14": []}, "must give Cnn14 a non-empty list"),
    ("SEEDS_BY_MODEL", [1, 2], "must be a mapping of model to seeds"),
    ("PRECISION", "fp8", "allows fp32, bf16, fp16"),
    ("SCHEDULER", "warmup", "allows none, cosine, onecycle"),
])
def test_ill_typed_parameter(monkeypatch, tmp_path, name, value, expected):
    _write_profile(monkeypatch, tmp_path, {**profiles.load("smoke"), "PROFILE": "custom",
                                           name: value})
    with pytest.raises(profiles.ProfileError) as err:
        profiles.load("custom")
    assert expected in str(err.value) and "custom.yaml" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("notebook", run.notebooks(), ids=lambda p: p.stem)
def test_notebook_parameters_are_in_the_schema_and_default_to_demo(notebook):
    declared = papermill.inspect_notebook(str(notebook))
    assert declared, f"{notebook.name} has no tagged parameters cell"
    demo = profiles.load("demo")
    for name, spec in declared.items():
        assert name in profiles.SCHEMA
        assert spec["help"], f"{name} in {notebook.name} needs a comment on allowed values"
        assert eval(spec["default"]) == demo[name], f"{name} default differs from demo"


@pytest.mark.parametrize("notebook", run.notebooks(), ids=lambda p: p.stem)
def test_papermill_sees_every_parameter_of_the_cell(notebook):
    """papermill silently drops a parameter whose comment it cannot parse (e.g. one with
    '>='), and the runner would then never pass the profile's value to it."""
    cell = next(c for c in nbformat.read(notebook, 4).cells
                if "parameters" in c.metadata.get("tags", []))
    assigned = re.findall(r"^([A-Z_]+)\s*=", cell.source, flags=re.M)
    assert list(papermill.inspect_notebook(str(notebook))) == assigned


def test_seeds_by_model_trains_fewer_seeds_of_one_model():
    from lib import training

    params = {**profiles.load("demo"), "MODELS": ["Cnn10", "Cnn14"], "SEEDS": [1, 2, 3],
              "SEEDS_BY_MODEL": {"Cnn14": [1, 2]}}
    runs = [(r.model, r.seed) for r in training.Ensemble.from_parameters(params).runs]
    assert runs == [("Cnn10", 1), ("Cnn10", 2), ("Cnn10", 3), ("Cnn14", 1), ("Cnn14", 2)]


def test_training_config_excludes_the_seeds_a_model_is_not_trained_with(tmp_path, monkeypatch):
    from lib import toolkit

    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    work = toolkit.write_training_config("smoke", ["OfflineKeywords"],
                                         {"Cnn10": [1, 2, 3], "Cnn14": [1, 2]},
                                         toolkit.Settings(2, 8, 1e-4, "Adam", "cosine", "bf16",
                                                          device="cpu"))
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())["hydra"]["sweeper"]
    assert config["params"]["+seed"] == "1, 2, 3"
    assert config["params"]["model"] == "Cnn10-bf16, Cnn14-bf16"
    assert config["params"]["scheduler"] == "Cosine"
    assert config["filters"] == [{"type": "exists", "path": "metrics.csv"},
                                 {"type": "expr", "expr": "model.id == 'Cnn14-bf16' and seed == 3"}]
    model = yaml.safe_load((work / "conf" / "model" / "Cnn14-bf16.yaml").read_text())
    assert model["_target_"] == "lib.models.Cnn14" and model["precision"] == "bf16"
    scheduler = yaml.safe_load((work / "conf" / "scheduler" / "Cosine.yaml").read_text())
    assert scheduler["T_max"] == 2


def test_every_parameters_cell_is_written_from_the_schema():
    """One wording per parameter: each cell's comment is SCHEMA's, each default the demo's
    (`python -m lib.profiles --sync-cells` rewrites a cell that drifted)."""
    demo = profiles.load("demo")
    for file in paths.chapter_notebooks():
        notebook = nbformat.read(file, as_version=4)
        names = profiles.declared(notebook)
        assert len(names) == len(set(names)), file.name
        assert profiles.parameters_cell_of(notebook).source == \
            profiles.parameters_cell(names, demo), f"{file.name}: run --sync-cells"
        for name, info in papermill.inspect_notebook(str(file)).items():
            assert info["help"] == profiles.SCHEMA[name].comment, (file.name, name)


def test_check_cell_checks_the_names_the_cell_declares():
    notebook = "notebooks/00_data.ipynb"
    namespace = {"PROFILE": "smoke", "DATASETS": ["OfflineKeywords"], "HTML": object()}
    assert profiles.check_cell(namespace, notebook) == {"PROFILE": "smoke",
                                                       "DATASETS": ["OfflineKeywords"]}
    with pytest.raises(profiles.ProfileError, match="00_data.ipynb: parameter DATASETS names "
                       "2 datasets that are not known"):
        profiles.check_cell({**namespace, "DATASETS": ["Speech", "Scenes"]}, notebook)
    with pytest.raises(profiles.ProfileError, match="neither a known dataset .* nor a usable "
                       "name"):
        profiles.check_cell({**namespace, "DATASETS": ["my data"]}, notebook)


def test_a_dataset_of_ones_own_needs_user_audio_and_user_audio_needs_it(tmp_path, monkeypatch):
    values = {**profiles.load("smoke"), "DATASETS": ["OfflineKeywords"], "USER_AUDIO": ""}
    monkeypatch.setattr(paths, "PROFILES", tmp_path)
    for changes, problem in (({"DATASETS": ["OfflineKeywords", "mine"]},
                              "DATASETS names 'mine', not a known dataset: set USER_AUDIO"),
                             ({"USER_AUDIO": "clips/"}, "USER_AUDIO is set but DATASETS names "
                              "no dataset of your own")):
        profiles.write({**values, **changes}, tmp_path / "smoke.yaml")
        with pytest.raises(profiles.ProfileError, match=problem):
            profiles.load("smoke")
    profiles.write({**values, "DATASETS": ["mine"], "USER_AUDIO": "clips/"},
                   tmp_path / "smoke.yaml")
    assert profiles.load("smoke")["DATASETS"] == ["mine"]


def test_every_lib_module_is_on_the_map():
    import lib

    for module in sorted(paths.LIB.glob("*.py")):
        if module.stem != "__init__":
            assert f"``{module.stem}``" in lib.__doc__, module.stem
