"""How tables and figures reach the reader's page.

A notebook calls :func:`show_readable` once; from then on every ``DataFrame`` or ``Styler`` it
displays is shown through :func:`styled` (worded headers, no pandas index, three decimals,
p-values as "< 0.001", a box that scrolls rather than clips), and every matplotlib figure
carries :func:`describe` as its text, which the book uses as the image's alternative text
(:func:`lib.book.present`). No chapter formats its tables by hand, and the columns keep their
field names (``test_accuracy``) in code and CSV files while the page says "test accuracy";
:func:`header` is the one wording of a column name, which the benchmarks' Markdown tables use
too.
"""
from __future__ import annotations

import re
from html import escape
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from lib import significance
from lib.groundtruth import INJECTED

#: Column names whose wording no rule gives.
HEADERS = {"sample_id": "sample", "run_name": "run", "filename": "file",
           "train_accuracy_genuine_best_epoch": "train accuracy of genuine clips, best epoch",
           "wall_minutes_train": "training (min)", "wall_minutes_score": "scoring (min)",
           "cnn10_epoch_s": "Cnn10 epoch (s)", "share_of_cnn10_epoch": "share of a Cnn10 epoch",
           "augmentation_s_per_epoch": "augmentation (s per epoch)",
           "mislabelled": "wrong label", "rho": "ρ"}
#: Words written in capitals or with their own spelling wherever they occur in a name.
WORDS = {"uar": "UAR", "f1": "F1", "auroc": "AUROC", "snr": "SNR", "db": "dB", "hz": "Hz",
         "khz": "kHz", "cnn10": "Cnn10", "cnn14": "Cnn14", "mb": "MB", "gb": "GB", "id": "ID",
         "std": "SD", "ci": "CI", "ood": "OOD", "cleanlab": "cleanlab"}
#: Name endings that are units, written as the unit in brackets.
UNITS = {"_s": "s", "_seconds": "s", "_minutes": "min", "_mb": "MB", "_gb": "GB", "_db": "dB",
         "_hz": "Hz", "_khz": "kHz"}
#: The box every table sits in: as wide as the page, scrolling sideways beyond it.
BOX = '<div class="readable-table" style="overflow-x: auto; max-width: 100%">'


def header(name: Any) -> str:
    """A column name as the page writes it: ``test_uar`` -> "test UAR", ``disk_mb`` ->
    "disk (MB)", a kind's metadata column -> the kind's name."""
    if not isinstance(name, str):
        return str(name)
    kinds = {column: kind for kind, column in INJECTED.items()}
    if name in kinds:
        return kinds[name]
    if name in HEADERS:
        return HEADERS[name]
    ending = next((e for e in UNITS if name.endswith(e) and len(name) > len(e)), None)
    stem = name[: -len(ending)] if ending else name
    text = " ".join(WORDS.get(word.lower(), word) for word in re.split(r"_+", stem) if word)
    return f"{text} ({UNITS[ending]})" if ending else text


def is_p_column(name: Any) -> bool:
    """Whether a column holds p-values (``p``, ``p_value``, ``p (paired)``; under several
    header levels, its last)."""
    if isinstance(name, tuple):
        name = name[-1]
    return isinstance(name, str) and re.fullmatch(r"p([ _].*)?", name.strip()) is not None


def p_text(p: float | None) -> str:
    """A p-value in a table cell: :func:`lib.significance.p_text` without its "p =", so
    "< 0.001" below 0.001, never exponent notation; empty where there is none."""
    if p is None or pd.isna(p):
        return ""
    return significance.p_text(p).removeprefix("p = ").removeprefix("p ")


def _positional(index: pd.Index) -> bool:
    """Whether an index only numbers the rows (unnamed integers: a default index, or one left
    by sorting or filtering), so the page drops it."""
    return index.nlevels == 1 and index.name is None and pd.api.types.is_integer_dtype(index)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a meaningful index turned into columns and a positional one dropped."""
    if _positional(frame.index):
        return frame.reset_index(drop=True)
    named = frame.index.names
    if all(name is None for name in named):
        frame = frame.rename_axis([""] * len(named) if len(named) > 1 else "")
    return frame.reset_index()


def styled(table: pd.DataFrame | Styler) -> Styler:
    """A table ready for the page: a ``DataFrame`` loses its pandas index (a meaningful index
    becomes a column), floats get three decimals and p-values :func:`p_text`; a ``Styler``
    keeps its own formats and gets the readable headers. Either way the headers are
    :func:`header`'s."""
    if isinstance(table, Styler):
        style = table
        if _positional(style.data.index):
            style = style.hide(axis="index")
    else:
        frame = _flat(table)
        style = frame.style.format(precision=3, na_rep="")
        p_columns = [c for c in frame.columns if is_p_column(c)]
        if p_columns:
            style = style.format(lambda p: escape(p_text(p)), subset=p_columns)
        style = style.hide(axis="index")
    return style.format_index(header, axis="columns")


def html(table: pd.DataFrame | Styler) -> str:
    """The table's HTML inside a box that scrolls sideways where the page is narrower."""
    return f"{BOX}{styled(table).to_html()}</div>"


def describe(figure: Figure) -> str:
    """A figure in words, for readers who cannot see it: its title and each panel's title and
    axes (with their units, as every axis here is labelled)."""
    panels = []
    for ax in figure.axes:
        parts = [ax.get_title(), ax.get_xlabel() and f"x: {ax.get_xlabel()}",
                 ax.get_ylabel() and f"y: {ax.get_ylabel()}"]
        described = "; ".join(part for part in parts if part)
        if described and described not in panels:
            panels.append(described)
    title = figure.get_suptitle() if hasattr(figure, "get_suptitle") else ""
    text = " | ".join(([title] if title else []) + panels)
    return f"Figure: {text}" if text else "Figure"


def show_readable() -> None:
    """Have this IPython session show every ``DataFrame`` and ``Styler`` through :func:`html`
    and give every figure :func:`describe` as its text (outside IPython, nothing to do)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["text/html"]
    formatter.for_type(pd.DataFrame, html)
    formatter.for_type(Styler, html)
    # IPython drops every formatter of Figure when the inline backend starts (at the first
    # figure), so start it first.
    import matplotlib.pyplot as plt
    plt.close(plt.figure())
    shell.display_formatter.formatters["text/plain"].for_type(
        Figure, lambda figure, printer, cycle: printer.text(describe(figure)))
