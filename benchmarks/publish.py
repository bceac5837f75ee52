"""Where the benchmarks put their figures for the book: ``book/measured/<name>.md``.

Each benchmark ends by calling :func:`publish` with its table; the fragment says which script
measured it, at which commit, on which machine and when, so a figure in the book is never
typed by hand and never loses its provenance. ``make html`` gathers the fragments into the
Reproduce part's *Measured* page (:func:`lib.book.measured_page`). Commit a fragment with the
change it measures.
"""
from __future__ import annotations

import datetime
import os
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lib import paths  # noqa: E402
from lib.page import header  # noqa: E402


def machine() -> str:
    """The processor, its cores, and the load when the benchmark ended (they vary: compare
    ratios within one run, not absolute times across runs)."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                  .splitlines() if line.startswith("model name")), platform.processor()) \
        if Path("/proc/cpuinfo").is_file() else platform.processor()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, load average {load}"


def commit() -> str:
    """The checked-out commit, marked when the tree has uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True,
                              text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" with uncommitted changes" if git("status", "--porcelain", "--", "lib",
                                                        "notebooks", "benchmarks") else "")


def publish(name: str, title: str, table: pd.DataFrame, script: str,
            notes: str = "") -> Path:
    """Write one benchmark's table as ``book/measured/<name>.md`` with its provenance, its
    columns worded as every table of the book words them (:func:`lib.page.header`)."""
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"## {title}\n\nMeasured by `benchmarks/{script}` at commit `{commit()}` on "
            f"{machine()}, {when}.\n\n{table.rename(columns=header).to_markdown(index=False)}\n"
            + (f"\n{notes.strip()}\n" if notes.strip() else ""))
    target = paths.MEASURED / f"{name}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    print(f"published to {paths.relative(target)}")
    return target
