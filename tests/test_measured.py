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
