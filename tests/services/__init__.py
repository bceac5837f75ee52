"""What the tests need beyond Python, and the one rule for when it cannot be had.

Two services: a single-node SLURM (``slurm.sh`` beside this file installs Debian's slurm-wlm
and munge with apt-get when root, and starts it) and Debian's Chromium for the book's pages
(``lib.browser.find_chromium`` installs it with apt-get when root). Where one cannot be had
(not root, no apt-get, the install fails, or it does not start), the tests needing it

- SKIP with one line saying what is missing and how to get it, when ``CI`` is unset or empty
  (a contributor's laptop runs ``make test`` without red it cannot fix), and
- FAIL with the same line when ``CI`` is set (``.ci/run`` exports ``CI=true``), so nothing is
  ever skipped where it counts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest

#: Installs (root, apt-get) and starts the single-node SLURM; prints ``ready: <partition>``.
SLURM_SCRIPT = Path(__file__).with_name("slurm.sh")
SLURM_REMEDY = ("run `sudo bash tests/services/slurm.sh` (installs Debian's slurm-wlm and munge) "
                "or leave these tests out: pytest -m 'not slurm'")
CHROMIUM_REMEDY = ("run `sudo apt-get install chromium` or set CHROMIUM to a Chromium "
                   "executable")


def under_ci() -> bool:
    """CI is set (to anything but blanks): a missing service fails instead of skipping."""
    return bool(os.environ.get("CI", "").strip())


def unavailable(service: str, reason: str, remedy: str) -> NoReturn:
    """``service`` cannot be had here: skip the test, or fail it under CI; one line either way."""
    line = " ".join(f"{service} not available: {reason}: {remedy}".split())
    if under_ci():
        pytest.fail(f"{line} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(line)


def slurm_partition(script: Path = SLURM_SCRIPT) -> str:
    """The partition of the single-node SLURM that ``script`` starts on this machine."""
    try:
        started = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                                 timeout=900, check=False)
    except subprocess.TimeoutExpired:
        unavailable("SLURM", f"{script.name} did not finish in 15 minutes", SLURM_REMEDY)
    if started.returncode != 0:
        reason = (started.stderr.strip().splitlines() or ["no reason given"])[-1]
        unavailable("SLURM", reason.removeprefix("slurm: "), SLURM_REMEDY)
    return started.stdout.strip().splitlines()[-1].split()[1]


def chromium(install: bool = True) -> Path:
    """Debian's Chromium, found (or installed, when root with apt-get) and started once."""
    from playwright.sync_api import Error, sync_playwright

    from lib import browser

    try:
        executable = browser.find_chromium(install=install)
    except browser.BrowserError:
        could_install = install and os.geteuid() == 0 and shutil.which("apt-get")
        unavailable("chromium", "none found and apt-get could not install it" if could_install
                    else "none found (installing it needs root and apt-get)", CHROMIUM_REMEDY)
    try:
        with sync_playwright() as playwright:
            playwright.chromium.launch(executable_path=str(executable),
                                       args=browser.CHROMIUM_ARGS, timeout=60_000).close()
    except Error as err:
        first = (str(err).strip().splitlines() or ["no reason given"])[0]
        unavailable("chromium", f"{executable} does not start ({first})", CHROMIUM_REMEDY)
    return executable
