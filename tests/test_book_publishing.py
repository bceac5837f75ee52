"""What a published compendium offers beside its pages: a citation, one repository link, a
live launch per chapter."""
import yaml

from lib import book, paths


def test_citation_file_names_the_paper_and_the_books_repository():
    citation = yaml.safe_load(paths.CITATION.read_text())
    assert citation["cff-version"] == "1.2.0" and citation["authors"] and citation["title"]
    assert citation["repository-code"] == book.repository()["url"]
    titles = [reference["title"] for reference in citation["references"]]
    assert "Leveraging Sample Difficulty in Computer Audition Analysis" in titles
    assert all(reference["authors"] for reference in citation["references"])


def test_each_chapter_launches_its_own_notebook_on_binder(monkeypatch):
    link = book.launch_link("03_selection.ipynb")
    owner_repo = book.repository()["url"].removeprefix("https://github.com/")
    assert link == (f"https://mybinder.org/v2/gh/{owner_repo}/main"
                    "?labpath=notebooks%2F03_selection.ipynb")
    monkeypatch.setattr(book, "repository", lambda: {"url": "https://example.org/x"})
    assert book.launch_link("03_selection.ipynb") == ""
