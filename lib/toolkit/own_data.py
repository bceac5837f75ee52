"""A user's dataset as autrainer reads it: autrainer's generic classification dataset, with
the split tables' sample and class names read as text, so a class named 007 stays 007 in the
runs' label encoder (autrainer's own reader gives the number 7 when every class is a number)."""
from __future__ import annotations

import os

import pandas as pd
from autrainer.datasets import BaseClassificationDataset

from lib.datasets import read_named_csv


class OwnClassificationDataset(BaseClassificationDataset):
    """:class:`autrainer.datasets.BaseClassificationDataset`, its tables read by
    :func:`lib.datasets.read_named_csv`."""

    def load_dataframes(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        train, dev, test = (read_named_csv(os.path.join(self.path, f"{split}.csv"),
                                           (self.index_column, self.target_column))
                            for split in ("train", "dev", "test"))
        return train, dev, test
