"""The book's fixed pages speak to the profile's datasets: a book on a user's own audio names
none of the stand-ins, their covariates or the paper's datasets; the demo's keeps them."""
from __future__ import annotations

import re

import pytest
from sphinx.util.tags import Tags

from lib import book, datasets, paths

#: What a book on a user's own audio must not speak of (the issue's list: keywords, voices,
#: SNR, the paper's datasets, and the stand-ins by name).
FOREIGN = ("keyword", "SNR", "signal-to-noise", "non-speech", "no speech", "synthetic voice",
           "spoken word", "OfflineKeywords", "SyntheticScenes", "SpeechCommands", "DCASE",
           "stand-in")
#: A fenced ``{only}`` block of a fixed page: its fence, its condition, its body.
ONLY_BLOCK = re.compile(r"^(`{3,})\{only\} (.+?)\n(.*?)^\1$", re.S | re.M)


def _as_built(text: str, audiences: list[str]) -> str:
    """A fixed page's text as a book for these audiences reads it (the extension's rule)."""
    tags = Tags([datasets.sphinx_tag(audience) for audience in audiences])
    return ONLY_BLOCK.sub(lambda m: m[3] if tags.eval_condition(m[2]) else "", text)


def _pages(audiences: list[str]) -> dict[str, str]:
    toc = book.table_of_contents(audiences)
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return {file: _as_built((paths.ROOT / f"{file}.md").read_text(), audiences)
            for file in files if (paths.ROOT / f"{file}.md").is_file()}


def test_a_book_on_ones_own_audio_names_no_stand_in_and_no_paper_dataset():
    own = datasets.audiences(["mine"])
    assert own == ["own-data"]
    pages = _pages(own)
    assert {"book/intro", "book/methods", "book/discussion", "book/reproduce"} <= set(pages)
    assert "book/design" not in pages and "book/paper_study" not in pages
    said = [f"{file}: {term}: …{text[max(0, m.start() - 60):m.end() + 40]}…"
            for file, text in pages.items() for term in FOREIGN
            for m in re.finditer(re.escape(term), text, re.I)]
    assert not said, "\n".join(said)
    assert "your own labelled audio" in pages["book/intro"]


@pytest.mark.parametrize("names", [[datasets.KEYWORD_SET], [datasets.KEYWORD_SET, "mine"]])
def test_the_demos_book_keeps_the_stand_in_and_the_papers_study(names):
    pages = _pages(datasets.audiences(names))
    assert "book/design" in pages and "book/paper_study" in pages
    assert "offline keyword set" in pages["book/intro"]
    assert ("your own labelled audio" in pages["book/intro"]) == ("mine" in names)


def test_every_only_block_names_a_known_audience():
    known = {datasets.sphinx_tag(audience) for audience in datasets.CELL_AUDIENCES}
    for page in paths.BOOK.glob("*.md"):
        for block in ONLY_BLOCK.finditer(page.read_text()):
            words = set(re.findall(r"\w+", block[2])) - {"and", "or", "not"}
            assert words <= known, (page.name, block[2])
