"""Build the Jupyter Book of a profile from its executed notebooks (compute is done before).

``python -m lib.book --profile demo`` copies ``results/<profile>/notebooks/*.ipynb`` to
``book/executed/`` and runs ``jupyter-book build`` with warnings as errors; the HTML goes to
``results/<profile>/_build/html``. While copying, each chapter opens with its finding
(:func:`lib.findings.opening`, from its ``summary.json``; the results chapter also with the
"Read this first" box) and gets a folded box with the parameters it ran with and the papermill
command that re-runs it (papermill's own parameter cells and the notebook's own finding cell
are removed, code folded, printed logs left out); ``book/executed/abstract.md`` and
``read_first.md`` (included by the introduction), ``discussion.md`` (by the Discussion) and
``status.md``, every notebook's last execution, are written. ``--vendor`` copies the offline
JavaScript (MathJax, require.js, the widget manager) from
``book/_vendor/node_modules`` into its static folder.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import papermill
import yaml

from lib import findings, paths, profiles, run
from lib.datasets import AUDIENCES_VARIABLE, audiences, cell_applies, sphinx_tag
from lib.record import CHAPTER_OF

NODE_MODULES = paths.BOOK / "_vendor" / "node_modules"
#: What the static HTML needs from each npm package: (source, destination in static/).
VENDOR_FILES = [
    ("mathjax/es5/tex-chtml.js", "mathjax/tex-chtml.js"),
    ("mathjax/es5/input", "mathjax/input"),
    ("mathjax/es5/output", "mathjax/output"),
    ("mathjax/es5/ui", "mathjax/ui"),
    ("mathjax/es5/a11y", "mathjax/a11y"),
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "."),
]


#: Fixed pages that only some books carry, by the audience they are written for: the
#: project's design notes, its measurements and the paper's study describe the compendium's own
#: datasets, so a book on a user's data alone leaves them out.
PAGE_AUDIENCES = {"book/design": "compendium-data", "book/paper_study": "compendium-data",
                  "book/executed/measured": "compendium-data"}


#: What a chapter's files may be to be linked from its page (the rest stays in results/).
DOWNLOADABLE = {".csv", ".json", ".md"}
#: The largest file a page links for download; larger ones would bloat the published HTML.
DOWNLOAD_LIMIT_MB = 5.0
#: Binder's public service: a repository with ``environment.yml`` opens there in JupyterLab.
BINDER = "https://mybinder.org/v2/gh"


class BookError(RuntimeError):
    pass


def repository() -> dict[str, str]:
    """The repository the book links to (``_config.yml``'s ``repository`` block: url, branch)."""
    return yaml.safe_load(paths.BOOK_CONFIG.read_text())["repository"]


def launch_link(notebook: str) -> str:
    """Where a chapter's notebook opens live (Binder, from the repository's default branch),
    or "" where the repository is not on GitHub."""
    where = repository()
    prefix = "https://github.com/"
    if not where["url"].startswith(prefix):
        return ""
    return (f"{BINDER}/{where['url'][len(prefix):].rstrip('/')}/{where.get('branch', 'main')}"
            f"?labpath=notebooks%2F{notebook}")


def chapter_files(profile: str, notebook: str) -> list[Path]:
    """The files behind a chapter that a reader may want (its record, orderings, scores,
    flagged clips): what :func:`lib.run.chapter_results` says it writes (not the run folders
    and caches later chapters add to), and the other tables of its record's folder, each at
    most :data:`DOWNLOAD_LIMIT_MB`."""
    stem = Path(notebook).stem
    results = paths.results_dir(profile)
    found = {file for pattern in run.chapter_results(stem) for file in results.glob(pattern)}
    if stem in CHAPTER_OF:
        found |= set(paths.record_file(profile, CHAPTER_OF[stem]).parent.glob("*"))
    return sorted(file for file in found if file.is_file() and file.suffix in DOWNLOADABLE
                  and file.stat().st_size <= DOWNLOAD_LIMIT_MB * 1e6)


def files_box(profile: str, notebook: str) -> str:
    """Markdown linking a chapter's files for download (copied into the HTML by Sphinx), and
    where its notebook runs live; "" when there is neither."""
    results = paths.results_dir(profile)
    links = [f"{{download}}`{file.relative_to(results)} ({file.stat().st_size / 1e3:,.0f} kB) "
             f"<{os.path.relpath(file, paths.BOOK_EXECUTED)}>`"
             for file in chapter_files(profile, notebook)]
    live = launch_link(notebook)
    lines = ([f"**Files behind this chapter** (this build's, `{paths.relative(results)}/`): "
              + " · ".join(links)] if links else [])
    if live:
        lines.append(f"**Run it live:** [open `notebooks/{notebook}` on Binder]({live}) "
                     "(builds the environment from `environment.yml`; the first start takes "
                     "minutes, and a chapter needs the ones before it: `make book` in its "
                     "terminal runs them all).")
    return "\n\n".join(lines)


def vendor() -> None:
    static = paths.BOOK_VENDOR_STATIC
    if not NODE_MODULES.is_dir():
        raise BookError(f"{paths.relative(NODE_MODULES)} is missing: run `make vendor`")
    shutil.rmtree(static, ignore_errors=True)
    for source, destination in VENDOR_FILES:
        src, dst = NODE_MODULES / source, static / destination
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.map", "*.LICENSE.txt", "embed.js",
                                                          "libembed-amd.js"))
        else:
            shutil.copy2(src, dst)
    print(f"offline scripts ready in {paths.relative(static)}")


def _stamps(profile: str) -> dict[str, dict[str, Any]]:
    """The runner's record of each notebook's last execution, the newest when it both
    succeeded once and failed later."""
    latest: dict[str, dict[str, Any]] = {}
    for file in sorted((paths.executed_notebooks_dir(profile) / ".stamps").glob("*.json")):
        record = json.loads(file.read_text())
        name = record.get("notebook", "")
        if name and record.get("started", "") >= latest.get(name, {}).get("started", ""):
            latest[name] = record
    return latest


def _cell_text(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return (text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")
            .replace(">", "&gt;"))


def rerun_box(notebook: str, profile: str, stamp: dict[str, Any]) -> str:
    """Markdown for the top of a chapter: what it ran with, and how to run it again."""
    declared = papermill.inspect_notebook(str(paths.NOTEBOOKS / notebook))
    used = stamp.get("parameters", {})
    names = used.get("DATASETS") or profiles.load(profile)["DATASETS"]
    rows = [f"| `{name}` | `{_cell_text(json.dumps(used.get(name)))}` | "
            f"{_cell_text(info.get('help') or '')} |" for name, info in declared.items()
            if name not in profiles.SCHEMA
            or cell_applies([profiles.SCHEMA[name].audience or ""], names)]
    when = (f"{stamp.get('started', '?').replace('T', ' ')[:16]} UTC, {stamp.get('seconds', '?')} s"
            if stamp else "never")
    return "\n".join([
        ":::{admonition} Parameters and re-run",
        ":class: tip dropdown",
        f"This chapter is `notebooks/{notebook}` executed by papermill with the profile "
        f"`{profile}` ({when}, status: {stamp.get('status', 'not run')}). Its parameters:",
        "",
        "| parameter | value | allowed values |",
        "|---|---|---|",
        *rows,
        "",
        "Re-run it with these values (`-p NAME VALUE` overrides one), from the repository root:",
        "",
        "```bash",
        f".venv/bin/papermill notebooks/{notebook} results/{profile}/notebooks/{notebook} \\",
        f"    -f notebooks/profiles/{profile}.yaml --cwd notebooks",
        "```",
        "",
        f"or through the runner, which skips it when nothing changed: "
        f"`.venv/bin/python -m lib.run --profile {profile} --only {Path(notebook).stem}`.",
        ":::",
    ])


def folded(cell: nbformat.NotebookNode) -> list[str]:
    """The tags that fold a code cell's plumbing: its source always (one click shows it); the
    parameter and finding cells go (the page shows both its own way)."""
    tags = list(cell.metadata.get("tags", []))
    if {"parameters", "injected-parameters", "finding"} & set(tags):
        return [*tags, "remove-cell"]
    return [*tags, "hide-input"]


def with_alt_text(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A figure output as an image that carries its description (:func:`lib.page.describe`,
    the figure's text in the notebook) as alternative text, at its own size or the page's
    width; other outputs as they are."""
    data = output.get("data", {})
    if "image/png" not in data:
        return output
    text = data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    alt = text if text.startswith("Figure") else "Figure"
    image = "".join(data["image/png"]).replace("\n", "")
    output.data = {"text/html": f'<img src="data:image/png;base64,{image}" alt="{html.escape(alt)}"'
                                ' style="max-width: 100%; height: auto">',
                   "text/plain": alt}
    return output


def without_logs(cell: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """A code cell's outputs without its printed ones (stdout, stderr: progress lines,
    warnings): the book shows what a chapter displays, tables, figures and text; the log stays
    in the executed notebook under ``results/<profile>/notebooks/``."""
    return [output for output in cell.get("outputs", []) if output.get("output_type") != "stream"]


def _markdown_cell(source: str, name: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    cell.id = name
    return cell


def present(executed: Path, profile: str, stamp: dict[str, Any]) -> nbformat.NotebookNode:
    """An executed notebook as the book shows it: its title, then its finding (and on the
    results page the "Read this first" box), then the re-run box, folded; papermill's
    parameter cells and the notebook's own finding cell removed, code folded
    (:func:`folded`), printed logs left out (:func:`without_logs`)."""
    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.metadata["tags"] = folded(cell)
            cell.outputs = [with_alt_text(output) for output in without_logs(cell)]
    chapter = CHAPTER_OF.get(executed.stem)
    opening = [_markdown_cell(findings.read_first(profile), f"read-first-{executed.stem}")
               ] if chapter == "results" else []
    if chapter:
        opening.append(_markdown_cell(f"**Finding.** {findings.opening(profile, chapter)}",
                                      f"finding-{executed.stem}"))
    opening.append(_markdown_cell(rerun_box(executed.name, profile, stamp),
                                  f"rerun-{executed.stem}"))
    files = files_box(profile, executed.name)
    if files:
        opening.append(_markdown_cell(files, f"files-{executed.stem}"))
    title = next((i for i, cell in enumerate(notebook.cells)
                  if cell.cell_type == "markdown" and cell.source.startswith("# ")), -1)
    if title >= 0:  # the finding goes right under the heading, above the chapter's own text
        heading, _, rest = notebook.cells[title].source.partition("\n")
        notebook.cells[title].source = heading
        if rest.strip():
            opening.append(_markdown_cell(rest.strip("\n"), f"intro-{executed.stem}"))
    notebook.cells[title + 1:title + 1] = opening
    return notebook


def status_page(profile: str, staged: list[str]) -> str:
    """Markdown listing every notebook's last execution, for the book's status page."""
    stamps = _stamps(profile)
    rows = []
    for notebook in [path.name for path in paths.chapter_notebooks()]:
        stamp = stamps.get(notebook, {})
        name = (f"[{Path(notebook).stem}]({notebook})" if notebook in staged
                else f"`{Path(notebook).stem}`")
        status = stamp.get("status", "not run")
        if status == "failed":
            status += f" (output: `results/{profile}/notebooks/failed/{notebook}`)"
        started = stamp.get("started", "—").replace("T", " ")[:16]
        rows.append(f"| {name} | {status} | {started} | {stamp.get('seconds', '—')} |")
    return "\n".join([
        "# Execution status",
        "",
        f"The last execution of every notebook of the profile `{profile}` by the runner "
        "(`python -m lib.run`), as recorded in "
        f"`results/{profile}/notebooks/.stamps/`. A notebook is executed again only when its "
        "source, its parameters or anything upstream changed.",
        "",
        "| notebook | status | started (UTC) | seconds |",
        "|---|---|---|---:|",
        *rows,
        "",
    ])


def measured_page() -> str:
    """The Reproduce part's *Measured* page: every figure the benchmarks published
    (``book/measured/*.md``, each with its script, commit, machine and date)."""
    fragments = sorted(paths.MEASURED.glob("*.md"))
    return "\n".join([
        "# Measured", "",
        "Time, memory and disk of this project on real machines, each table written by the "
        "benchmark script it names (`benchmarks/`), never by hand. These machines are noisy: "
        "compare alternatives within one table (a ratio holds where an absolute time does "
        "not).", "",
        *(fragment.read_text() for fragment in fragments),
        *([] if fragments else ["No benchmark has published its figures yet."])])


def stage(profile: str) -> list[Path]:
    """Copy the profile's executed notebooks where ``_toc.yml`` expects them, as the book
    shows them, and write the status page."""
    executed = paths.chapter_notebooks(paths.executed_notebooks_dir(profile))
    if not executed:
        raise BookError(f"no executed notebooks in "
                        f"{paths.relative(paths.executed_notebooks_dir(profile))}: "
                        f"run `make notebooks PROFILE={profile}` first")
    shutil.rmtree(paths.BOOK_EXECUTED, ignore_errors=True)
    paths.BOOK_EXECUTED.mkdir(parents=True)
    stamps = _stamps(profile)
    for notebook in executed:
        nbformat.write(present(notebook, profile, stamps.get(notebook.name, {})),
                       paths.BOOK_EXECUTED / notebook.name)
    (paths.BOOK_EXECUTED / "status.md").write_text(
        status_page(profile, [notebook.name for notebook in executed]))
    (paths.BOOK_EXECUTED / "abstract.md").write_text(findings.abstract(profile) + "\n")
    (paths.BOOK_EXECUTED / "discussion.md").write_text(findings.discussion(profile) + "\n")
    (paths.BOOK_EXECUTED / "read_first.md").write_text(findings.read_first(profile) + "\n")
    (paths.BOOK_EXECUTED / "measured.md").write_text(measured_page())
    return executed


def table_of_contents(profile_audiences: list[str]) -> dict[str, Any]:
    """``_toc.yml`` without the pages (:data:`PAGE_AUDIENCES`) written for other audiences."""
    toc = yaml.safe_load(paths.TOC.read_text())
    for part in toc["parts"]:
        part["chapters"] = [chapter for chapter in part["chapters"]
                            if chapter["file"] not in PAGE_AUDIENCES
                            or PAGE_AUDIENCES[chapter["file"]] in profile_audiences]
    toc["parts"] = [part for part in toc["parts"] if part["chapters"]]
    return toc


def build(profile: str) -> Path:
    if not (paths.BOOK_VENDOR_STATIC / "mathjax" / "tex-chtml.js").is_file():
        vendor()
    stage(profile)
    profile_audiences = audiences(profiles.load(profile)["DATASETS"])
    toc = paths.BOOK_EXECUTED / "_toc.yml"
    toc.write_text(yaml.safe_dump(table_of_contents(profile_audiences), sort_keys=False))
    jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
    command = [jupyter_book, "build", str(paths.ROOT), "--toc", str(toc), "--path-output",
               str(paths.results_dir(profile)), "-W", "-n", "--keep-going"]
    tags = ",".join(sphinx_tag(audience) for audience in profile_audiences)
    if subprocess.run(command, cwd=paths.ROOT,
                      env={**os.environ, AUDIENCES_VARIABLE: tags}).returncode != 0:
        raise BookError("jupyter-book build failed (warnings are errors); see the messages above")
    index = paths.book_html_dir(profile) / "index.html"
    print(f"book ready: open {paths.relative(index)} (or `make serve PROFILE={profile}`)")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="demo", help="smoke | demo | paper")
    parser.add_argument("--vendor", action="store_true", help="only copy the offline scripts")
    args = parser.parse_args(argv)
    try:
        vendor() if args.vendor else build(args.profile)
    except BookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
