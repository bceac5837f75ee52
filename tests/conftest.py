"""Shared fixtures: the smoke profile's data and executed notebooks, made once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lib import book, data, paths, profiles, run, scoring, selection, training

#: Fixtures that build the smoke pipeline (data, training, scoring, the book): a test using any
#: of them is marked ``pipeline``, so ``pytest -m "not pipeline"`` runs the fast rest.
PIPELINE_FIXTURES = {"smoke_data", "smoke_notebooks", "smoke_book", "keyword_copy",
                     "private_results"}
#: A test using the single-node SLURM cluster is marked ``slurm``: where the cluster cannot be
#: had (not root, no apt-get) it skips, or fails under CI (tests/services); ``pytest -m "not
#: slurm"`` leaves it out.
SLURM_FIXTURES = {"slurm_cluster"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if PIPELINE_FIXTURES & used:
            item.add_marker(pytest.mark.pipeline)
        if SLURM_FIXTURES & used:
            item.add_marker(pytest.mark.slurm)


@pytest.fixture(scope="session")
def smoke_data() -> dict:
    """The smoke datasets, generated (or reused) and preprocessed by the real pipeline."""
    return data.prepare("smoke")


@pytest.fixture(scope="session")
def smoke_notebooks(smoke_data) -> list[dict]:
    return run.run_profile("smoke", jobs=2)


@pytest.fixture(scope="session")
def smoke_book(smoke_notebooks) -> Path:
    """The smoke profile's book, built once with warnings as errors; its HTML folder."""
    book.build("smoke")
    return paths.book_html_dir("smoke")


@pytest.fixture()
def keyword_copy(smoke_data, tmp_path: Path) -> Path:
    """A private copy of the smoke keyword set that a test may damage."""
    target = tmp_path / "OfflineKeywords"
    shutil.copytree(paths.dataset_dir("smoke", "OfflineKeywords"), target,
                    ignore=shutil.ignore_patterns("log_mel_16k"))
    return target


@pytest.fixture(scope="session")
def smoke() -> dict:
    return profiles.load("smoke")


@pytest.fixture()
def private_results(smoke_notebooks, tmp_path, monkeypatch) -> Path:
    """A copy of the smoke profile's toolkit folder, orderings and selection that a test may
    damage (``paths.RESULTS`` points at it)."""
    source = paths.results_dir("smoke")
    target = tmp_path / "results" / "smoke"
    for part in ("autrainer", "difficulty", "selection"):
        shutil.copytree(source / part, target / part,
                        ignore=shutil.ignore_patterns(".lock"))
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    return target


@pytest.fixture(scope="session")
def ensemble(smoke) -> training.Ensemble:
    """The smoke profile's runs, as the notebooks build them."""
    return training.Ensemble.from_parameters(smoke)


@pytest.fixture(scope="session")
def scorer(smoke) -> scoring.Scoring:
    return scoring.Scoring.from_parameters(smoke)


@pytest.fixture(scope="session")
def spec(smoke) -> selection.Selection:
    return selection.Selection.from_parameters(smoke)
