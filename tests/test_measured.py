"""The Measured page: figures only the benchmarks write, each with where it was measured."""
from __future__ import annotations

import sys

import pandas as pd

from lib import book, paths

sys.path.insert(0, str(paths.ROOT))
from benchmarks import build_report, publish  # noqa: E402


def test_a_published_table_carries_its_provenance_and_reaches_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "MEASURED", tmp_path / "measured")
    assert "No benchmark has published" in book.measured_page()
    table = pd.DataFrame([{"launcher": "basic", "seconds": 50.5}])
    file = publish.publish("launchers", "The sweep under each launcher", table, "launchers.py",
                           "Two cores.")
    text = file.read_text()
    assert text.startswith("## The sweep under each launcher\n\nMeasured by "
                           "`benchmarks/launchers.py` at commit `")
    assert "cores, load average" in text and "| basic" in text and text.endswith("Two cores.\n")
    page = book.measured_page()
    assert page.startswith("# Measured") and text in page


def test_the_test_count_and_time_come_from_pytests_closing_line(tmp_path):
    log = tmp_path / "test.log"
    log.write_text("....\n=== slowest 12 durations ===\n"
                   "======= 236 passed, 1 failed in 1234.56s (0:20:34) =======\n")
    assert build_report.pytest_summary(log) == {"passed": 236, "failed": 1, "seconds": 1234.56}


def test_a_notebooks_minutes_split_into_epochs_toolkit_fixed_cost_and_its_own_work():
    """Commands and runs belong to the notebook that was running when they started or
    finished; what the commands took beyond their runs' passes is the fixed cost."""
    times = pd.DataFrame([{"step": "01_training.ipynb", "started": 1000.0, "seconds": 600.0},
                          {"step": "02_difficulty.ipynb", "started": 1600.0, "seconds": 60.0}])
    ledger = pd.DataFrame([
        {"tool": "autrainer", "args": ["train"], "work": "demo/autrainer", "started": 1010.0,
         "seconds": 500.0, "exit": 0},
        {"tool": "aucurriculum", "args": ["curriculum"], "work": "demo/autrainer",
         "started": 1610.0, "seconds": 30.0, "exit": 0},
        {"tool": "autrainer", "args": ["train"], "work": "demo/autrainer", "started": 5000.0,
         "seconds": 99.0, "exit": 0}])  # another build's
    runs = pd.DataFrame([{"run": "a", "finished": 1300.0, "seconds": 200.0},
                         {"run": "b", "finished": 1500.0, "seconds": 240.0}])
    table = build_report.split_times(times, ledger, runs, "demo").set_index("step")
    training, scoring = table.loc["01_training.ipynb"], table.loc["02_difficulty.ipynb"]
    assert (training["commands"], training["runs"]) == (1, 2)
    assert training["epochs"] == round(440 / 60, 2)
    assert training["toolkit fixed"] == 1.0 and training["lib"] == round(100 / 60, 2)
    assert (scoring["commands"], scoring["runs"], scoring["toolkit fixed"]) == (1, 0, 0.5)
    assert table.loc["all notebooks", "minutes"] == 11.0
    assert table.loc["01_training.ipynb", "fixed share"] == "10%"


def test_notebooks_run_at_once_get_the_commands_the_ledger_names_and_those_commands_runs():
    """Two notebooks overlapping in time (``lib.run --jobs 2``): each command counts for the
    notebook it names, and each run for the command that was training in its folder."""
    times = pd.DataFrame([{"step": "02b_definitions.ipynb", "started": 1000.0, "seconds": 300.0},
                          {"step": "06_inference.ipynb", "started": 1010.0, "seconds": 60.0}])
    ledger = pd.DataFrame([
        {"tool": "autrainer", "args": ["train"], "work": "demo/teacher/autrainer",
         "started": 1020.0, "seconds": 100.0, "exit": 0, "notebook": "02b_definitions"},
        {"tool": "autrainer", "args": ["inference"], "work": "demo/autrainer",
         "started": 1030.0, "seconds": 20.0, "exit": 0, "notebook": "06_inference"},
        {"tool": "aucurriculum", "args": ["curriculum"], "work": "demo/autrainer",
         "started": 1025.0, "seconds": 60.0, "exit": 0, "notebook": "02b_definitions"}])
    runs = pd.DataFrame([{"run": "teacher/autrainer/results/x/training/t", "finished": 1040.0,
                          "seconds": 5.0},  # a fold that aucurriculum trains in the main folder
                         {"run": "autrainer/results/y/training/fold", "finished": 1045.0,
                          "seconds": 5.0}])
    table = build_report.split_times(times, ledger, runs, "demo").set_index("step")
    assert (table.loc["02b_definitions.ipynb", "commands"],
            table.loc["02b_definitions.ipynb", "runs"]) == (2, 2)
    assert (table.loc["06_inference.ipynb", "commands"],
            table.loc["06_inference.ipynb", "runs"]) == (1, 0)
    assert table.loc["06_inference.ipynb", "toolkit fixed"] == round(20 / 60, 2)


def test_the_build_sentence_replaces_only_its_block_and_keeps_its_indentation(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("- make book:\n  <!-- build_demo -->\n  old\n  <!-- /build_demo -->\n"
                      "- make test\n")
    build_report.rewrite_block(readme, "build_demo", "new figures " * 12)
    lines = readme.read_text().splitlines()
    assert lines[0] == "- make book:" and lines[-1] == "- make test"
    assert lines[1] == "  <!-- build_demo -->" and lines[-2] == "  <!-- /build_demo -->"
    body = lines[2:-2]
    assert len(body) == 2 and all(line.startswith("  ") and len(line) <= 95 for line in body)
    assert " ".join(line.strip() for line in body) == ("new figures " * 12).strip()
    assert "old" not in readme.read_text()
