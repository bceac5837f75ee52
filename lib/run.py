"""Run a profile's notebooks in order with papermill, skipping those that have not changed.

``python -m lib.run --profile demo`` executes ``notebooks/NN_*.ipynb`` into
``results/<profile>/notebooks/``, never into ``notebooks/``. Each notebook gets exactly the
profile parameters it declares in its ``parameters`` cell. A notebook is skipped when its
source, its parameters, the profile's data, the ``lib`` modules it imports (directly or
through other ``lib`` modules: :func:`code_files`) and the notebooks whose results it reads
(:data:`READS`) are as they were at its last successful run, and the artefacts it declares
(:data:`ARTEFACTS`) are all still there. The cell tagged ``finding`` does not count: the book
writes every chapter's opening afresh from the records at each build, so a sentence changed
in :mod:`lib.findings` needs ``make html``; of the notebooks, only ``05_classes`` (which
shows its class-level sentence in a cell of its own) and ``90_results`` run again. The first
failure stops the run with one line naming the notebook and its saved output; the previous
good output is kept.
Ctrl-C and SIGTERM (what SLURM and CI send) end a run the same way within seconds: the kernel
is interrupted (which ends its toolkit command) and shut down, the interrupted notebook's
partial output is discarded, its ok stamp is already gone, and the next run starts it again
(finished training runs are kept). A run started with SIGINT ignored (a background job of a
non-interactive shell, ``nohup``) ignores Ctrl-C, as POSIX programs do; SIGTERM still ends it.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import logging
import re
import shutil
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import papermill
import yaml

from lib import paths, profiles, toolkit
from lib.datasets import data_fingerprint
from lib.record import CHAPTER_OF


def _pattern(path: Path) -> str:
    """A path of :mod:`lib.paths` built with ``*`` for the profile's parts, as a glob pattern
    relative to the profile's results folder."""
    return str(path.relative_to(paths.results_dir("*")))


#: What each notebook writes under ``results/<profile>/`` (glob patterns), checked after it
#: runs and before it is skipped: a notebook whose artefacts were deleted runs again. Every
#: notebook writes its chapter's record (:data:`lib.record.CHAPTER_OF`).
ARTEFACTS: dict[str, tuple[str, ...]] = {
    notebook: (_pattern(paths.record_file("*", CHAPTER_OF[notebook])), *more)
    for notebook, *more in (
        ("00_data",),
        ("01_training", _pattern(paths.runs_table("*")),
         _pattern(paths.learning_curves_table("*")),
         _pattern(toolkit.runs_dir("*") / "*" / toolkit.METRICS_FILE)),
        ("02_difficulty", _pattern(paths.ordering_file("*", "*")),
         _pattern(paths.dynamics_file("*", "*"))),
        ("03_selection", _pattern(paths.selection_dir("*", "*") / paths.SELECTION_TABLE),
         _pattern(paths.selection_dir("*", "*") / paths.EXPLANATIONS_TABLE)),
        ("02b_definitions", _pattern(paths.definition_file("*", "*", "*"))),
        ("04_explanations",),
        ("05_classes", _pattern(paths.predictions_file("*", "*", "*"))),
        ("06_inference",), ("07_validation",), ("08_pruning",), ("09_curricula",),
        ("90_results",))}


#: The kernel logs only errors: its warning about TCP transport, repeated for every notebook,
#: says nothing about the notebook (errors in a cell still come back as the cell's output).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


class NotebookFailed(RuntimeError):
    pass


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM), handled like Ctrl-C."""


#: The notebooks whose results each notebook reads (training runs, orderings, selections,
#: records): it re-runs when one of them has. The data itself is fingerprinted apart.
READS: dict[str, tuple[str, ...]] = {
    "00_data": (),
    "01_training": (),
    "02_difficulty": ("01_training",),
    "02b_definitions": ("01_training", "02_difficulty"),
    "03_selection": ("01_training", "02_difficulty"),
    "04_explanations": ("01_training", "02_difficulty", "03_selection"),
    "05_classes": ("01_training", "02_difficulty"),
    "06_inference": ("01_training", "02_difficulty"),
    "07_validation": ("01_training", "02_difficulty", "02b_definitions"),
    "08_pruning": ("01_training", "02_difficulty", "02b_definitions"),
    "09_curricula": ("00_data", "01_training", "02_difficulty", "02b_definitions",
                     "08_pruning"),
    "90_results": ("00_data", "01_training", "02_difficulty", "02b_definitions", "03_selection",
                   "04_explanations", "05_classes", "06_inference", "07_validation",
                   "08_pruning", "09_curricula"),
}
#: Cells with this tag are left out of a notebook's code fingerprint (see the module's doc).
FINDING_TAG = "finding"


def notebooks() -> list[Path]:
    return paths.chapter_notebooks()


def declared_parameters(notebook: Path) -> list[str]:
    return list(papermill.inspect_notebook(str(notebook)))


def _data_fingerprint(profile: str, datasets: list[str]) -> str:
    return json.dumps([[name, data_fingerprint(profile, name)] for name in datasets])


def _lib_imports(tree: ast.AST) -> set[str]:
    """Dotted names that may be ``lib`` modules used anywhere in ``tree``: imported (``from
    lib import x`` names ``lib.x``, a module or a name inside ``lib``) or named in a string
    for the toolkit to import (a Hydra ``_target_`` such as ``f"lib.models.{model}"``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and re.fullmatch(r"lib(\.\w+)+", node.value.rstrip(".")):
            names.add(node.value.rstrip("."))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "lib")
        elif (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
              and node.module.split(".")[0] == "lib"):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _module_file(name: str) -> Path | None:
    """The source file of ``lib`` module ``name`` (a package's ``__init__.py``), if any."""
    folder = paths.LIB.joinpath(*name.split(".")[1:])
    if name != "lib" and folder.with_suffix(".py").is_file():
        return folder.with_suffix(".py")
    init = folder / "__init__.py"
    return init if init.is_file() else None


def code_files(notebook: Path) -> list[Path]:
    """The ``lib`` source files a notebook runs: the modules its cells import, the modules
    those import, and so on, with every package's ``__init__.py`` on the way."""
    cells = nbformat.read(notebook, as_version=4).cells
    source = "\n".join(cell.source for cell in cells if cell.cell_type == "code"
                       and FINDING_TAG not in cell.metadata.get("tags", []))
    pending, seen = _lib_imports(ast.parse(source)), set()
    files: set[Path] = set()
    while pending:
        name = pending.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # the packages on the way run too
            module = ".".join(parts[:depth])
            if module in seen:
                continue
            seen.add(module)
            file = _module_file(module)
            if file is not None:
                files.add(file)
                pending |= _lib_imports(ast.parse(file.read_bytes())) - seen
    return sorted(files)


def code_fingerprint(notebook: Path) -> str:
    """The source of :func:`code_files`: a change in the code a notebook runs re-runs it, a
    change elsewhere in ``lib`` does not."""
    digest = hashlib.sha256()
    for module in code_files(notebook):
        digest.update(f"{module.relative_to(paths.LIB)}\0".encode() + module.read_bytes())
    return digest.hexdigest()[:16]


def artefacts(profile: str, notebook: Path) -> tuple[list[str], list[str]]:
    """The files a notebook's declared patterns match now, and the patterns matching none."""
    root = paths.results_dir(profile)
    found, missing = [], []
    for pattern in ARTEFACTS.get(notebook.stem, ()):
        matches = sorted(str(p.relative_to(root)) for p in root.glob(pattern) if p.is_file())
        found.extend(matches)
        if not matches:
            missing.append(pattern)
    return found, missing


def _reason_to_run(profile: str, notebook: Path, key: str, stamp: dict, output: Path) -> str:
    """Why a selected notebook must run (empty: it is unchanged and may be skipped)."""
    if stamp.get("key") != key or stamp.get("status") != "ok":
        return "changed" if stamp else "no earlier successful run"
    if not output.is_file():
        return f"its output {paths.relative(output)} is missing"
    found, missing = artefacts(profile, notebook)
    gone = missing or [f for f in stamp.get("artefacts", []) if f not in found]
    if gone:
        return f"artefact {gone[0]} is missing"
    return ""


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class _Indented:
    """Streams a notebook's printed progress to the terminal, indented under its name."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write("".join(f"    {line}" for line in text.splitlines(keepends=True)))

    def flush(self) -> None:
        self.stream.flush()


def run_profile(profile: str, only: list[str] | None = None, force: bool = False,
                overrides: dict[str, Any] | None = None) -> list[dict]:
    """Run the profile's notebooks that changed; ``overrides`` replace some of its values for
    this run (checked like the profile's, e.g. ``{"LAUNCHER": "slurm"}``)."""
    params = {**profiles.load(profile), **profiles.check("command line", **(overrides or {}))}
    out_dir = paths.executed_notebooks_dir(profile)
    stamps = out_dir / ".stamps"
    stamps.mkdir(parents=True, exist_ok=True)
    data = _data_fingerprint(profile, params["DATASETS"])
    keys: dict[str, str] = {}
    log: list[dict] = []
    for notebook in notebooks():
        declared = declared_parameters(notebook)
        unknown = [name for name in declared if name not in profiles.SCHEMA]
        if unknown:
            raise profiles.ProfileError(f"{paths.relative(notebook)}: parameter {unknown[0]} "
                                        "is not in lib/profiles.py SCHEMA")
        given = profiles.subset(params, declared)
        upstream = [keys.get(read, "") for read in READS.get(notebook.stem, ())]
        key = _key(notebook.read_bytes().hex(), given, data, code_fingerprint(notebook), upstream)
        keys[notebook.stem] = key
        output = out_dir / notebook.name
        stamp_file = stamps / f"{notebook.stem}.json"
        stamp = json.loads(stamp_file.read_text()) if stamp_file.is_file() else {}
        if not (only is None or notebook.stem in only or notebook.name in only):
            print(f"  skip {notebook.name} (not selected)")
            log.append({**stamp, "notebook": notebook.name, "skipped": True})
            continue
        reason = "forced" if force else _reason_to_run(profile, notebook, key, stamp, output)
        if not reason:
            print(f"  skip {notebook.name} (unchanged)")
            log.append({**stamp, "notebook": notebook.name, "skipped": True})
            continue
        print(f"  run  {notebook.name} ({reason}; {len(given)} parameters)", flush=True)
        log.append(_execute(profile, notebook, given, key, out_dir, stamp_file))
    return log


def _execute(profile: str, notebook: Path, given: dict[str, Any], key: str, out_dir: Path,
             stamp_file: Path) -> dict:
    """Run one notebook; only a run that finished and wrote its artefacts leaves an ok stamp."""
    stamp_file.unlink(missing_ok=True)  # until this run has finished, nothing is up to date
    output = out_dir / notebook.name
    running = out_dir / ".running" / notebook.name
    running.parent.mkdir(exist_ok=True)
    started = time.time()
    record = {"notebook": notebook.name, "key": key, "parameters": given,
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    def failed(status: str) -> Path:
        kept = out_dir / "failed" / notebook.name
        kept.parent.mkdir(exist_ok=True)
        if running.is_file():
            shutil.move(running, kept)
        record.update(status=status, seconds=round(time.time() - started, 1))
        stamp_file.with_suffix(".failed.json").write_text(json.dumps(record, indent=2))
        return kept

    try:
        papermill.execute_notebook(str(notebook), str(running), parameters=given,
                                   cwd=str(paths.NOTEBOOKS), kernel_name="python3",
                                   progress_bar=False, stdout_file=_Indented(sys.stdout),
                                   extra_arguments=KERNEL_ARGUMENTS)
    except papermill.PapermillExecutionError as err:
        kept = failed("failed")
        raise NotebookFailed(f"{paths.relative(notebook)} failed: {err.ename}: "
                             f"{err.evalue.splitlines()[0] if err.evalue else ''} "
                             f"(output saved to {paths.relative(kept)})") from None
    except KeyboardInterrupt as err:
        running.unlink(missing_ok=True)
        record.update(status="interrupted", seconds=round(time.time() - started, 1))
        stamp_file.with_suffix(".failed.json").write_text(json.dumps(record, indent=2))
        how = "by SIGTERM" if isinstance(err, Interrupted) else "by Ctrl-C"
        raise Interrupted(f"{paths.relative(notebook)} was interrupted {how} after "
                          f"{record['seconds']} s; its partial output was discarded and the "
                          "next run starts it again") from None
    found, missing = artefacts(profile, notebook)
    if missing:
        kept = failed("failed")
        raise NotebookFailed(f"{paths.relative(notebook)} ran but wrote nothing matching "
                             f"results/{profile}/{missing[0]} (output saved to "
                             f"{paths.relative(kept)})")
    shutil.move(running, output)
    record.update(status="ok", seconds=round(time.time() - started, 1), artefacts=found)
    stamp_file.write_text(json.dumps(record, indent=2))
    stamp_file.with_suffix(".failed.json").unlink(missing_ok=True)
    print(f"  done {notebook.name} in {record['seconds']} s")
    return record


def _terminate(signum: int, frame: Any) -> None:
    raise Interrupted("SIGTERM")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    parser.add_argument("--only", nargs="*", help="notebook names to run (e.g. 00_data)")
    parser.add_argument("--force", action="store_true", help="run even if unchanged")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="override one profile value for this "
                        "run (VALUE read as YAML: -p LAUNCHER slurm, -p SEEDS '[1, 2]')")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        overrides = {name: yaml.safe_load(value) for name, value in args.parameter}
        run_profile(args.profile, args.only, args.force, overrides)
    except (profiles.ProfileError, NotebookFailed) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        # nbclient's polling task, left pending by the interrupt, would log the kernel's death
        # at exit and bury the one line that says what happened.
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        print(f"interrupted: {err or 'before any notebook started'}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
