"""Run a profile's notebooks in order with papermill, skipping those that have not changed.

``python -m lib.run --profile demo`` executes ``notebooks/NN_*.ipynb`` into
``results/<profile>/notebooks/``, never into ``notebooks/``. Each notebook gets exactly the
profile parameters it declares in its ``parameters`` cell. A notebook is skipped when its
source, its parameters, the profile's data and every earlier notebook are as they were at its
last successful run. The first failure stops the run with one line naming the notebook and
its saved output; the previous good output is kept.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import papermill

from lib import paths, profiles
from lib.datasets import data_fingerprint


def notebooks() -> list[Path]:
    return sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(notebook: Path) -> list[str]:
    return list(papermill.inspect_notebook(str(notebook)))


def _data_fingerprint(profile: str, datasets: list[str]) -> str:
    return json.dumps([[name, data_fingerprint(profile, name)] for name in datasets])


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def record_key_numbers(profile: str, chapter: str, numbers: dict[str, Any]) -> Path:
    """Save a chapter's key numbers (``results/<profile>/<chapter>/summary.json``) for tests."""
    file = paths.results_dir(profile) / chapter / "summary.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(numbers, indent=2, default=float) + "\n")
    return file


class NotebookFailed(RuntimeError):
    pass


class _Indented:
    """Streams a notebook's printed progress to the terminal, indented under its name."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write("".join(f"    {line}" for line in text.splitlines(keepends=True)))

    def flush(self) -> None:
        self.stream.flush()


def run_profile(profile: str, only: list[str] | None = None, force: bool = False) -> list[dict]:
    params = profiles.load(profile)
    out_dir = paths.executed_notebooks_dir(profile)
    stamps = out_dir / ".stamps"
    stamps.mkdir(parents=True, exist_ok=True)
    upstream = _key(_data_fingerprint(profile, params["DATASETS"]))
    log: list[dict] = []
    for notebook in notebooks():
        declared = declared_parameters(notebook)
        unknown = [name for name in declared if name not in profiles.SCHEMA]
        if unknown:
            raise profiles.ProfileError(f"{paths.relative(notebook)}: parameter {unknown[0]} "
                                        "is not in lib/profiles.py SCHEMA")
        given = profiles.subset(params, declared)
        key = _key(notebook.read_bytes().hex(), given, upstream)
        upstream = key  # every later notebook depends on this one
        output = out_dir / notebook.name
        stamp_file = stamps / f"{notebook.stem}.json"
        stamp = json.loads(stamp_file.read_text()) if stamp_file.is_file() else {}
        selected = only is None or notebook.stem in only or notebook.name in only
        if not selected or (not force and stamp.get("key") == key and output.is_file()):
            print(f"  skip {notebook.name} ({'unchanged' if selected else 'not selected'})")
            log.append({**stamp, "notebook": notebook.name, "skipped": True})
            continue
        print(f"  run  {notebook.name} ({len(given)} parameters)", flush=True)
        running = out_dir / ".running" / notebook.name
        running.parent.mkdir(exist_ok=True)
        started = time.time()
        record = {"notebook": notebook.name, "key": key, "parameters": given,
                  "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        try:
            papermill.execute_notebook(str(notebook), str(running), parameters=given,
                                       cwd=str(paths.NOTEBOOKS), kernel_name="python3",
                                       progress_bar=False, stdout_file=_Indented(sys.stdout))
        except papermill.PapermillExecutionError as err:
            failed = out_dir / "failed" / notebook.name
            failed.parent.mkdir(exist_ok=True)
            shutil.move(running, failed)
            record.update(status="failed", seconds=round(time.time() - started, 1))
            stamp_file.with_suffix(".failed.json").write_text(json.dumps(record, indent=2))
            raise NotebookFailed(f"{paths.relative(notebook)} failed: {err.ename}: "
                                 f"{err.evalue.splitlines()[0] if err.evalue else ''} "
                                 f"(output saved to {paths.relative(failed)})") from None
        shutil.move(running, output)
        record.update(status="ok", seconds=round(time.time() - started, 1))
        stamp_file.write_text(json.dumps(record, indent=2))
        stamp_file.with_suffix(".failed.json").unlink(missing_ok=True)
        print(f"  done {notebook.name} in {record['seconds']} s")
        log.append(record)
    return log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    parser.add_argument("--only", nargs="*", help="notebook names to run (e.g. 00_data)")
    parser.add_argument("--force", action="store_true", help="run even if unchanged")
    args = parser.parse_args(argv)
    try:
        run_profile(args.profile, args.only, args.force)
    except (profiles.ProfileError, NotebookFailed) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
