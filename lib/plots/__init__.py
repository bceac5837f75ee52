"""Figures, a module per chapter, and what they share: styles, axes, log-mel drawing, HTML.

Each chapter's figures live in ``lib.plots.<chapter>`` (``data``, ``training``,
``difficulty``, ``definitions``, ``explanations``, ``classes``, ``inference``, ``validation``, ``pruning``,
``results``).
Every figure function draws what it is given and computes nothing of its own: statistics,
spectrograms and aggregates come from the chapter's ``lib`` module. Each takes ``ax=None``
(``axes=None`` for a figure of several panels) to draw into a figure of the caller's, and
returns its figure. Every axis is labelled with its unit. HTML pieces embed audio and images
as data URIs so they play and show in the static book without a kernel.
"""
from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lib import audio, toolkit
from lib.groundtruth import (ATYPICAL, CONFUSABLE, DUPLICATE, FLIPPED, NONSPEECH,
                             OUT_OF_VOCABULARY)

# --- Shared styles ----------------------------------------------------------------------------

SPLIT_COLOURS = {"train": "#1f77b4", "dev": "#ff7f0e", "test": "#2ca02c"}
MODEL_COLOURS = {"Cnn10": "#1f77b4", "Cnn14": "#d62728"}
#: Markers and colours of the keyword set's injected samples on difficulty figures.
KIND_STYLE = {FLIPPED: {"marker": "X", "color": "#d62728"},
              CONFUSABLE: {"marker": "P", "color": "#e377c2"},
              OUT_OF_VOCABULARY: {"marker": "D", "color": "#8c564b"},
              NONSPEECH: {"marker": "s", "color": "#9467bd"},
              ATYPICAL: {"marker": "^", "color": "#bcbd22"},
              DUPLICATE: {"marker": "v", "color": "#17becf"}}
#: The paper's colours for the difficulty bands.
BAND_COLOURS = {"easy": "#2ca02c", "medium": "#1f77b4", "hard": "#d62728"}


# --- Shared pieces ----------------------------------------------------------------------------

def new_axes(ax: plt.Axes | None, figsize: tuple[float, float], **kwargs: Any
             ) -> tuple[plt.Figure, Any]:
    """The caller's axes and their figure, or a new figure of ``figsize`` (``kwargs`` go to
    ``plt.subplots``, for figures of several panels)."""
    if ax is not None:
        first = ax if isinstance(ax, plt.Axes) else np.asarray(ax).flat[0]
        return first.figure, ax
    return plt.subplots(figsize=figsize, **kwargs)


def series_colours(names: list[str]) -> dict[str, Any]:
    """A colour per series, all distinct: matplotlib's ten where they suffice, its twenty
    otherwise."""
    palette = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    return {name: palette(i % palette.N) for i, name in enumerate(names)}


def legend_beside(ax: plt.Axes, *handles_and_labels: Any, below: bool = False,
                  **options: Any) -> Any:
    """A panel's legend outside it, to its right (``below``: under it, for a panel with a
    second y axis on the right), where it cannot cover the data whatever the data."""
    place = ({"loc": "upper center", "bbox_to_anchor": (0.5, -0.16)} if below
             else {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0)})
    return ax.legend(*handles_and_labels, borderaxespad=0, **place, **options)


def finished(fig: plt.Figure) -> plt.Figure:
    """A figure laid out tight and checked (:func:`problems`), as every figure function
    returns it; a figure that fails the check is one line naming it and what is wrong."""
    fig.tight_layout()
    found = problems(fig)
    if found:
        title = next((ax.get_title() for ax in fig.axes if ax.get_title()), "") or \
            fig.get_suptitle() or next((ax.get_ylabel() for ax in fig.axes), "untitled")
        raise FigureError(f"figure {title!r}: {'; '.join(found)}")
    return fig


class FigureError(ValueError):
    """A figure that would mislead its reader (:func:`problems`); one line naming it."""


#: Axis labels of quantities between 0 and 1: a band or a point outside that is an artefact.
UNIT_INTERVAL = ("accuracy", "recall", "auroc", "precision", "probability", "fraction")
#: ... unless the axis shows a change of one, a percentage or a logarithm.
NOT_BOUNDED = ("drop", "difference", "change", "%", "log")


def problems(fig: plt.Figure) -> list[str]:
    """What a reader would be misled by: a legend over plotted data (its window extent
    against each artist's), a band or point of a quantity in [0, 1] drawn outside it, two
    legend entries of one panel that look alike (one colour, one line style and marker: a
    colour may be shared only where the style tells the series apart, as a band's two
    quantities, solid and dashed), a title written over an axis label."""
    fig.canvas.draw()
    found: list[str] = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            box = legend.get_window_extent()
            covered = [label for artist, label in _data_artists(ax) if _overlaps(artist, box)]
            found += [f"legend covers {label}" for label in dict.fromkeys(covered)]
            looks = [_look(handle) for handle in legend.legend_handles]
            texts = [text.get_text() for text in legend.get_texts()]
            for i, look in enumerate(looks):
                twin = next((texts[j] for j in range(i) if look is not None
                             and looks[j] == look), None)
                if twin is not None:
                    found.append(f"{twin!r} and {texts[i]!r} share a colour and a style")
        title = ax.title
        if title.get_text():
            box = title.get_window_extent()
            found += [f"title {title.get_text()!r} covers the {name}" for name, text in
                      (("y label", ax.yaxis.label), ("x label", ax.xaxis.label))
                      if text.get_text() and text.get_window_extent().overlaps(box)]
        label = ax.get_ylabel().lower()
        if any(word in label for word in UNIT_INTERVAL) and \
                not any(word in label for word in NOT_BOUNDED):
            ys = np.concatenate([_ys(artist) for artist, _ in _data_artists(ax)] or [[]])
            ys = ys[np.isfinite(ys)]
            if len(ys) and (ys.min() < -1e-9 or ys.max() > 1 + 1e-9):
                found.append(f"{ax.get_ylabel()} drawn from {ys.min():.2f} to {ys.max():.2f}, "
                             "outside 0-1")
    return found


def _data_artists(ax: plt.Axes) -> list[tuple[Any, str]]:
    """The panel's plotted data (lines, markers, bars, bands), each with a name for messages;
    reference lines drawn across the whole panel (chance, a threshold) are not data."""
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    bars = {id(bar): container.get_label() for container in ax.containers
            for bar in getattr(container, "patches", [])}
    artists = []
    for artist in [*ax.lines, *ax.collections, *ax.patches]:
        if not artist.get_visible() or (isinstance(artist, Line2D)
                                        and artist.get_transform() != ax.transData):
            continue  # axhline and axvline span the panel in axes coordinates
        if isinstance(artist, (Line2D, Collection, Rectangle)):
            name = bars.get(id(artist), artist.get_label())
            artists.append((artist, name if name and not name.startswith("_") else
                            type(artist).__name__.lower()))
    return artists


def _overlaps(artist: Any, box: Any) -> bool:
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    if isinstance(artist, Rectangle):
        extent = artist.get_window_extent()
        return extent.width > 0 and extent.height > 0 and extent.overlaps(box)
    if isinstance(artist, PolyCollection):
        transform = artist.get_transform()
        return any(path.transformed(transform).intersects_bbox(box, filled=True)
                   for path in artist.get_paths())
    if isinstance(artist, Line2D):
        points = artist.get_transform().transform(artist.get_xydata())
        if artist.get_linestyle() not in ("None", "", " "):  # the segments between points too
            points = _densified(points)
    else:  # a scatter: its points
        points = artist.get_offset_transform().transform(artist.get_offsets())
    points = points[np.isfinite(points).all(axis=1)] if len(points) else points
    return bool(len(points)) and bool(((points[:, 0] >= box.x0) & (points[:, 0] <= box.x1)
                                       & (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
                                       ).any())


def _densified(points: np.ndarray, step: float = 2.0) -> np.ndarray:
    """A polyline's points with extra ones every ``step`` pixels along each segment."""
    pieces = [points[:1]]
    for start, end in zip(points[:-1], points[1:]):
        if not (np.isfinite(start).all() and np.isfinite(end).all()):
            continue
        count = max(int(np.hypot(*(end - start)) / step), 1)
        pieces.append(start + np.outer(np.arange(1, count + 1) / count, end - start))
    return np.concatenate(pieces)


def _ys(artist: Any) -> np.ndarray:
    """The data y-values of a line, a scatter, a band or a bar's top."""
    from matplotlib.collections import PolyCollection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    if isinstance(artist, Line2D):
        return np.asarray(artist.get_ydata(), float)
    if isinstance(artist, Rectangle):
        return np.array([artist.get_y() + artist.get_height()], float)
    if isinstance(artist, PolyCollection):
        return np.concatenate([path.vertices[:, 1] for path in artist.get_paths()] or [[]])
    return np.asarray(artist.get_offsets(), float)[:, 1] if len(artist.get_offsets()) else \
        np.array([])


def _look(handle: Any) -> tuple[Any, ...] | None:
    """A legend entry's colour (RGB: a line's, its markers' where it has no line, a patch's or
    a scatter's face), line style and marker."""
    from matplotlib.collections import Collection
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if isinstance(handle, Line2D):
        line = handle.get_linestyle() not in ("None", "", " ")
        face = handle.get_markerfacecolor()
        colour = (handle.get_color() if line else handle.get_markeredgecolor()
                  if isinstance(face, str) and face == "none" else face)
        style = (handle.get_linestyle() if line else "", handle.get_marker())
    elif isinstance(handle, Patch):
        colour, style = handle.get_facecolor(), (handle.get_hatch(),)
    elif isinstance(handle, Collection) and len(handle.get_facecolor()):
        shape = handle.get_paths()[0].vertices if handle.get_paths() else np.empty((0, 2))
        colour, style = handle.get_facecolor()[0], (tuple(np.round(shape, 2).ravel()),)
    else:
        return None
    return (tuple(round(c, 3) for c in to_rgb(colour)), *style)


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def figure_png(fig: plt.Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def draw_log_mel(ax: plt.Axes, spectrogram: np.ndarray, title: str = "",
                 cmap: str = "magma") -> plt.cm.ScalarMappable:
    """A log-mel (frames x mel bins) with time in s and mel-bin centre frequency in Hz."""
    seconds = spectrogram.shape[0] * toolkit.MEL["hop_size"] / toolkit.MEL["sample_rate"]
    image = ax.imshow(spectrogram.T, origin="lower", aspect="auto", cmap=cmap,
                      extent=(0, seconds, 0, spectrogram.shape[1]))
    centres = audio.mel_bin_centres_hz(toolkit.MEL["mel_bins"], toolkit.MEL["fmin"],
                                       toolkit.MEL["fmax"])
    ticks = [0, 16, 32, 48, 63]
    ax.set_yticks([t + 0.5 for t in ticks], [f"{centres[t]:.0f}" for t in ticks])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz, mel scale)")
    if title:
        ax.set_title(title)
    return image


def mark_injected(ax: plt.Axes, table: pd.DataFrame, x: str, y: str) -> None:
    """Ring the injected samples (flipped labels, non-speech) of a scatter."""
    if "kind" not in table:
        return
    for kind, style in KIND_STYLE.items():
        part = table[table["kind"] == kind]
        if len(part):
            ax.scatter(part[x], part[y], s=60, facecolors="none", edgecolors=style["color"],
                       marker=style["marker"], linewidths=1.4, label=f"injected: {kind}",
                       zorder=3)
