"""Run a profile's notebooks in order with papermill, skipping those that have not changed.

``python -m lib.run --profile demo`` executes ``notebooks/NN_*.ipynb`` into
``results/<profile>/notebooks/``, never into ``notebooks/``. Each notebook gets exactly the
profile parameters it declares in its ``parameters`` cell. A notebook is skipped when its
source, its parameters, the profile's data, the ``lib`` definitions it runs (directly or
through other ``lib`` code: :func:`code_units`, by :mod:`lib.dependencies`' rules) and the
results of the notebooks it reads (:func:`reads`, derived from that code) are as they were at
its last successful run, and the artefacts it declares (:data:`ARTEFACTS`) are all still
there. A notebook that runs again and writes the same results re-runs none of its readers.
The cell tagged ``finding`` does not count: the book writes every chapter's opening afresh from
the records at each build, so a sentence changed in :mod:`lib.findings` needs ``make html``,
and re-runs only a notebook whose other cells call the changed function. The first
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
import fcntl
import hashlib
import inspect
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import nbformat
import papermill
import yaml

from lib import dependencies, paths, profiles, toolkit
from lib.datasets import cell_applies, data_fingerprint
from lib.record import CHAPTER_OF, CHAPTERS


#: A file a notebook writes: the :mod:`lib.paths` function naming it, and the parts below.
Written = tuple[Callable[..., Path], *tuple[str, ...]]

#: What each notebook's readers read besides its chapter's record (:data:`lib.record.CHAPTER_OF`),
#: by the :mod:`lib.paths` function that names it. A notebook whose code uses one of these
#: functions, or the record's chapter class, reads that notebook (:func:`reads`) and runs again
#: when these files have changed. The training runs are read through their folder; what they
#: hold is in the runs table.
RESULTS: dict[str, tuple[Written, ...]] = {
    "01_training": ((paths.runs_table,), (paths.learning_curves_table,), (toolkit.runs_dir,)),
    "02_difficulty": ((paths.ordering_file,), (paths.dynamics_file,)),
    "02b_definitions": ((paths.definition_file,), (paths.fold_probabilities_file,)),
    "02c_kinds": ((paths.hardness_file,), (paths.duplicates_file,)),
    "03_selection": ((paths.selection_dir, paths.SELECTION_TABLE),
                     (paths.selection_dir, paths.EXPLANATIONS_TABLE)),
    "10_review": ((paths.review_file,),),
}
#: Files a notebook writes that later notebooks add to as well (run folders, prediction
#: caches): checked after it runs and before it is skipped, not compared.
ALSO_WRITES: dict[str, tuple[Written, ...]] = {
    "01_training": ((toolkit.runs_dir, "*", toolkit.METRICS_FILE),),
    "05_classes": ((paths.predictions_file,),),
}


def _pattern(function: Callable[..., Path], *below: str) -> str:
    """A file a :mod:`lib.paths` function names, with ``*`` for each of its parts, as a glob
    pattern relative to the profile's results folder."""
    parts = ["*"] * len(inspect.signature(function).parameters)
    return str(function(*parts).joinpath(*below).relative_to(paths.results_dir("*")))


def chapter_results(notebook: str) -> tuple[str, ...]:
    """Glob patterns of a notebook's results: its record and :data:`RESULTS` (what its page
    links for download, :func:`lib.book.chapter_files`)."""
    own_record = ([str(paths.record_file("*", CHAPTER_OF[notebook])
                       .relative_to(paths.results_dir("*")))] if notebook in CHAPTER_OF else [])
    return (*own_record, *(_pattern(*written) for written in RESULTS.get(notebook, ())))


#: What each notebook writes (glob patterns under ``results/<profile>/``), checked after it
#: runs and before it is skipped: a notebook whose artefacts were deleted runs again.
ARTEFACTS: dict[str, tuple[str, ...]] = {
    notebook: (*chapter_results(notebook),
               *(_pattern(*written) for written in ALSO_WRITES.get(notebook, ())))
    for notebook in CHAPTER_OF}


#: The kernel logs nothing of its own: its warning about TCP transport, repeated for every
#: notebook, and the KeyboardInterrupt it may log when it is shut down (jupyter_client
#: interrupts a kernel before asking it to stop) say nothing about the notebook; errors in a
#: cell still come back as the cell's output.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


class NotebookFailed(RuntimeError):
    pass


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGTERM), handled like Ctrl-C."""


#: Cells with this tag are left out of a notebook's code fingerprint (see the module's doc).
FINDING_TAG = "finding"


def notebooks() -> list[Path]:
    return paths.chapter_notebooks()


def declared_parameters(notebook: Path) -> list[str]:
    return list(papermill.inspect_notebook(str(notebook)))


def _data_fingerprint(profile: str, datasets: list[str]) -> str:
    return json.dumps([[name, data_fingerprint(profile, name)] for name in datasets])


def code_units(notebook: Path) -> set[dependencies.Unit]:
    """The ``lib`` definitions a notebook runs (:mod:`lib.dependencies`), its ``finding``
    cells aside."""
    cells = nbformat.read(notebook, as_version=4).cells
    return dependencies.used_by("\n".join(
        cell.source for cell in cells
        if cell.cell_type == "code" and FINDING_TAG not in cell.metadata.get("tags", [])))


def code_files(notebook: Path) -> list[Path]:
    """The ``lib`` source files holding the definitions a notebook runs."""
    return dependencies.files(code_units(notebook))


def code_fingerprint(notebook: Path) -> str:
    """The code of :func:`code_units`: a change in a definition a notebook runs re-runs it, a
    change elsewhere (another function of the same file, a docstring) does not."""
    return dependencies.fingerprint(code_units(notebook))


def _outputs(notebook: str) -> set[dependencies.Unit]:
    """The definitions through which other notebooks read a notebook's results: its record's
    chapter class and the :mod:`lib.paths` functions of :data:`RESULTS`."""
    chapters = [c.__name__ for c in CHAPTERS if c.NOTEBOOK == notebook]
    return {*(("lib.record", chapter) for chapter in chapters),
            *(("lib.record", f"{chapter}.CHAPTER") for chapter in chapters),
            *((function.__module__, function.__name__)
              for function, *_ in RESULTS.get(notebook, ()))}


def reads(all_notebooks: list[Path], units: dict[str, set[dependencies.Unit]] | None = None
          ) -> dict[str, tuple[str, ...]]:
    """The earlier notebooks whose results each notebook reads, from the code it runs
    (``units``: :func:`code_units` by notebook, when already known): it runs again when their
    results have changed."""
    stems = [n.stem for n in all_notebooks]
    units = units or {n.stem: code_units(n) for n in all_notebooks}
    return {stem: tuple(earlier for earlier in stems[:stems.index(stem)]
                        if units[stem] & _outputs(earlier))
            for stem in stems}


def _results_fingerprint(profile: str, notebook: Path) -> str:
    """The content of a notebook's results (:func:`chapter_results`): a notebook that ran
    again and wrote the same results re-runs none of its readers."""
    digest = hashlib.sha256()
    root = paths.results_dir(profile)
    for pattern in chapter_results(notebook.stem):
        for file in sorted(p for p in root.glob(pattern) if p.is_file()):
            digest.update(f"{file.relative_to(root)}\0".encode() + file.read_bytes())
    return digest.hexdigest()[:16]


def artefacts(profile: str, notebook: Path, patterns: tuple[str, ...] | None = None
              ) -> tuple[list[str], list[str]]:
    """The files a notebook's declared patterns (``patterns``, or :data:`ARTEFACTS`) match now,
    and the patterns matching none."""
    root = paths.results_dir(profile)
    found, missing = [], []
    for pattern in ARTEFACTS.get(notebook.stem, ()) if patterns is None else patterns:
        matches = sorted(str(p.relative_to(root)) for p in root.glob(pattern) if p.exists())
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
    """Streams a notebook's printed progress to the terminal, indented under its name (or, when
    chapters run at once, after it)."""

    def __init__(self, stream: Any, prefix: str = "    ") -> None:
        self.stream, self.prefix = stream, prefix

    def write(self, text: str) -> None:
        self.stream.write("".join(f"{self.prefix}{line}"
                                  for line in text.splitlines(keepends=True)))

    def flush(self) -> None:
        self.stream.flush()


#: The environment of notebooks run at once: torch's OpenMP threads sleep when idle instead of
#: spinning, which on a machine with as many cores as threads took the cores from the other
#: notebook (the smoke build: 1.4 times the CPU time, no faster). Results are unchanged: the
#: thread count, which sets the order of sums, stays as it is.
SHARED_CORES_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


@dataclass(frozen=True)
class _Step:
    """One notebook to execute: the parameters it gets and the key its stamp will carry."""
    profile: str
    notebook: Path
    given: dict[str, Any]
    key: str
    datasets: list[str]

    @property
    def output(self) -> Path:
        """The executed notebook, once it has run to the end."""
        return paths.executed_notebooks_dir(self.profile) / self.notebook.name

    @property
    def stamp_file(self) -> Path:
        return self.output.parent / ".stamps" / f"{self.notebook.stem}.json"

    @property
    def errors_file(self) -> Path:
        """Where a step run in a process of its own writes its stderr (:func:`_start`)."""
        return self.output.parent / ".running" / f"{self.notebook.stem}.stderr"


def run_profile(profile: str, only: list[str] | None = None, force: bool = False,
                overrides: dict[str, Any] | None = None, jobs: int = 1) -> list[dict]:
    """Run the profile's notebooks that changed; ``overrides`` replace some of its values for
    this run (checked like the profile's, e.g. ``{"LAUNCHER": "slurm"}``). With ``jobs`` above
    1, up to that many run at once, each as soon as the notebooks it reads have finished
    (:func:`_run_at_once`)."""
    params = {**profiles.load(profile), **profiles.check("command line", **(overrides or {}))}
    (paths.executed_notebooks_dir(profile) / ".stamps").mkdir(parents=True, exist_ok=True)
    data = _data_fingerprint(profile, params["DATASETS"])
    chapters = notebooks()
    units = {notebook.stem: code_units(notebook) for notebook in chapters}
    upstream_of = reads(chapters, units)
    given_to: dict[str, dict[str, Any]] = {}
    for notebook in chapters:  # every notebook's parameters checked before any runs
        declared = declared_parameters(notebook)
        unknown = [name for name in declared if name not in profiles.SCHEMA]
        if unknown:
            raise profiles.ProfileError(f"{paths.relative(notebook)}: parameter {unknown[0]} "
                                        "is not in lib/profiles.py SCHEMA")
        given_to[notebook.stem] = profiles.subset(params, declared)

    def decide(notebook: Path) -> dict | _Step:
        """The skip record of a notebook that need not run, or the step that runs it; its
        upstream notebooks have finished."""
        given = given_to[notebook.stem]
        upstream = [_results_fingerprint(profile, earlier) for earlier in chapters
                    if earlier.stem in upstream_of[notebook.stem]]
        step = _Step(profile, notebook, given, _key(
            notebook.read_bytes().hex(), given, data,
            dependencies.fingerprint(units[notebook.stem]), upstream), params["DATASETS"])
        stamp = json.loads(step.stamp_file.read_text()) if step.stamp_file.is_file() else {}
        if not (only is None or notebook.stem in only or notebook.name in only):
            print(f"  skip {notebook.name} (not selected)")
            return {**stamp, "notebook": notebook.name, "skipped": True}
        reason = "forced" if force else _reason_to_run(profile, notebook, step.key, stamp,
                                                       step.output)
        if not reason:
            print(f"  skip {notebook.name} (unchanged)")
            return {**stamp, "notebook": notebook.name, "skipped": True}
        print(f"  run  {notebook.name} ({reason}; {len(given)} parameters)", flush=True)
        return step

    if jobs > 1:
        with _alone(profile):
            return _run_at_once(chapters, upstream_of, decide, jobs)
    log: list[dict] = []
    for notebook in chapters:
        decided = decide(notebook)
        log.append(decided if isinstance(decided, dict) else _execute(decided))
    return log


@contextmanager
def _alone(profile: str) -> Iterator[None]:
    """The profile's notebooks to this run alone while it runs several at once: its chapters
    wait for each other's toolkit folders, so a second run would interleave with them."""
    lock = paths.executed_notebooks_dir(profile) / ".runner.lock"
    with lock.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise NotebookFailed(f"{paths.relative(lock.parent)} is in use by another run of "
                                 "this profile's notebooks; wait for it to finish") from None
        yield


def _run_at_once(chapters: list[Path], upstream_of: dict[str, tuple[str, ...]],
                 decide: Callable[[Path], dict | _Step], jobs: int) -> list[dict]:
    """Up to ``jobs`` notebooks at once, each in a runner process of its own
    (:func:`_start`), in notebook order as soon as the notebooks in ``upstream_of`` have
    finished.

    A failure starts nothing more, lets the notebooks already running finish (nothing
    computed is lost) and is then raised as the failed notebook's one line. Ctrl-C or SIGTERM
    ends every running notebook as the one-at-a-time runner ends its one. Chapters sharing a
    toolkit folder wait for each other's lock (:data:`lib.toolkit.WAIT_FOR_LOCK_ENV`)."""
    finished: dict[str, dict] = {}
    waiting = list(chapters)
    running: dict[str, tuple[subprocess.Popen, _Step]] = {}
    failures: list[str] = []
    try:
        while waiting or running:
            ready = [n for n in waiting if not failures and len(running) < jobs
                     and all(up in finished for up in upstream_of[n.stem])]
            if ready:
                notebook = ready[0]
                waiting.remove(notebook)
                decided = decide(notebook)
                if isinstance(decided, dict):
                    finished[notebook.stem] = decided
                else:
                    running[notebook.stem] = (_start(decided), decided)
                continue
            if not running:
                break  # a failure left the rest waiting
            time.sleep(0.2)
            for stem, (process, step) in list(running.items()):
                if process.poll() is None:
                    continue
                del running[stem]
                said = _relayed(step)
                if process.returncode == 0:
                    finished[stem] = json.loads(step.stamp_file.read_text())
                else:
                    failures.append(said or f"{paths.relative(step.notebook)} ended with exit "
                                            f"code {process.returncode}")
    except BaseException as err:
        # Ctrl-C from a terminal has reached the steps too; anything else has not
        _end([process for process, _ in running.values()],
             signalled=type(err) is KeyboardInterrupt)
        for _, step in running.values():
            _relayed(step)
        if not isinstance(err, KeyboardInterrupt):
            raise
        names = ", ".join(f"{stem}.ipynb" for stem in running)
        how = "by SIGTERM" if isinstance(err, Interrupted) else "by Ctrl-C"
        raise Interrupted(f"{names} {'were' if len(running) > 1 else 'was'} interrupted {how}; "
                          "partial outputs were discarded and the next run starts them again"
                          if running else f"interrupted {how}") from None
    if failures:
        raise NotebookFailed(failures[0])
    return [finished[n.stem] for n in chapters if n.stem in finished]


def _start(step: _Step) -> subprocess.Popen:
    """A runner process executing one step (``--execute``), sent SIGTERM if this one dies; its
    progress goes to the terminal after the notebook's name, its stderr to a file read when it
    ends (:func:`_relayed`)."""
    spec = {"profile": step.profile, "notebook": str(step.notebook), "given": step.given,
            "key": step.key, "datasets": step.datasets,
            "artefacts": list(ARTEFACTS.get(step.notebook.stem, ()))}
    step.errors_file.parent.mkdir(exist_ok=True)
    with step.errors_file.open("w") as err:
        process = subprocess.Popen(
            toolkit.dying_with_this_process([sys.executable, "-m", "lib.run", "--execute",
                                             json.dumps(spec)], signal.SIGTERM),
            cwd=paths.ROOT, stderr=err,
            env={**SHARED_CORES_ENV, **os.environ, "COMPENDIUM_RESULTS": str(paths.RESULTS),
                 toolkit.WAIT_FOR_LOCK_ENV: "1"})
    return process


def _relayed(step: _Step) -> str:
    """A finished step's stderr passed on to this process's, but for its closing ``error:`` or
    ``interrupted:`` line, which is returned."""
    errors = step.errors_file
    lines = errors.read_text(errors="replace").splitlines() if errors.is_file() else []
    errors.unlink(missing_ok=True)
    said = next((line.split(": ", 1)[1] for line in reversed(lines)
                 if line.startswith(("error: ", "interrupted: "))), "")
    for line in lines:
        if not line.startswith(("error: ", "interrupted: ")):
            print(line, file=sys.stderr)
    return said


def _end(processes: list[subprocess.Popen], signalled: bool, grace: float = 20.0) -> None:
    """End the steps' runners as SIGTERM ends the one-at-a-time runner (their kernels and
    toolkit commands with them), or kill them after ``grace`` seconds. Runners ``signalled``
    already (Ctrl-C reaches the whole process group) are first given the grace to end alone."""
    deadline = time.monotonic() + grace
    if signalled:
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            time.sleep(0.2)
        deadline = time.monotonic() + grace
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def for_datasets(notebook: Path, names: list[str]) -> Any:
    """The notebook as a profile of these datasets runs it: without the cells whose tags keep
    them for other datasets only (:data:`lib.datasets.CELL_AUDIENCES`)."""
    import nbformat  # here only: every process importing lib.run would pay for it

    node = nbformat.read(notebook, as_version=4)
    node.cells = [cell for cell in node.cells
                  if cell_applies(cell.metadata.get("tags", []), names)]
    return node


def _execute(step: _Step, artefact_patterns: tuple[str, ...] | None = None,
             progress: str = "    ") -> dict:
    """Run one notebook, as :func:`for_datasets` cuts it for the profile's datasets; only a run
    that finished and wrote its artefacts (``artefact_patterns``, or :data:`ARTEFACTS`) leaves
    an ok stamp. Its printed progress is streamed after ``progress``."""
    profile, notebook, given, key = step.profile, step.notebook, step.given, step.key
    output, stamp_file = step.output, step.stamp_file
    out_dir = output.parent
    stamp_file.unlink(missing_ok=True)  # until this run has finished, nothing is up to date
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

    outer = os.environ.get(paths.NOTEBOOK_ENV)
    os.environ[paths.NOTEBOOK_ENV] = notebook.stem  # for its kernel: the command ledger
    try:
        papermill.execute_notebook(for_datasets(notebook, step.datasets), str(running),
                                   parameters=given, cwd=str(paths.NOTEBOOKS),
                                   kernel_name="python3", progress_bar=False,
                                   stdout_file=_Indented(sys.stdout, progress),
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
    except Exception as err:  # the kernel would not start, died, or the notebook is unreadable
        kept = failed("failed")
        saved = (f"output so far saved to {paths.relative(kept)}" if kept.is_file()
                 else "no output was written")
        reason = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise NotebookFailed(f"{paths.relative(notebook)} could not run: {type(err).__name__}"
                             f"{': ' + reason if reason else ''} ({saved})") from None
    finally:
        if outer is None:
            os.environ.pop(paths.NOTEBOOK_ENV, None)
        else:
            os.environ[paths.NOTEBOOK_ENV] = outer
    found, missing = artefacts(profile, notebook, artefact_patterns)
    if missing:
        kept = failed("failed")
        raise NotebookFailed(f"{paths.relative(notebook)} ran but wrote nothing matching "
                             f"results/{profile}/{missing[0]} (output saved to "
                             f"{paths.relative(kept)})")
    shutil.move(running, output)
    record.update(status="ok", seconds=round(time.time() - started, 1), artefacts=found)
    stamp_file.write_text(json.dumps(record, indent=2))
    stamp_file.with_suffix(".failed.json").unlink(missing_ok=True)
    print(f"  done {notebook.name} in {record['seconds']} s", flush=True)
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
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once, each when "
                        "the notebooks it reads have finished (default 1)")
    parser.add_argument("--execute", help=argparse.SUPPRESS)  # one step of --jobs (_start)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.execute:
            spec = json.loads(args.execute)
            _execute(_Step(spec["profile"], Path(spec["notebook"]), spec["given"], spec["key"],
                           spec["datasets"]), tuple(spec["artefacts"]),
                     progress=f"    {Path(spec['notebook']).stem}: ")
            return 0
        if args.jobs < 1:
            parser.error("--jobs must be 1 or more")
        overrides = {name: yaml.safe_load(value) for name, value in args.parameter}
        run_profile(args.profile, args.only, args.force, overrides, args.jobs)
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
