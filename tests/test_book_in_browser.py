"""The built book as a reader sees it: every page in headless Chromium, offline.

Where Chromium cannot be had these tests skip with one line saying how to get it, unless ``CI``
is set: then they fail (``tests/services``' rule).
"""
import shutil
from pathlib import Path

import pytest

from lib import browser, record
from services import chromium as started_chromium


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, found or installed and started once, before the book is built."""
    return started_chromium()


@pytest.fixture(scope="module")
def reports(chromium, smoke_book):
    return browser.inspect_book(smoke_book, screenshots=smoke_book.parent / "screenshots")


def test_index_and_every_chapter_open_without_problems(smoke_book, reports):
    pages = [report.page for report in reports]
    assert pages[0] == "index.html -> book/intro.html"
    for chapter in ("book/methods.html", "book/executed/00_data.html",
                    "book/executed/90_results.html", "book/executed/status.html",
                    "book/references.html"):
        assert chapter in pages, chapter
    assert len(pages) == len(browser.chapters(smoke_book))
    problems = [f"{r.page}: {p}" for r in reports for p in r.problems]
    assert not problems, problems[:5]


def test_math_images_and_audio_are_really_there(reports):
    by_page = {report.page: report for report in reports}
    assert by_page["book/methods.html"].math >= 10  # typeset: no untypeset math above
    assert by_page["book/executed/00_data.html"].audio >= 4
    selection = by_page["book/executed/03_selection.html"]
    assert selection.audio >= 12 and selection.images >= 12
    assert sum(report.images for report in reports) >= 30


def test_screenshots_of_the_index_and_the_results_are_kept_with_the_build(smoke_book, reports):
    for name in browser.SCREENSHOTS:
        shot = smoke_book.parent / "screenshots" / f"{name}.png"
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_the_check_finds_a_broken_image_an_outside_request_and_untypeset_math(chromium,
                                                                             smoke_book,
                                                                             tmp_path):
    broken = tmp_path / "html"
    shutil.copytree(smoke_book, broken)
    page = broken / "book" / "intro.html"
    page.write_text(page.read_text().replace(
        "</body>", '<img src="missing.png"><script src="https://cdn.example.org/x.js"></script>'
        "</body>"))
    (broken / "_static" / "mathjax" / "tex-chtml.js").unlink()  # a book built without MathJax
    intro, methods = browser.inspect_book(broken, pages=["book/intro.html", "book/methods.html"])
    assert any(p.startswith("image does not load") for p in intro.problems)
    assert "request outside the machine: https://cdn.example.org/x.js" in intro.problems
    assert any(p.startswith("request failed: 404") for p in intro.problems)
    assert len([p for p in methods.problems if p.startswith("math not typeset")]) == methods.math
    assert methods.math >= 10


def test_every_chapter_opens_with_a_number_and_the_check_fails_without_one(smoke_book,
                                                                           reports, tmp_path):
    chapters = [r for r in reports if r.is_chapter]
    assert len(chapters) == len(record.CHAPTER_OF)
    for report in chapters:
        assert report.first_paragraph.startswith("Finding."), report.page
    broken = tmp_path / "html"
    shutil.copytree(smoke_book, broken)
    page = broken / "book" / "executed" / "01_training.html"
    text = page.read_text()
    start = text.index("<strong>Finding.</strong>")
    end = text.index("</p>", start)
    page.write_text(text[:start] + "<strong>Finding.</strong> The models trained." + text[end:])
    (report,) = browser.inspect_book(broken, pages=["book/executed/01_training.html"])
    assert "first paragraph states no number: 'Finding. The models trained.'" in report.problems


def test_no_page_shows_a_log_line_a_warning_or_a_machine_path(smoke_book, reports, tmp_path):
    """The chapters print progress while they run; the book shows none of it, and the check
    fails on a printed cell output, a warning or an absolute path of the building machine
    (while a command a page quotes on purpose, in a code block, is not a leak)."""
    assert not [p for r in reports for p in r.problems if p.startswith(("log line", "warning"))]
    broken = tmp_path / "html"
    shutil.copytree(smoke_book, broken)
    page = broken / "book" / "executed" / "04_explanations.html"
    page.write_text(page.read_text().replace("</main>", (
        '<div class="cell_output docutils container"><div class="output stream highlight-myst-'
        'ansi notranslate"><pre>OfflineKeywords: masked 42/42 Grad-CAMs (2 s)</pre></div></div>'
        "<p>FutureWarning: the default of observed=False is deprecated, see "
        f"{smoke_book}/x.html</p><pre>papermill notebooks/00_data.ipynb /tmp/out.ipynb</pre>"
        "</main>"), 1))
    (report,) = browser.inspect_book(broken, pages=["book/executed/04_explanations.html"])
    assert "log line: OfflineKeywords: masked 42/42 Grad-CAMs (2 s)" in report.problems
    assert "warning or machine path: FutureWarning:" in report.problems
    assert any(p.startswith(f"warning or machine path: {smoke_book}") for p in report.problems)
    assert not any("/tmp/out.ipynb" in p for p in report.problems)


def test_leaks_are_warnings_tracebacks_and_absolute_paths_not_the_books_own():
    assert browser.leaks("UserWarning: x; Traceback (most recent call last)") == [
        "UserWarning:", "Traceback (most recent call last)"]
    assert browser.leaks("open /home/me/results/demo/x.csv") == ["/home/me/results/demo/x.csv"]
    assert browser.leaks("see /check/work/main/results/x.html", root=Path("/check/work/main")) == [
        "/check/work/main/results/x.html"]
    assert browser.leaks("results/demo/notebooks/01_training.ipynb, data/smoke/x.wav, "
                         "an Error in WAV file, 0.5/1.0") == []
