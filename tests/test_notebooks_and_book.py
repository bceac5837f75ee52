"""The smoke profile's notebooks through papermill, the runner's reuse and errors, the book."""
import html
import json
import re

import nbformat
import papermill
import pytest

from lib import book, groundtruth, paths, record, run


def test_smoke_notebooks_run_and_record_their_numbers(smoke_notebooks):
    assert [r["notebook"] for r in smoke_notebooks] == [p.name for p in run.notebooks()]
    assert all(r.get("status") == "ok" for r in smoke_notebooks)
    keyword_set = record.load("smoke", record.Data.CHAPTER)["OfflineKeywords"]
    assert keyword_set[record.Data.CLIPS_PER_SPLIT] == {"train": 24, "dev": 8, "test": 8}
    assert keyword_set[record.Data.FLIPPED] == 2 and keyword_set[record.Data.NONSPEECH] == 2
    executed = nbformat.read(paths.executed_notebooks_dir("smoke") / "00_data.ipynb", 4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert any("<audio" in o.get("data", {}).get("text/html", "") for o in outputs)


def test_unchanged_notebooks_are_skipped(smoke_notebooks, capsys):
    again = run.run_profile("smoke")
    assert all(r["skipped"] for r in again)
    assert "skip 00_data.ipynb (unchanged)" in capsys.readouterr().out


def test_ill_typed_parameter_fails_the_notebook_with_its_name():
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(str(paths.NOTEBOOKS / "00_data.ipynb"), None,
                                   parameters={"PROFILE": "smoke", "DATASETS": "OfflineKeywords"},
                                   kernel_name="python3", cwd=str(paths.NOTEBOOKS))
    assert err.value.ename == "ProfileError"
    assert "parameter DATASETS must be a non-empty list[str]" in err.value.evalue


def test_failing_notebook_stops_the_run_with_one_line(smoke_data, tmp_path, monkeypatch):
    broken = tmp_path / "99_broken.ipynb"
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('PROFILE = "demo"  # smoke | demo | paper')
    cell.metadata["tags"] = ["parameters"]
    notebook.cells = [cell, nbformat.v4.new_code_cell("raise ValueError('bad input here')")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, broken)
    monkeypatch.setattr(run, "notebooks", lambda: [broken])
    monkeypatch.setattr(paths, "RESULTS", tmp_path / "results")
    with pytest.raises(run.NotebookFailed) as err:
        run.run_profile("smoke")
    message = str(err.value)
    assert "\n" not in message and "99_broken.ipynb failed: ValueError: bad input here" in message
    saved = re.search(r"output saved to (\S+)\)", message).group(1)
    assert (paths.ROOT / saved).is_file() or (tmp_path / "results").exists()


def test_book_builds_with_warnings_as_errors(smoke_book):
    html = smoke_book
    assert (html / "index.html").is_file()
    chapter = (html / "book" / "executed" / "00_data.html").read_text()
    assert chapter.count("<audio") >= 4 and "data:audio/wav;base64," in chapter
    assert "_static/mathjax/tex-chtml.js" in chapter  # MathJax from the book, not a CDN
    assert not re.search(r'<script[^>]+src="https?://', chapter)
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert "stand-in" in (html / "book" / "intro.html").read_text()


def test_training_and_difficulty_chapters_are_in_the_book(smoke_book):
    html = smoke_book
    training = (html / "book" / "executed" / "01_training.html").read_text()
    assert training.count("<img") >= 2 and "Beside the paper" in training
    scores = (html / "book" / "executed" / "02_difficulty.html").read_text()
    assert scores.count("<img") >= 8 and "joined by row position" in scores
    assert "ProfileError" not in scores and "Traceback" not in scores


def test_selection_explanation_class_and_inference_chapters_are_in_the_book(smoke_book):
    html = smoke_book / "book" / "executed"
    pages = {name: (html / f"{name}.html").read_text()
             for name in ("03_selection", "04_explanations", "05_classes", "06_inference")}
    for name, page in pages.items():
        assert "Traceback" not in page and "ProfileError" not in page, name
    assert pages["03_selection"].count("<audio") >= 2 * 3 * 2  # classes x bands x thumbnails
    assert pages["04_explanations"].count("<img") >= 4
    assert "the paper" in pages["05_classes"] and pages["05_classes"].count("<img") >= 2
    assert "corrupt.wav: corrupt or not an audio file" in pages["06_inference"]
    assert "empty.wav: empty file (0 bytes)" in pages["06_inference"]


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def test_each_chapter_shows_its_parameters_and_rerun_command(smoke_book):
    page = (smoke_book / "book" / "executed" / "03_selection.html").read_text()
    text = _text(page)
    assert "Parameters and re-run" in text and "SELECTION_K" in text
    assert ("papermill notebooks/03_selection.ipynb results/smoke/notebooks/03_selection.ipynb"
            in text)
    assert "-f notebooks/profiles/smoke.yaml --cwd notebooks" in text
    assert "# Parameters" not in text  # papermill's injected cell is hidden
    status = _text((smoke_book / "book" / "executed" / "status.html").read_text())
    for notebook in run.notebooks():
        assert f"{notebook.stem} ok" in status


def test_results_chapter_sets_our_numbers_beside_the_papers(smoke_book):
    summary = record.load("smoke", record.Results.CHAPTER)
    assert summary[record.Results.COMPARED_WITH_PAPER] == 8  # 2 datasets x (accuracy + 3 bases)
    assert set(summary[record.Results.DIFFICULTY_TEST_SAME_SIGN]) == {"OfflineKeywords",
                                                                     "SyntheticScenes"}
    text = _text((smoke_book / "book" / "executed" / "90_results.html").read_text())
    assert "What the paper also reports" in text and "Beyond the paper" in text
    assert "SpeechCommands" in text and "DCASE2020Task1A" in text


def test_status_page_shows_the_latest_run_of_every_notebook(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "RESULTS", tmp_path)
    stamps = paths.executed_notebooks_dir("smoke") / ".stamps"
    stamps.mkdir(parents=True)
    ok = {"notebook": "00_data.ipynb", "status": "ok", "started": "2026-01-01T10:00:00",
          "seconds": 3.5, "parameters": {"PROFILE": "smoke"}}
    (stamps / "00_data.json").write_text(json.dumps(ok))
    (stamps / "00_data.failed.json").write_text(json.dumps(
        {**ok, "status": "failed", "started": "2026-01-02T10:00:00"}))
    page = book.status_page("smoke", staged=["00_data.ipynb"])
    assert ("| [00_data](00_data.ipynb) | failed (output: "
            "`results/smoke/notebooks/failed/00_data.ipynb`) | 2026-01-02 10:00 | 3.5 |") in page
    assert "| `01_training` | not run | — | — |" in page
    box = book.rerun_box("00_data.ipynb", "smoke", ok)
    assert "| `PROFILE` | `\"smoke\"` | smoke \\| demo \\| paper" in box


def test_notebooks_record_the_learned_regime_figures(smoke_notebooks):
    """The figures that say whether the models learned (issue: the demo learns) are recorded
    as numbers: test and genuine training accuracy per model, detection AUROC with its interval
    for both injected kinds, split-half stability, the class difficulty-recall correlation and
    accuracy on real speech. Their values are the demo's business, not the smoke profile's."""
    def number(value):  # NaN counts: a correlation over constant recalls is undefined
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def load(chapter):
        return record.load("smoke", chapter.CHAPTER)

    T, V = record.Training, record.Validation
    training_numbers = load(T)
    for key, accuracy in training_numbers[T.TEST_ACCURACY].items():
        assert number(accuracy), key
        assert number(training_numbers[T.TRAIN_ACCURACY][key][T.ALL]), key
    assert number(training_numbers[T.TRAIN_ACCURACY]["OfflineKeywords Cnn10"][T.GENUINE])
    keyword_set = load(V)["OfflineKeywords"]
    for kind in groundtruth.INJECTED:
        found = keyword_set[V.DETECTION][kind][record.CUMULATIVE_ACCURACY]
        assert number(found[V.AUROC]) and all(map(number, found[V.AUROC_INTERVAL]))
    assert number(keyword_set[V.STABILITY][V.SPLIT_HALVES_SPEARMAN])
    assert number(load(record.Classes)["OfflineKeywords"][record.Classes.CORRELATIONS][
        record.DIFFICULTY_TEST])
    assert number(load(record.Inference)[record.Inference.REAL_SPEECH][record.Inference.ACCURACY])


def test_each_chapter_opens_with_the_finding_its_record_gives(smoke_book):
    """The opening is written from the record the chapter's tables come from: a number in the
    finding and the same number in a table cannot drift apart."""
    from lib import findings, summary

    executed = smoke_book / "book" / "executed"
    for stem, chapter in record.CHAPTER_OF.items():
        text = html.unescape(_text((executed / f"{stem}.html").read_text())).replace("’", "'")
        expected = _text(re.sub(r"\[([^]]+)\]\([^)]+\)", r"\1", findings.opening(
            "smoke", chapter)).replace("*", "").replace("`", ""))  # a link shows its text
        assert f"Finding. {expected[:120]}" in text, stem
    accuracy = record.load("smoke", record.Training.CHAPTER)[record.Training.TEST_ACCURACY][
        "OfflineKeywords Cnn10"]
    table = summary.beside_paper("smoke", ["OfflineKeywords"])
    assert table.loc[table["quantity"].str.startswith("test accuracy, Cnn10"), "ours"].item() == accuracy
    assert f"Cnn10 {accuracy:.3f}" in _text((executed / "01_training.html").read_text())
    assert f"{accuracy:.3f}" in _text((executed / "90_results.html").read_text())
    assert "Read this first" in _text((executed / "90_results.html").read_text())
    assert "Read this first" in _text((smoke_book / "book" / "intro.html").read_text())


def test_no_chapter_shows_the_reader_a_warning_or_log(smoke_book):
    """Warnings and logs a notebook writes to stderr would be printed in the built page."""
    for page in sorted((smoke_book / "book" / "executed").glob(paths.CHAPTER_GLOB.replace(".ipynb", ".html"))):
        assert "output stderr" not in page.read_text(), f"{page.name} shows stderr output"


def test_a_quantity_shown_on_two_pages_is_one_number(smoke_book):
    """The hardest 10 %, chance, test accuracy and the real-speech figure read the same
    wherever the book shows them: the introduction's abstract, the chapter, the results page."""
    folder = smoke_book / "book"
    pages = {name: html.unescape(_text((folder / path).read_text())).replace("’", "'")
             for name, path in {"intro": "intro.html", "results": "executed/90_results.html",
                                "training": "executed/01_training.html",
                                "difficulty": "executed/02_difficulty.html",
                                "pruning": "executed/08_pruning.html",
                                "inference": "executed/06_inference.html"}.items()}

    def found(page: str, pattern: str) -> list[str]:
        values = re.findall(pattern, pages[page])
        assert values, (page, pattern)
        return values

    hardest = {found("intro", r"the hardest (\d+) of its samples")[0],
               found("results", r"the hardest (\d+) of its samples")[0],
               found("difficulty", r"hardest 10 % \((\d+) of \d+ samples\)")[0],
               found("pruning", r"without the hardest 10% \((\d+) clips")[0]}
    assert len(hardest) == 1, hardest
    chance = found("intro", r"OfflineKeywords \(chance (\d\.\d\d)\)")[0]
    assert f"chance is {chance}" in pages["training"] and f"chance is {chance}" in pages["results"]
    accuracy = float(found("training", r"OfflineKeywords[^:]*: test accuracy Cnn10 (\d\.\d{3})")[0])
    assert f"{accuracy:.2f} for Cnn10" in pages["intro"]
    words = {found(page, r"names (\d+ of \d+) words right")[0]
             for page in ("intro", "results", "inference")}
    assert len(words) == 1, words


def _table_problems(page: str) -> list[str]:
    """What makes a page's tables read as a dataframe dump: snake_case headers, a pandas index
    column, an empty corner header."""
    from bs4 import BeautifulSoup
    problems = []
    for number, table in enumerate(BeautifulSoup(page, "html.parser").find_all("table"), 1):
        heads = [th.get_text(" ", strip=True) for th in table.find_all("th")
                 if th.find_parent("thead") is not None]
        snake = [head for head in heads if re.search(r"[a-z0-9]_[a-z0-9]", head)]
        if snake:
            problems.append(f"table {number}: snake_case headers {snake[:3]}")
        if table.tbody is not None and table.tbody.find("th") is not None:
            problems.append(f"table {number}: an index column")
        if heads[:1] == [""]:
            problems.append(f"table {number}: an empty first header")
    return problems


def test_every_table_has_readable_headers_and_no_index(smoke_book):
    """Every table of the built book, composed by a chapter or written by hand, reads as a
    table for people: worded headers, no pandas index; p-values never in exponent notation."""
    found = {}
    for page in sorted((smoke_book / "book").rglob("*.html")):
        text = page.read_text()
        problems = _table_problems(text)
        plain = html.unescape(_text(text))
        exponent = r"\bp\s?=?\s?\d(?:\.\d+)?e-\d+|\bp 0\.0\b"
        problems += [f"p-value {p!r}" for p in re.findall(exponent, plain)]
        if problems:
            found[page.name] = problems
    assert not found, found


def test_each_chapter_links_its_files_and_the_repository(smoke_book):
    """A chapter's tables (here the orderings) download from its page; every page links the
    repository and its notebook on Binder."""
    page = (smoke_book / "book" / "executed" / "02_difficulty.html").read_text()
    downloads = re.findall(r'href="(\.\./\.\./_downloads/[^"]+_ordering\.csv)"', page)
    assert downloads, "no ordering linked for download"
    assert all((smoke_book / "book" / "executed" / link).resolve().is_file() for link in downloads)
    assert "mybinder.org/v2/gh/" in page and "labpath=notebooks%2F02_difficulty.ipynb" in page
    assert book.repository()["url"] in page


def test_every_figure_says_what_it_shows(smoke_book):
    """A figure's alternative text is its title and axes (lib.page.describe), never a path."""
    figures = 0
    for page in sorted((smoke_book / "book" / "executed").glob("*.html")):
        for image in re.findall(r"<img [^>]*>", page.read_text()):
            alt = re.search(r'alt=\\?"([^"\\]*)', image)  # in a widget's state, quotes are escaped
            assert alt and alt.group(1) and ".png" not in alt.group(1), (page.name, image[:200])
            figures += alt.group(1).startswith("Figure: ")
    assert figures > 10
