"""How a table reaches the page: worded headers, no pandas index, p-values as bounds."""
import pandas as pd

from lib import tables
from lib.groundtruth import FLIPPED, FLIPPED_COLUMN


def test_headers_are_worded_with_their_units():
    assert tables.header("test_uar") == "test UAR"
    assert tables.header("disk_mb") == "disk (MB)"
    assert tables.header("seconds_per_epoch") == "seconds per epoch"
    assert tables.header("sample_id") == "sample"
    assert tables.header(FLIPPED_COLUMN) == FLIPPED
    assert tables.header("already worded") == "already worded"


def test_p_values_are_bounds_or_three_decimals():
    assert tables.p_text(6.4e-301) == "< 0.001"
    assert tables.p_text(0.0) == "< 0.001"
    assert tables.p_text(0.0427) == "0.043"
    assert tables.p_text(float("nan")) == ""


def test_a_frame_loses_its_index_and_keeps_a_meaningful_one_as_a_column():
    frame = pd.DataFrame({"test_accuracy": [0.91234, 0.5], "p": [1e-9, 0.2]},
                         index=pd.Index(["yes", "no"], name="class"))
    page = tables.html(frame)
    assert page.startswith(tables.BOX)
    assert "<th" not in page.split("<tbody>")[1]  # no index cells in the body
    head = page.split("<tbody>")[0]
    assert ">class<" in head and ">test accuracy<" in head and "test_accuracy" not in head
    assert "0.912" in page and "&lt; 0.001" in page and "e-09" not in page
    ranged = tables.html(pd.DataFrame({"a": [1.0]}))
    assert "<th" not in ranged.split("<tbody>")[1]


def test_a_styler_keeps_its_formats_and_gets_worded_headers():
    style = pd.DataFrame({"mean_rank": [0.123456]}).style.format("{:.1f}")
    page = tables.html(style)
    assert "0.1<" in page and ">mean rank<" in page
