"""The notebook runner under interruption: killed runs, stale stamps, deleted artefacts, code
changes. Small notebooks written here stand in for the chapters, except in the last test,
which kills the real runner in the middle of the smoke profile's real training."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from lib import paths, profiles, run, training

#: A notebook that holds the profile lock around a long toolkit command when SLEEP is set in
#: its environment (the kernel inherits the runner's), and writes one declared artefact.
NOTEBOOK = '''\
import os
from lib import paths, toolkit
if os.environ.get("SLEEP"):
    with toolkit.exclusive(PROFILE):
        toolkit.run_cli("python", ["-c", "import time; time.sleep(120)  # {marker}"],
                        paths.toolkit_dir(PROFILE), "sleep")
(paths.results_dir(PROFILE) / "tiny").mkdir(parents=True, exist_ok=True)
(paths.results_dir(PROFILE) / "tiny" / "out.txt").write_text("done")
'''

#: Runs the runner on that one notebook in its own process, as `python -m lib.run` would.
DRIVER = '''\
import sys
from pathlib import Path
from lib import run
notebook = Path(sys.argv[1])
run.notebooks = lambda: [notebook]
run.ARTEFACTS = {notebook.stem: ("tiny/out.txt",)}
sys.exit(run.main(["--profile", "smoke", *sys.argv[2:]]))
'''


def _notebook(folder: Path, marker: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('PROFILE = "smoke"  # smoke | demo | paper')
    cell.metadata["tags"] = ["parameters"]
    notebook.cells = [cell, nbformat.v4.new_code_cell(NOTEBOOK.format(marker=marker))]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    file = folder / "50_tiny.ipynb"
    nbformat.write(notebook, file)
    return file


@pytest.fixture()
def tiny(smoke_data, tmp_path, monkeypatch) -> dict:
    """The tiny notebook, a private results folder, and how to run the runner on them."""
    marker = f"runner-test-{tmp_path.name}"
    notebook = _notebook(tmp_path, marker)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {**os.environ, "COMPENDIUM_RESULTS": str(tmp_path / "results")}
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setenv("COMPENDIUM_RESULTS", str(tmp_path / "results"))  # for the kernels
    monkeypatch.setattr(run, "notebooks", lambda: [notebook])
    monkeypatch.setattr(run, "ARTEFACTS", {"50_tiny": ("tiny/out.txt",)})

    def start(*args: str, sleep: bool = False) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(notebook),
                                 *args], cwd=paths.ROOT, env={**env, "SLEEP": "1" if sleep else ""},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                preexec_fn=_as_a_terminal_starts_it)
    return {"notebook": notebook, "marker": marker, "start": start,
            "stamp": paths.executed_notebooks_dir("smoke") / ".stamps" / "50_tiny.json"}


def _as_a_terminal_starts_it() -> None:
    """Give the runner SIGINT at its default, as a shell gives its foreground job.

    A signal ignored at exec stays ignored, and Python then never raises KeyboardInterrupt.
    A non-interactive shell starts its background jobs so (POSIX), and pytest's children
    inherit it: with the suite started as ``bash .ci/run > log &``, the runner ignored the
    test's Ctrl-C until its 120-s command ended (the failure of issue 25), every time.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _processes(pattern: str) -> list[int]:
    """Processes whose command line contains ``pattern`` (not this test's own)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int(entry.name) != os.getpid() and \
                    pattern.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _kernels_of(parent: int) -> list[int]:
    """The Jupyter kernels that process ``parent`` started."""
    found = []
    for pid in _processes("ipykernel_launcher"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def _lock_is_free(profile: str) -> bool:
    with (paths.toolkit_dir(profile) / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_kill_9_of_the_runner_ends_its_toolkit_command_and_frees_the_lock(tiny):
    runner = tiny["start"](sleep=True)
    assert _wait_for(lambda: _processes(tiny["marker"]), 60), "toolkit command never started"
    assert not _lock_is_free("smoke")  # held while the command runs
    runner.kill()
    runner.wait()
    assert _wait_for(lambda: not _processes(tiny["marker"]), 5), "toolkit command outlived it"
    # the orphaned kernel that took the lock notices its parent's death within its poll period
    assert _wait_for(lambda: _lock_is_free("smoke"), 10), "lock still held after the kill"
    assert not tiny["stamp"].exists()


#: How long Ctrl-C or SIGTERM may take to end the runner, its kernel and the toolkit command
#: (about 2 s here, under load too: the kernel is interrupted, then shut down).
ENDS_WITHIN_S = 10


@pytest.mark.parametrize("sig, how", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "Ctrl-C")])
def test_sigterm_and_ctrl_c_end_a_step_alike(tiny, sig, how):
    runner = tiny["start"](sleep=True)
    assert _wait_for(lambda: _processes(tiny["marker"]), 60), "toolkit command never started"
    kernels = _kernels_of(runner.pid)
    assert len(kernels) == 1, f"expected one kernel of the runner, found {kernels}"
    signalled = time.monotonic()
    runner.send_signal(sig)
    try:
        runner.wait(timeout=ENDS_WITHIN_S)
    except subprocess.TimeoutExpired:
        runner.kill()
        pytest.fail(f"the runner was still running {ENDS_WITHIN_S} s after {how}")
    assert _wait_for(lambda: not _processes(tiny["marker"]) and not _alive(kernels[0]),
                     ENDS_WITHIN_S - (time.monotonic() - signalled)), \
        f"the toolkit command or the kernel outlived the runner by {ENDS_WITHIN_S} s"
    _, err = runner.communicate(timeout=10)
    assert runner.returncode == 130
    said = [line for line in err.splitlines() if line.startswith("interrupted: ")]
    assert len(said) == 1 and f"50_tiny.ipynb was interrupted by {how}" in said[0]
    assert "next run starts it again" in said[0]
    out_dir = paths.executed_notebooks_dir("smoke")
    assert not (out_dir / ".running" / "50_tiny.ipynb").exists()  # half-written: discarded
    assert not tiny["stamp"].exists()
    assert run.run_profile("smoke")[0]["status"] == "ok"  # the next run resumes


def test_a_killed_forced_run_is_not_taken_for_done(tiny):
    assert run.run_profile("smoke")[0]["status"] == "ok"
    runner = tiny["start"]("--force", sleep=True)
    assert _wait_for(lambda: _processes(tiny["marker"]), 60)
    runner.kill()
    runner.wait()
    again = run.run_profile("smoke")
    assert not again[0].get("skipped") and again[0]["status"] == "ok"


def test_deleted_artefacts_and_missing_ones_are_noticed(tiny, capsys):
    run.run_profile("smoke")
    assert run.run_profile("smoke")[0]["skipped"]
    (paths.results_dir("smoke") / "tiny" / "out.txt").unlink()
    capsys.readouterr()
    assert run.run_profile("smoke")[0]["status"] == "ok"
    assert "run  50_tiny.ipynb (artefact tiny/out.txt is missing" in capsys.readouterr().out
    run.ARTEFACTS["50_tiny"] = ("tiny/out.txt", "tiny/never-written.csv")
    with pytest.raises(run.NotebookFailed, match="wrote nothing matching .*never-written.csv"):
        run.run_profile("smoke", force=True)
    assert not tiny["stamp"].exists()


def test_a_failure_outside_the_cells_is_one_line_and_leaves_a_failed_stamp(tiny, capsys):
    out_dir = paths.executed_notebooks_dir("smoke")
    blocked = out_dir / ".running" / "50_tiny.ipynb"
    blocked.mkdir(parents=True)  # papermill cannot write its output: no cell ever runs
    assert run.main(["--profile", "smoke"]) == 1
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("error: ") and "50_tiny.ipynb could not run: " \
        "IsADirectoryError" in said[0] and said[0].endswith("(no output was written)")
    assert '"status": "failed"' in tiny["stamp"].with_suffix(".failed.json").read_text()
    assert not tiny["stamp"].exists()
    blocked.rmdir()
    assert run.run_profile("smoke")[0]["status"] == "ok"


def test_a_change_in_lib_re_runs_the_notebooks_that_run_it(tiny, tmp_path, monkeypatch, capsys):
    code = tmp_path / "lib"
    shutil.copytree(paths.LIB, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "LIB", code)
    run.run_profile("smoke")
    assert run.run_profile("smoke")[0]["skipped"]
    # the tiny notebook calls paths.results_dir and toolkit.run_cli, never pruning
    assert code / "toolkit" / "commands.py" in run.code_files(tiny["notebook"])
    assert code / "pruning.py" not in run.code_files(tiny["notebook"])
    toolkit_source = (code / "toolkit" / "commands.py").read_text()
    unchanged_code = {
        "pruning.py": lambda text: text + "\nNEVER_READ = 1\n",
        "toolkit/commands.py": lambda text: text.replace('"""Run ``autrainer``/', '"""Run the '
                                                '``autrainer``/', 1) + "\n# a comment\nADDED = 2\n",
        "record.py": lambda text: text.replace('    TRAIN_SECONDS = "train_seconds"\n',
                                               '    TRAIN_SECONDS = "train_seconds"\n'
                                               '    ADDED_KEY = "added_key"\n', 1)}
    for name, edit in unchanged_code.items():
        before = (code / name).read_text()
        assert edit(before) != before, name
        (code / name).write_text(edit(before))
        assert run.run_profile("smoke")[0]["skipped"], name
    assert '"""Run ``autrainer``/' in toolkit_source  # run_cli's docstring, edited above
    paths_source = (code / "paths.py").read_text()
    (code / "paths.py").write_text(paths_source.replace(
        '    return RESULTS / profile\n', '    assert profile\n    return RESULTS / profile\n', 1))
    assert (code / "paths.py").read_text() != paths_source
    capsys.readouterr()
    assert run.run_profile("smoke")[0]["status"] == "ok"
    assert "run  50_tiny.ipynb (changed" in capsys.readouterr().out


def test_code_files_follow_imports_and_toolkit_targets_but_not_the_finding_cell(tmp_path):
    notebook = nbformat.v4.new_notebook()
    finding = nbformat.v4.new_code_cell("from lib import findings\nfindings.opening('x', 'y')")
    finding.metadata["tags"] = [run.FINDING_TAG]
    notebook.cells = [nbformat.v4.new_code_cell("import lib.plots.training as figures\n"
                                                "figures.learning_curves"),
                      nbformat.v4.new_code_cell("from lib.training import train_ensemble\n"
                                                "train_ensemble"), finding]
    nbformat.write(notebook, tmp_path / "n.ipynb")
    files = {str(f.relative_to(paths.LIB)) for f in run.code_files(tmp_path / "n.ipynb")}
    assert {"__init__.py", "plots/__init__.py", "plots/training.py", "training.py",
            "toolkit/training_configs.py", "paths.py"} <= files
    assert not any(f.startswith("findings") for f in files)
    # training writes autrainer configs whose targets are lib.models and lib.callbacks
    assert "models.py" in files and "callbacks.py" in files
    assert "pruning.py" not in files


def test_every_notebook_reads_only_earlier_ones_and_its_readers_follow_its_code():
    notebooks = run.notebooks()
    stems = [n.stem for n in notebooks]
    reads = run.reads(notebooks)
    assert sorted(reads) == sorted(stems)
    for stem, earlier in reads.items():
        assert all(read in stems[:stems.index(stem)] for read in earlier), stem
    # what the chapters' code says they read: runs, orderings, out-of-fold probabilities
    assert reads["02_difficulty"] == ("01_training",)
    assert {"01_training", "02_difficulty", "02b_definitions"} <= set(reads["07_validation"])
    assert "03_selection" in reads["04_explanations"]
    assert set(reads["90_results"]) == set(stems[:-1])


def test_every_chapter_declares_its_artefacts():
    assert sorted(run.ARTEFACTS) == sorted(n.stem for n in run.notebooks())


def test_kill_9_mid_training_then_rerun_gives_the_same_runs(smoke_notebooks, tmp_path):
    """The real thing: the runner killed while ``autrainer train`` writes a smoke run (of
    the keyword set, seed 1: recovery depends on neither, and one run is the least training);
    run again, it trains the same runs to the byte, so every ordering made from them is the
    same (scoring them is tested apart)."""
    results = tmp_path / "results"
    env = {**os.environ, "COMPENDIUM_RESULTS": str(results)}
    command = [sys.executable, "-m", "lib.run", "--profile", "smoke",
               "--only", "01_training", "-p", "DATASETS", "[OfflineKeywords]",
               "-p", "SEEDS", "[1]"]
    experiments = results / "smoke" / "autrainer" / "results"
    runner = subprocess.Popen(command, cwd=paths.ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    work = str(results / "smoke" / "autrainer")

    def autrainer_here() -> list[int]:
        return [pid for pid in _processes("autrainer")
                if os.path.realpath(f"/proc/{pid}/cwd").startswith(work)]
    assert _wait_for(lambda: any(experiments.glob("*/training/*/epoch_1/model.pt")), 240), \
        "training never reached its first epoch"
    assert autrainer_here(), "no autrainer process of this profile seen mid-training"
    runner.kill()
    runner.wait()
    assert _wait_for(lambda: not autrainer_here(), 5), "autrainer outlived the runner"

    finished = subprocess.run(command, cwd=paths.ROOT, env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "removing an incomplete earlier attempt" in finished.stdout
    smoke = {**profiles.load("smoke"), "DATASETS": ["OfflineKeywords"], "SEEDS": [1]}
    for trained in training.Ensemble.from_parameters(smoke).runs:
        book = training.run_dir("smoke", trained)
        again = results / "smoke" / book.relative_to(paths.results_dir("smoke"))
        for epoch in range(1, smoke["EPOCHS"] + 1):
            name = f"epoch_{epoch}/train_outputs.npy"
            assert (again / name).read_bytes() == (book / name).read_bytes(), (trained, name)


#: A step of the scheduling test: says it has started, waits for another step to have
#: started too (at most 60 s) or sleeps, then records when it ran (or fails).
TIMED = '''\
import json, time
from lib import paths
started = time.time()
folder = paths.results_dir(PROFILE) / "tiny"
folder.mkdir(parents=True, exist_ok=True)
(folder / "{name}.started").write_text(str(started))
while "{wait_for}" and not (folder / "{wait_for}.started").exists() and time.time() < started + 60:
    time.sleep(0.1)
time.sleep({seconds})
if {fail}:
    raise ValueError("broken on purpose")
(folder / "{name}.json").write_text(json.dumps([started, time.time()]))
'''


def test_jobs_run_notebooks_at_once_after_what_they_read_and_a_failure_lets_the_others_finish(
        smoke_data, tmp_path, monkeypatch, capsys):
    """``--jobs 2``: a and b (independent) run at once (a waits until b has started); c reads
    a, so it starts after a has ended, and fails; d reads c and never starts; b, still running,
    finishes and is stamped ok."""
    steps = {"61_a": ("62_b", 0, False), "62_b": ("", 8, False), "63_c": ("", 0, True),
             "64_d": ("", 0, False)}
    chapters = []
    for name, (wait_for, seconds, fail) in steps.items():
        notebook = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell('PROFILE = "smoke"  # smoke | demo | paper')
        cell.metadata["tags"] = ["parameters"]
        notebook.cells = [cell, nbformat.v4.new_code_cell(
            TIMED.format(wait_for=wait_for, fail=fail, seconds=seconds, name=name))]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}
        chapters.append(tmp_path / f"{name}.ipynb")
        nbformat.write(notebook, chapters[-1])
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(run, "notebooks", lambda: chapters)
    monkeypatch.setattr(run, "ARTEFACTS", {name: (f"tiny/{name}.json",) for name in steps})
    monkeypatch.setattr(run, "reads", lambda notebooks, units=None: {
        "61_a": (), "62_b": (), "63_c": ("61_a",), "64_d": ("63_c",)})
    with pytest.raises(run.NotebookFailed) as err:
        run.run_profile("smoke", jobs=2)
    message = str(err.value)
    assert "\n" not in message and "63_c.ipynb failed: ValueError: broken on purpose" in message
    tiny = tmp_path / "results" / "smoke" / "tiny"
    ran = {name: json.loads((tiny / f"{name}.json").read_text()) for name in ("61_a", "62_b")}
    assert ran["61_a"][1] < ran["62_b"][0] + 60  # a did not wait in vain: b ran beside it
    assert ran["61_a"][0] < ran["62_b"][1] and ran["62_b"][0] < ran["61_a"][1]  # overlapped
    assert float((tiny / "63_c.started").read_text()) >= ran["61_a"][1]
    stamps = paths.executed_notebooks_dir("smoke") / ".stamps"
    assert json.loads((stamps / "62_b.json").read_text())["status"] == "ok"
    assert not (stamps / "64_d.json").exists() and "64_d" not in capsys.readouterr().out


def test_a_second_run_at_once_of_the_same_profile_is_one_line(smoke_data, tmp_path,
                                                               monkeypatch):
    """Chapters run at once wait for each other's toolkit folders, so another run of the
    profile's notebooks must not join them: it stops at once."""
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    folder = paths.executed_notebooks_dir("smoke")
    folder.mkdir(parents=True)
    with (folder / ".runner.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(run.NotebookFailed, match="in use by another run of this profile"):
            run.run_profile("smoke", jobs=2)
