"""Look at the built book the way a reader does: in a real browser (headless Chromium).

``python -m lib.browser --profile demo`` serves ``results/<profile>/_build/html`` on localhost,
opens the index and every chapter in Debian's Chromium (driven by Playwright), and reports per
page: math left untypeset, images that do not load, audio elements without playable sources,
requests that fail or leave the machine, script errors, code cells left unfolded above the
page's first figure, printed cell output (log lines), warnings, tracebacks or paths of the
building machine in what the page shows, and code blocks wider than the page. Screenshots
of the index, four chapters and the results chapter go to
``results/<profile>/_build/screenshots/``. The tests run the same checks on the smoke book.
"""
from __future__ import annotations

import argparse
import re
import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from lib import paths

#: Pages photographed for the build: the index, four chapters and the results chapter.
SCREENSHOTS = {"index": "book/intro.html", "training": "book/executed/01_training.html",
               "difficulty": "book/executed/02_difficulty.html",
               "explanations": "book/executed/04_explanations.html",
               "pruning": "book/executed/08_pruning.html",
               "results": "book/executed/90_results.html"}
#: Hosts the book may load from: this machine only.
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
#: Pages Sphinx generates that are not chapters.
NOT_CHAPTERS = {"genindex.html", "search.html", "index.html"}
#: How Chromium is started here and by the tests' check that it starts (root in containers).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]

_PAGE_CHECKS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const math = [...document.querySelectorAll('.math')];
  const images = [...document.querySelectorAll('img')];
  await Promise.all(images.map(async (img) => {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) {}
  }));
  const audio = [...document.querySelectorAll('audio')];
  const playable = await Promise.all(audio.map((el) => new Promise((resolve) => {
    const source = el.currentSrc || el.src || (el.querySelector('source') || {}).src || '';
    const done = () => resolve({source: source.slice(0, 80), ok: el.duration > 0});
    if (el.readyState >= 1) { done(); return; }
    el.addEventListener('loadedmetadata', done, {once: true});
    el.addEventListener('error', () => resolve({source: source.slice(0, 80), ok: false}),
                        {once: true});
    el.preload = 'metadata';
    el.load();
    setTimeout(done, 10000);
  })));
  const first = images[0];
  const shownCode = [...document.querySelectorAll('.cell_input')].filter(
    (cell) => !cell.closest('details:not([open])') && cell.offsetParent !== null);
  const heading = document.querySelector('main h1, article h1, h1');
  const paragraphs = [...document.querySelectorAll('main p, article p')].filter(
    (p) => heading && (heading.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING)
           && !p.closest('.admonition, details, .cell_output'));
  const shown = (document.querySelector('main') || document.documentElement).cloneNode(true);
  shown.querySelectorAll('.cell_input, script, style').forEach((el) => el.remove());
  [...shown.querySelectorAll('pre, code')].filter((el) => !el.closest('.cell_output'))
    .forEach((el) => el.remove());  // commands and examples a page quotes on purpose
  return {
    logs: [...document.querySelectorAll('.cell_output .output.stream, .cell_output .stderr')]
      .map((el) => el.textContent.trim().slice(0, 80)),
    text: shown.textContent,
    wide_code: [...document.querySelectorAll('pre')].filter(
      (pre) => !pre.closest('.cell_output, .cell_input') && pre.offsetParent !== null
               && pre.scrollWidth > pre.clientWidth + 2)
      .map((pre) => pre.textContent.trim().slice(0, 60)),
    first_paragraph: paragraphs.length ? paragraphs[0].textContent.trim().slice(0, 300) : '',
    code_above_first_figure: first ? shownCode.filter(
      (cell) => cell.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING).length : 0,
    title: document.title,
    math: math.length,
    untypeset: math.filter((m) => !m.querySelector('mjx-container')).map((m) => m.textContent.slice(0, 60)),
    images: images.length,
    broken_images: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src.slice(0, 80)),
    audio: audio.length,
    broken_audio: playable.filter((a) => !a.ok).map((a) => a.source),
  };
}"""


#: What a reader should never see on a page: a traceback, a warning or error class's message,
#: a path on the machine that built the book (under its usual top folders; the repository's
#: own root, wherever it is checked out, is added by :func:`leaks`).
_LEAK = (r"Traceback \(most recent call last\)|\b[A-Z]\w*(?:Warning|Error)\b:?"
         r"|(?<![\w.~])/(?:work|home|root|tmp|usr|opt|var|mnt|srv|private|Users)/\S+")


def leaks(text: str, root: Path = paths.ROOT) -> list[str]:
    """The warnings, tracebacks and machine paths in a page's shown text (:data:`_LEAK`, and
    any path inside ``root``, the checkout that built the book)."""
    pattern = re.compile(re.escape(str(root)) + r"\S*|" + _LEAK)
    return [match.group(0)[:80] for match in pattern.finditer(text)]


class BrowserError(RuntimeError):
    """No browser to look at the book with, or no book to look at; one line saying which."""


@dataclass
class PageReport:
    """What a reader's browser found on one page."""

    page: str
    title: str = ""
    math: int = 0
    untypeset: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    audio: int = 0
    broken_audio: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    #: Code cells a reader sees unfolded before the page's first figure (should be none).
    code_above_first_figure: int = 0
    #: The first paragraph under the title, outside boxes: a chapter's finding.
    first_paragraph: str = ""
    #: Printed output of notebook cells (progress lines, warnings) the page shows.
    logs: list[str] = field(default_factory=list)
    #: Warnings, tracebacks and paths of the building machine in what the page shows.
    leaks: list[str] = field(default_factory=list)
    #: Code blocks of the page's prose wider than the page (a reader must scroll them).
    wide_code: list[str] = field(default_factory=list)

    @property
    def is_chapter(self) -> bool:
        """An executed notebook's page (the status and measured pages are not chapters)."""
        return re.fullmatch(rf"book/executed/{paths.CHAPTER_PATTERN}\.html", self.page) is not None

    @property
    def problems(self) -> list[str]:
        unfolded = ([f"{self.code_above_first_figure} code cells shown"]
                    if self.code_above_first_figure else [])
        unnumbered = ([f"{self.first_paragraph[:80]!r}"] if self.is_chapter
                      and not re.search(r"\d", self.first_paragraph) else [])
        found = {"code above the first figure": unfolded,
                 "first paragraph states no number": unnumbered,
                 "log line": self.logs, "warning or machine path": self.leaks,
                 "code block wider than the page": self.wide_code,
                 "math not typeset": self.untypeset, "image does not load": self.broken_images,
                 "audio not playable": self.broken_audio,
                 "request outside the machine": self.external_requests,
                 "request failed": self.failed_requests, "script error": self.script_errors}
        return [f"{kind}: {item}" for kind, items in found.items() for item in items]


def find_chromium(install: bool = True) -> Path:
    """Debian's Chromium: ``$CHROMIUM``, on the PATH, or installed with apt when allowed."""
    for candidate in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    apt = shutil.which("apt-get")
    if install and apt and os.geteuid() == 0:
        print("installing Debian's chromium with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "chromium"]):
            subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL)
        return find_chromium(install=False)
    raise BrowserError("no chromium found: install Debian's `chromium` package "
                       "(sudo apt-get install chromium) or set CHROMIUM to its path")


def chapters(html_dir: Path) -> list[str]:
    """The index and every chapter page of a built book, relative to its root."""
    pages = sorted(str(page.relative_to(html_dir)) for page in (html_dir / "book").rglob("*.html"))
    return ["index.html", *[page for page in pages if Path(page).name not in NOT_CHAPTERS]]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        pass


@contextlib.contextmanager
def serve(html_dir: Path, port: int = 0) -> Iterator[str]:
    """Serve a built book on localhost (a free port by default); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS


def inspect_book(html_dir: Path, pages: list[str] | None = None,
                 screenshots: Path | None = None) -> list[PageReport]:
    """Open each page in headless Chromium and report what a reader would find broken.

    Requests leaving the machine are recorded and blocked, so a page cannot hang on them.
    """
    from playwright.sync_api import sync_playwright  # the browser is only needed here

    if not (html_dir / "index.html").is_file():
        raise BrowserError(f"{paths.relative(html_dir)}/index.html is missing: build the book "
                           "first (make html)")
    pages = pages or chapters(html_dir)
    chromium = find_chromium()
    reports = []
    with serve(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium),
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1600})
        for number, page_name in enumerate(pages, 1):
            report = PageReport(page_name)
            page = context.new_page()

            _watch(page, report)
            found = _checked(page, base + page_name)
            report.leaks = leaks(found.pop("text"))
            for key, value in found.items():
                setattr(report, key, value)
            if page.url != base + page_name:
                report.page = f"{page_name} -> {page.url.removeprefix(base)}"
            for name, shot in SCREENSHOTS.items():
                if screenshots is not None and page_name == shot:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshots / f"{name}.png"))
            page.close()
            print(f"  [{number}/{len(pages)}] {page_name}: {report.math} math, {report.images} "
                  f"images, {report.audio} audio, {len(report.problems)} problems", flush=True)
            reports.append(report)
        browser.close()
    return reports


def _watch(page: object, report: PageReport) -> None:
    """Record what a page requests: outside requests are blocked and noted, failures noted."""

    def route(request_route: object, request: object) -> None:
        if _is_local(request.url):
            request_route.continue_()
        else:
            report.external_requests.append(request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda request: _is_local(request.url) and
            report.failed_requests.append(f"{request.failure} {request.url[:80]}"))
    page.on("response", lambda response: response.status >= 400 and
            report.failed_requests.append(f"{response.status} {response.url[:80]}"))
    page.on("pageerror", lambda error: report.script_errors.append(str(error).splitlines()[0]))


def _checked(page: object, url: str) -> dict:
    """Load a page (following a redirect such as the index's) and run the checks on it."""
    from playwright.sync_api import Error

    page.goto(url, wait_until="load")
    if page.locator('meta[http-equiv="refresh" i]').count():  # the index redirects
        page.wait_for_url(lambda now: now != url)
        page.wait_for_load_state("load")
    for _ in range(3):
        try:
            return page.evaluate(_PAGE_CHECKS)
        except Error as err:  # a redirect replaced the page while it was being checked
            if "context was destroyed" not in str(err):
                raise
            page.wait_for_load_state("load")
    return page.evaluate(_PAGE_CHECKS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    args = parser.parse_args(argv)
    html_dir = paths.book_html_dir(args.profile)
    try:
        reports = inspect_book(html_dir, screenshots=html_dir.parent / "screenshots")
    except BrowserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    problems = [f"{r.page}: {p}" for r in reports for p in r.problems]
    for problem in problems:
        print(problem)
    print(f"{len(reports)} pages, {len(problems)} problems; screenshots in "
          f"{paths.relative(html_dir.parent / 'screenshots')}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
