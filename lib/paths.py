"""The one place that knows where everything lives.

Raw third-party inputs go to ``data/external``, generated or downloaded datasets to
``data/<profile>/<dataset>``, and everything a profile computes to ``results/<profile>``.
All of it is outside git; deleting ``data/`` and ``results/`` resets the project. On a
cluster, ``COMPENDIUM_RESULTS`` moves ``results/`` elsewhere (a scratch file system, say).

Every folder and file of the project's own is named here. Inside the toolkit folder
(:func:`toolkit_dir`), autrainer and aucurriculum lay out their runs, scores and features by
their own conventions; :mod:`lib.toolkit` alone knows those, and :mod:`lib.callbacks` the
in-training records it adds to a run folder.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "lib"
NOTEBOOKS = ROOT / "notebooks"
PROFILES = NOTEBOOKS / "profiles"
BOOK = ROOT / "book"
DATA = ROOT / "data"
EXTERNAL = DATA / "external"
#: Numbers transcribed from the paper's published results (in git, with their source).
PUBLISHED = DATA / "published"
RESULTS = Path(os.environ.get("COMPENDIUM_RESULTS") or ROOT / "results").resolve()
#: A chapter notebook's file name: a two-digit number, an optional letter for a chapter set
#: between two numbered ones (``02b_definitions``), then ``_``. Sorted, they run in order.
CHAPTER_GLOB = "[0-9][0-9]*_*.ipynb"
CHAPTER_PATTERN = r"\d\d[a-z]?_[^/]+"


def chapter_notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    """The chapter notebooks of ``folder`` in the order they run (and the book shows them)."""
    return sorted(folder.glob(CHAPTER_GLOB))


#: Where the book build finds the executed notebooks (copied there from a profile's results).
BOOK_EXECUTED = BOOK / "executed"
#: The book's table of contents (lib.book stages a copy without the pages a profile lacks).
TOC = ROOT / "_toc.yml"
#: The book's Jupyter Book configuration; its ``repository`` block is where the book links to.
BOOK_CONFIG = ROOT / "_config.yml"
#: How to cite the compendium (Citation File Format); names the same repository.
CITATION = ROOT / "CITATION.cff"
#: Figures the benchmarks publish for the book's *Measured* page (``benchmarks/publish.py``).
MEASURED = BOOK / "measured"
#: Offline copies of MathJax, require.js and the widget manager (built by ``make vendor``).
BOOK_VENDOR_STATIC = BOOK / "_vendor" / "static"


def profile_file(profile: str) -> Path:
    return PROFILES / f"{profile}.yaml"


def sweep_profile(profile: str, flip_fraction: float) -> str:
    """The profile name of one point of the label-noise sweep, nested in its parent's folders
    (``data/<profile>/sweep/flip10/``, ``results/<profile>/sweep/flip10/``)."""
    return f"{profile}/sweep/flip{round(flip_fraction * 100):02d}"


def curriculum_profile(profile: str) -> str:
    """The profile of the curriculum runs: the parent's datasets, linked, and runs of its own
    (``data/<profile>/curricula/``, ``results/<profile>/curricula/``)."""
    return f"{profile}/curricula"


def presented_ordering_file(profile: str, dataset: str, ordering: str) -> Path:
    """An ordering as aucurriculum's Predefined scores read it: a row per training sample in
    the dataset's own row order (``profile`` is the curriculum profile)."""
    return results_dir(profile) / "orderings" / f"{dataset}_{ordering}.csv"


def teacher_profile(profile: str) -> str:
    """The profile of TransferTeacher's pretrained teacher: its own keyword set and run
    (``data/<profile>/teacher/``, ``results/<profile>/teacher/``)."""
    return f"{profile}/teacher"


def points_profile(profile: str) -> str:
    """Where the runs of a profile's pruning and label-noise points train together, in one
    sweep, before each moves to its point's folder (``results/<profile>/points/``)."""
    return f"{profile}/points"


def prune_profile(profile: str, rule: str, fraction: float) -> str:
    """The profile name of one pruning point, nested in its parent's folders
    (``data/<profile>/prune/hardest10/``, ``results/<profile>/prune/hardest10/``; the oracle,
    whose removals do not depend on a share, ``.../prune/oracle/``)."""
    return f"{profile}/prune/{rule}" + ("" if rule == "oracle" else f"{round(fraction * 100):02d}")


def data_dir(profile: str) -> Path:
    """A profile's datasets (and its nested profiles'), one folder each."""
    return DATA / profile


def dataset_dir(profile: str, dataset: str) -> Path:
    """Root of one dataset as autrainer reads it (``train.csv``..., audio under ``default/``)."""
    return data_dir(profile) / dataset


def results_dir(profile: str) -> Path:
    return RESULTS / profile


#: Set by the notebook runner for the kernel of each notebook it executes (its stem): the
#: command ledger records which notebook started each command, also when several run at once.
NOTEBOOK_ENV = "COMPENDIUM_NOTEBOOK"


def command_ledger(folder: Path) -> Path | None:
    """The ledger of toolkit commands (one JSON line each: tool, arguments, start, seconds) of
    the top-level profile whose results hold ``folder``, a nested profile's included
    (``results/<profile>/timing/commands.jsonl``); None outside ``results/``. The build
    benchmark (``benchmarks/build_report.py``) splits each notebook's time with it."""
    try:
        top = Path(folder).resolve().relative_to(RESULTS).parts[0]
    except (ValueError, IndexError):
        return None
    return RESULTS / top / "timing" / "commands.jsonl"


def toolkit_dir(profile: str) -> Path:
    """Where the toolkits run for a profile: ``conf/`` in, ``results/`` out, ``logs/``."""
    return results_dir(profile) / "autrainer"


def record_file(profile: str, chapter: str) -> Path:
    """A chapter's key numbers (:mod:`lib.record`)."""
    return results_dir(profile) / chapter / "summary.json"


def training_dir(profile: str) -> Path:
    """Training overview tables and learning curves of a profile's ensemble (autrainer's own
    run folders are :func:`lib.toolkit.runs_dir`)."""
    return results_dir(profile) / "training"


def runs_table(profile: str) -> Path:
    """A row per run of the ensemble: its metrics, best epoch and training time."""
    return training_dir(profile) / "runs.csv"


def learning_curves_table(profile: str) -> Path:
    """A row per run and epoch: losses and accuracies."""
    return training_dir(profile) / "learning_curves.csv"


def difficulty_dir(profile: str) -> Path:
    """One difficulty ordering per dataset, and the scores behind it."""
    return results_dir(profile) / "difficulty"


def ordering_file(profile: str, dataset: str) -> Path:
    """A dataset's difficulty ordering: a row per sample, its score and rank."""
    return difficulty_dir(profile) / f"{dataset}_ordering.csv"


def definitions_dir(profile: str) -> Path:
    """Every definition of difficulty's per-run scores, one table per dataset and definition."""
    return results_dir(profile) / "definitions"


def definition_file(profile: str, dataset: str, definition: str) -> Path:
    """One definition's scores of a dataset's training samples: a column per run (or fold
    seed, random seed, teacher), a row per sample id; its cost sits beside it (``.json``)."""
    return definitions_dir(profile) / f"{dataset}_{definition}.csv"


def hardness_file(profile: str, dataset: str, score: str) -> Path:
    """One of the field's other hardness scores (:mod:`lib.hardness`) of a dataset's training
    samples: a column per run, a row per sample id; its cost sits beside it (``.json``)."""
    return results_dir(profile) / "hardness" / f"{dataset}_{score.replace(' ', '_')}.csv"


def duplicates_file(profile: str, dataset: str) -> Path:
    """Every near-duplicate pair the checks of :mod:`lib.duplicates` found in a dataset, with
    its splits and the checks that found it."""
    return results_dir(profile) / "hardness" / f"{dataset}_near_duplicates.csv"


def fold_probabilities_file(profile: str, dataset: str) -> Path:
    """The network's out-of-fold class probabilities of every training sample (CVLoss's fold
    models), what the fair cleanlab baseline reads."""
    return definitions_dir(profile) / f"{dataset}_fold_probabilities.csv"


def dynamics_file(profile: str, dataset: str) -> Path:
    """A dataset's training dynamics: a row per sample and run."""
    return difficulty_dir(profile) / f"{dataset}_dynamics.csv"


#: In a dataset's :func:`selection_dir`: a row per selected sample, and a row per sample and
#: explaining run; beside them a folder per sample with its audio, spectrogram and Grad-CAMs.
SELECTION_TABLE = "selection.csv"
EXPLANATIONS_TABLE = "explanations.csv"


def selection_dir(profile: str, dataset: str) -> Path:
    """A dataset's selected samples (:data:`SELECTION_TABLE`, :data:`EXPLANATIONS_TABLE`)."""
    return results_dir(profile) / "selection" / dataset


def review_file(profile: str, dataset: str) -> Path:
    """The clips to review of a dataset, hardest first (``lib.review``; its columns in the
    ``.md`` beside it)."""
    return results_dir(profile) / "review" / f"{dataset}.csv"


def predictions_file(profile: str, run: str, subset: str) -> Path:
    """One run's best checkpoint's predictions on one split."""
    return results_dir(profile) / "classes" / "predictions" / f"{run}_{subset}.csv"


def probabilities_file(profile: str, run: str, subset: str) -> Path:
    """One run's best checkpoint's class probabilities on one split (calibration)."""
    return results_dir(profile) / "inference" / "probabilities" / f"{run}_{subset}.csv"


def inference_examples_dir(profile: str) -> Path:
    """The example files the inference chapter writes and classifies."""
    return DATA / profile / "inference_examples"


def real_speech_dir(profile: str) -> Path:
    """Real human recordings of some of the keywords, out of domain."""
    return DATA / profile / "real_speech"


def out_of_vocabulary_dir(profile: str) -> Path:
    """Real human recordings of words outside the vocabulary (the letters), out of domain."""
    return DATA / profile / "out_of_vocabulary"


def inference_output_dir(profile: str, run: str, batch: str = "examples") -> Path:
    """Where one batch of inputs (``examples``, ``real_speech``) classified by a run goes."""
    return results_dir(profile) / "inference" / batch / run


def write_atomically(file: Path, write: Callable[[Path], Any]) -> None:
    """``write`` a side file of this process (two processes may cache the same table), then
    move it to ``file``: a reader sees the old file or the whole new one."""
    partial = file.with_name(f".{file.name}.{os.getpid()}.partial")
    write(partial)
    partial.replace(file)


def inference_staging_dir(profile: str, run: str) -> Path:
    """Where the good files of one ``autrainer inference`` call wait, a subfolder per batch
    (removed when the call has finished)."""
    return results_dir(profile) / "inference" / "_staging" / run


def executed_notebooks_dir(profile: str) -> Path:
    return results_dir(profile) / "notebooks"


def book_html_dir(profile: str) -> Path:
    return results_dir(profile) / "_build" / "html"


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under ``folder`` (0 when it is not there)."""
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def relative(path: Path) -> str:
    """A path as the user typed it from the repository root, for messages."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
