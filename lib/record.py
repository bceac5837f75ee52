"""Every chapter's key numbers, one file each: ``results/<profile>/<chapter>/summary.json``.

A notebook saves what it found with :func:`save`; the results chapter, the runner's artefact
check and the tests read it back with :func:`load`. Nothing else writes these files.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lib import paths


class RecordMissing(FileNotFoundError):
    """A chapter's key numbers are not there yet; one line naming the file and the notebook."""


def file(profile: str, chapter: str) -> Path:
    return paths.results_dir(profile) / chapter / "summary.json"


def save(profile: str, chapter: str, numbers: dict[str, Any]) -> Path:
    """Write a chapter's key numbers atomically: an interrupted write never leaves half a file."""
    target = file(profile, chapter)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(numbers, indent=2, default=float) + "\n")
    partial.replace(target)
    return target


def load(profile: str, chapter: str) -> dict[str, Any]:
    target = file(profile, chapter)
    if not target.is_file():
        raise RecordMissing(f"{paths.relative(target)} is missing: run the {chapter} notebook "
                            f"first (make notebooks PROFILE={profile})")
    return json.loads(target.read_text())
