"""Look at and listen to the selected samples: a static gallery and a live explorer.

The gallery is plain HTML with the images and audio embedded, so it plays in the static book
without a kernel. The explorer is an ipywidgets panel for live Jupyter; it renders into one
HTML widget, whose value a test can read.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd

from lib import page, paths, plots, selection
from lib.plots.explanations import sample_explanations
from lib.selection import BANDS


def _uri(file: Path, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(file.read_bytes()).decode()}"


def _tile(folder: Path, row: pd.Series, kind: str = "genuine", image: str = "log_mel.png") -> str:
    title = f"{row['sample_id']} (rank {row['rank']:.3f})"
    marked = ("" if kind == "genuine" else
              f'<br/><strong style="color:#d62728">{html.escape(kind)}</strong>')
    return (f'<figure style="display:inline-block;margin:3px;text-align:center;width:150px">'
            f'<img src="{_uri(folder / row["folder"] / image, "image/png")}" width="146" '
            f'height="92" title="{html.escape(title)}" alt="log-mel spectrogram of '
            f'{html.escape(title)}" style="image-rendering:auto"/>'
            f'<figcaption style="font-size:11px">rank {row["rank"]:.2f}{marked}<br/>'
            f'<audio controls preload="none" '
            f'src="{_uri(folder / row["folder"] / "audio.wav", "audio/wav")}" '
            f'style="width:146px;height:28px"></audio></figcaption></figure>')


def gallery_html(profile: str, dataset: str, chosen: pd.DataFrame, per_band: int,
                 kinds: pd.Series | None = None) -> str:
    """Per class, three rows (easy, medium, hard) of spectrogram thumbnails with audio players;
    an injected sample (``kinds`` by sample id: flipped label, non-speech) is marked as one.

    Thumbnails show the whole clip's time left to right and mel frequency (50 Hz-8 kHz) bottom to top.
    """
    folder = paths.selection_dir(profile, dataset)
    marked = (" Red captions mark the injected samples (the kinds the data records)."
              if kinds is not None else "")
    parts = [f'<div class="difficulty-gallery"><p><em>{html.escape(dataset)}: log-mel '
             f'spectrograms (x: time, y: mel frequency 50 Hz-8 kHz) of the first {per_band} '
             f'samples of each band; hover for the sample id, play for the audio. Bands are '
             f'relative within a class.{marked}</em></p>']
    for label, members in chosen.groupby("label", sort=True):
        parts.append(f"<h4>{html.escape(str(label))}</h4>")
        for band in BANDS:
            rows = members[members["band"] == band].sort_values("place").head(per_band)
            tiles = "".join(_tile(folder, row, "genuine" if kinds is None
                                  else str(kinds.get(row["sample_id"], "genuine")))
                            for _, row in rows.iterrows())
            parts.append(f'<div style="white-space:nowrap;overflow-x:auto">'
                         f'<span style="display:inline-block;width:60px;vertical-align:top;'
                         f'font-weight:bold">{band}</span>{tiles}</div>')
    return "".join(parts) + "</div>"


class Explorer:
    """Pick a dataset, class, band and place; see and hear the sample, its Grad-CAMs, its scores.

    ``widget`` is the panel to display; ``view`` holds the rendered sample (an HTML widget).
    """

    def __init__(self, profile: str, datasets: list[str], metadata: dict[str, pd.DataFrame]
                 | None = None) -> None:
        self.profile = profile
        self.tables = {name: selection.read(profile, name) for name in datasets}
        self.explanations = {name: selection.read_explanations(profile, name)
                             for name in datasets}
        self.metadata = metadata or {}
        self.dataset = widgets.Dropdown(options=datasets, description="dataset")
        self.label = widgets.Dropdown(description="class")
        self.band = widgets.ToggleButtons(options=list(BANDS), description="band")
        self.place = widgets.IntSlider(min=1, max=1, description="place", continuous_update=False)
        self.view = widgets.HTML()
        self.dataset.observe(self._dataset_changed, "value")
        for control in (self.label, self.band):
            control.observe(self._band_changed, "value")
        self.place.observe(lambda _: self.render(), "value")
        self._dataset_changed()
        self.widget = widgets.VBox([widgets.HBox([self.dataset, self.label]), self.band,
                                    self.place, self.view])

    def _dataset_changed(self, _: object = None) -> None:
        labels = sorted(self.tables[self.dataset.value]["label"].astype(str).unique())
        self.label.options = labels
        self.label.value = labels[0]
        self._band_changed()

    def _band_changed(self, _: object = None) -> None:
        if self.label.value is None:
            return
        self.place.max = max(1, len(self._band_rows()))
        self.render()

    def _band_rows(self) -> pd.DataFrame:
        table = self.tables[self.dataset.value]
        return table[(table["label"].astype(str) == self.label.value)
                     & (table["band"] == self.band.value)].sort_values("place")

    def current(self) -> pd.Series:
        """The selected sample's row of the selection table."""
        rows = self._band_rows()
        return rows.iloc[min(self.place.value, len(rows)) - 1]

    def render(self) -> None:
        row = self.current()
        dataset = self.dataset.value
        folder = paths.selection_dir(self.profile, dataset) / row["folder"]
        spectrogram = np.load(folder / "log_mel.npy")
        cams = selection.sample_cams(folder)
        figure = sample_explanations(spectrogram, cams, f"{row['label']}, {row['band']} "
                                     f"{row['place']}: {row['sample_id']}")
        described = page.describe(figure)
        png = base64.b64encode(plots.figure_png(figure)).decode()
        runs = self.explanations[dataset]
        runs = runs[runs["sample_id"] == row["sample_id"]].drop(columns="sample_id")
        details = row.drop(labels=["folder"]).to_frame("value")
        extra = self.metadata.get(dataset)
        if extra is not None and row["sample_id"] in extra.index:
            details = pd.concat([details, extra.loc[row["sample_id"]].to_frame("value")])
        self.view.value = (
            f'<audio controls src="{_uri(folder / "audio.wav", "audio/wav")}"></audio><br/>'
            f'<img src="data:image/png;base64,{png}" alt="{html.escape(described)}" '
            f'style="max-width:100%"/>'
            f'<div style="display:flex;gap:2em"><div>{page.html(details.rename_axis("field"))}'
            f'</div><div>{page.html(runs)}</div></div>')
