"""Shared fixtures: the smoke profile's data and executed notebooks, made once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lib import data, paths, run


@pytest.fixture(scope="session")
def smoke_data() -> dict:
    """The smoke datasets, generated (or reused) and preprocessed by the real pipeline."""
    return data.prepare("smoke")


@pytest.fixture(scope="session")
def smoke_notebooks(smoke_data) -> list[dict]:
    return run.run_profile("smoke")


@pytest.fixture()
def keyword_copy(smoke_data, tmp_path: Path) -> Path:
    """A private copy of the smoke keyword set that a test may damage."""
    target = tmp_path / "OfflineKeywords"
    shutil.copytree(paths.dataset_dir("smoke", "OfflineKeywords"), target,
                    ignore=shutil.ignore_patterns("log_mel_16k"))
    return target
