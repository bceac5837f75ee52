"""How a table reaches the page: worded headers, no pandas index, p-values as bounds."""
import pandas as pd

from lib import page
from lib.groundtruth import FLIPPED, FLIPPED_COLUMN


def test_headers_are_worded_with_their_units():
    assert page.header("test_uar") == "test UAR"
    assert page.header("disk_mb") == "disk (MB)"
    assert page.header("seconds_per_epoch") == "seconds per epoch"
    assert page.header("sample_id") == "sample"
    assert page.header(FLIPPED_COLUMN) == FLIPPED
    assert page.header("already worded") == "already worded"


def test_p_values_are_bounds_or_three_decimals():
    assert page.p_text(6.4e-301) == "< 0.001"
    assert page.p_text(0.0) == "< 0.001"
    assert page.p_text(0.0427) == "0.04"
    assert page.p_text(0.0042) == "0.004"
    assert page.p_text(float("nan")) == ""


def test_a_frame_loses_its_index_and_keeps_a_meaningful_one_as_a_column():
    frame = pd.DataFrame({"test_accuracy": [0.91234, 0.5], "p": [1e-9, 0.2]},
                         index=pd.Index(["yes", "no"], name="class"))
    shown = page.html(frame)
    assert shown.startswith(page.BOX)
    assert "<th" not in shown.split("<tbody>")[1]  # no index cells in the body
    head = shown.split("<tbody>")[0]
    assert ">class<" in head and ">test accuracy<" in head and "test_accuracy" not in head
    assert "0.912" in shown and "&lt; 0.001" in shown and "e-09" not in shown
    ranged = page.html(pd.DataFrame({"a": [1.0]}))
    assert "<th" not in ranged.split("<tbody>")[1]


def test_a_styler_keeps_its_formats_and_gets_worded_headers():
    style = pd.DataFrame({"mean_rank": [0.123456]}).style.format("{:.1f}")
    shown = page.html(style)
    assert "0.1<" in shown and ">mean rank<" in shown


def test_a_figure_is_described_by_its_titles_and_axes():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, ax = plt.subplots()
    ax.set_title("AUROC per kind")
    ax.set_xlabel("kind")
    ax.set_ylabel("AUROC")
    assert page.describe(figure) == "Figure: AUROC per kind; x: kind; y: AUROC"
    plt.close(figure)


def test_row_numbers_left_by_sorting_are_dropped_not_shown():
    frame = pd.DataFrame({"score": [0.2, 0.9, 0.5]}).sort_values("score")
    shown = page.html(frame)
    assert "<th" not in shown.split("<tbody>")[1]
    assert shown.split("<tbody>")[0].count("<th ") == 1  # the score column alone
