"""How the book words a result: each claim sized to its evidence, by these rules and nowhere else.

A correlation or a difference is an effect only when its p or its interval says so, a count of
comparisons counts only those whose intervals separate, an AUROC is read against chance by its
interval, and a model has learned only well above chance. Every sentence the book generates
about a result (the chapter openings, the abstract, the discussion, and the few sentences the
chapters' modules write: :func:`lib.validation.modes_finding`, :func:`lib.detection.verdict`,
:mod:`lib.summary`) takes its verdict from here; the small wording helpers they share live
here too.
"""
from __future__ import annotations


from lib.datasets import layout_of
from lib.groundtruth import FLIPPED
from lib.record import CUMULATIVE_ACCURACY


#: The detection score the book leads with (the paper's).
LEAD_SCORE = CUMULATIVE_ACCURACY
#: A model has learned when its test accuracy reaches this and three times chance.
LEARNED_ACCURACY = 0.8
#: The learned-regime targets a build on the study's datasets is held to (book/design.md)
#: that the Training chapter relies on: test accuracy per model, and the share of genuine
#: training clips right at the best checkpoint.
TARGET_TEST_ACCURACY = 0.85
TARGET_GENUINE_TRAIN = 0.95
#: The opening of the "Read this first" box (MyST: a titled admonition in the important style).
def has_learned(accuracy: float, chance: float) -> bool:
    """Whether a test accuracy is in the regime the method is meant for (:data:`LEARNED_ACCURACY`
    and three times chance)."""
    return accuracy >= max(LEARNED_ACCURACY, 3 * chance)


# --- Claims sized to their evidence ----------------------------------------------------------
# The wording of a result follows its evidence, by these rules and nowhere else: a correlation
# or a difference is an effect only when its p or its interval says so, and a count of
# comparisons counts only those whose intervals separate.

#: A two-sided p below this makes a correlation an effect.
SIGNIFICANT_AT = 0.05


def same_sign(ours: float, theirs: float) -> bool:
    """Whether two estimates point the same way (a zero, or an undefined one, points nowhere)."""
    return ours * theirs > 0


def is_effect(p: float | None = None, interval: tuple[float, float] | None = None,
              null: float = 0.0) -> bool:
    """Whether an estimate may be called an effect: its p below :data:`SIGNIFICANT_AT`, or
    its interval clear of the ``null`` value (0 for a difference, 0.5 for an AUROC). An
    undefined p or interval is no effect."""
    if p is not None:
        return p == p and p < SIGNIFICANT_AT
    return interval is not None and separation(interval, (null, null)) != 0


def correlation_claim(rho: float, n: int, p: float, paper_rho: float | None, effect: str,
                      opposite: str) -> str:
    """A correlation in words: ``effect`` (the paper's reading) where p makes it an effect
    with the paper's sign, ``opposite`` where it is an effect of the other sign; otherwise
    only its sign against the paper's, "not significant at n = 6"."""
    if rho != rho:
        return f"undefined at n = {n} (a constant column)"
    same = paper_rho is None or (rho < 0) == (paper_rho < 0)
    if is_effect(p=p):
        return effect if same else opposite
    if paper_rho is None:
        return f"not significant at n = {n}"
    return (f"the same sign as the paper's, not significant at n = {n}" if same
            else f"the opposite sign to the paper's, not significant at n = {n}")


def separation(a: tuple[float, float], b: tuple[float, float]) -> int:
    """+1 where interval ``a`` lies wholly above ``b``, -1 wholly below, 0 where they
    overlap (or either is undefined): only then is one estimate larger than the other."""
    if a[0] > b[1]:
        return 1
    if a[1] < b[0]:
        return -1
    return 0


def count_claim(pairs: list[tuple[tuple[float, float], tuple[float, float]]], first: str,
                second: str, what: str) -> str:
    """How often ``first`` beats ``second`` (each pair: their intervals), counting only the
    pairs whose intervals separate: "eval mode finds the injected samples better in 2 of 8
    comparisons and worse in 1; in the other 5 the intervals overlap"."""
    signs = [separation(a, b) for a, b in pairs]
    better, worse, total = signs.count(1), signs.count(-1), len(signs)
    if not total:
        return ""
    if not better and not worse:
        return (f"In none of the {total} comparisons do the intervals of {first} and {second} "
                f"separate: at this size neither {what} better.")
    overlap = total - better - worse
    return (f"{first[0].upper()}{first[1:]} {what} better in {better} of {total} comparisons and "
            f"worse in {worse}" + (f"; in the other {overlap} the intervals overlap."
                                   if overlap else "."))


def has_paper(dataset: str) -> bool:
    """Whether the paper studied the dataset or one it stands in for (a user's own: no)."""
    return layout_of(dataset).paper_dataset is not None


def named_dataset(dataset: str) -> str:
    paper = layout_of(dataset).paper_dataset
    return f"**{dataset}**" + ("" if paper in (None, dataset) else f" (stand-in for {paper})")


def listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def share_text(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def interval_text(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


def hyphenated(kind: str) -> str:
    return kind.replace(FLIPPED, "flipped-label")


#: What :func:`detected`'s verdicts say of a kind of injected clip.
DETECTED_WORDS = {1: "found", 0: "not told apart from the others",
             -1: "ranked easier than the others (inverted)"}


def detected(interval: tuple[float, float]) -> int:
    """An AUROC interval read against chance (0.5): +1 the kind is found, -1 it is ranked
    easier than the rest, 0 not told apart (:func:`separation` against the point 0.5)."""
    return separation(interval, (0.5, 0.5))


