"""The one place that knows where everything lives.

Raw third-party inputs go to ``data/external``, generated or downloaded datasets to
``data/<profile>/<dataset>``, and everything a profile computes to ``results/<profile>``.
All of it is outside git; deleting ``data/`` and ``results/`` resets the project. On a
cluster, ``COMPENDIUM_RESULTS`` moves ``results/`` elsewhere (a scratch file system, say).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
NOTEBOOKS = ROOT / "notebooks"
PROFILES = NOTEBOOKS / "profiles"
BOOK = ROOT / "book"
DATA = ROOT / "data"
EXTERNAL = DATA / "external"
#: Numbers transcribed from the paper's published results (in git, with their source).
PUBLISHED = DATA / "published"
RESULTS = Path(os.environ.get("COMPENDIUM_RESULTS") or ROOT / "results").resolve()
#: Where the book build finds the executed notebooks (copied there from a profile's results).
BOOK_EXECUTED = BOOK / "executed"
#: Offline copies of MathJax, require.js and the widget manager (built by ``make vendor``).
BOOK_VENDOR_STATIC = BOOK / "_vendor" / "static"


def profile_file(profile: str) -> Path:
    return PROFILES / f"{profile}.yaml"


def sweep_profile(profile: str, flip_fraction: float) -> str:
    """The profile name of one point of the label-noise sweep, nested in its parent's folders
    (``data/<profile>/sweep/flip10/``, ``results/<profile>/sweep/flip10/``)."""
    return f"{profile}/sweep/flip{round(flip_fraction * 100):02d}"


def dataset_dir(profile: str, dataset: str) -> Path:
    """Root of one dataset as autrainer reads it (``train.csv``..., audio under ``default/``)."""
    return DATA / profile / dataset


def results_dir(profile: str) -> Path:
    return RESULTS / profile


def training_dir(profile: str) -> Path:
    """Training overview tables and learning curves of a profile's ensemble (autrainer's own
    run folders are :func:`lib.toolkit.runs_dir`)."""
    return results_dir(profile) / "training"


def difficulty_dir(profile: str) -> Path:
    """One difficulty ordering per dataset, and the scores behind it."""
    return results_dir(profile) / "difficulty"


def executed_notebooks_dir(profile: str) -> Path:
    return results_dir(profile) / "notebooks"


def book_html_dir(profile: str) -> Path:
    return results_dir(profile) / "_build" / "html"


def relative(path: Path) -> str:
    """A path as the user typed it from the repository root, for messages."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
