"""Which definition of difficulty? aucurriculum's scoring functions side by side, per sample.

Each definition (:data:`lib.profiles.DEFINITIONS`) scores every training sample once per run
it reads: a trained run (CumulativeAccuracy, CELoss, FirstIteration, PredictionDepth), a fold
of CVLoss, a seed of Random, the teacher of TransferTeacher. Those columns are joined on the
sample id, averaged and ranked (0 easiest, 1 hardest), never by row. Every definition is
aucurriculum's own function run through ``aucurriculum curriculum`` (:mod:`lib.toolkit` writes
the configs), except where the main runs already hold the numbers: CumulativeAccuracy is the
Difficulty chapter's ordering, and with in-training records CELoss and FirstIteration are read
from them (``tests/test_in_training.py`` checks on every smoke run that they equal
aucurriculum's).

Every definition's scores and cost (seconds on this machine, disk) are kept in
``results/<profile>/definitions/``; a definition whose settings are unchanged is read back,
not scored again.
"""
from __future__ import annotations

import functools
import itertools
import json
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import numpy as np
import pandas as pd

from lib import (cleanlab_baseline, detection, difficulty, groundtruth, paths, scoring, toolkit,
                 training)
from lib.datasets import data_fingerprint, layout_of
from lib.profiles import CONTROL_DEFINITION, DEFINITIONS
from lib import record
from lib.record import Definitions
from lib.significance import INTERVAL_LEVEL, Correlation, spearman
from lib.training import Ensemble, Run

if TYPE_CHECKING:
    import lib.teacher

#: Scores whose raw value is higher for an easier sample (aucurriculum reverses its two; the
#: others are :mod:`lib.hardness`'s area under the margin, Data Maps' confidence and Datalab's
#: outlier score).
HIGHER_IS_EASIER = frozenset({"CumulativeAccuracy", "TransferTeacher", "AUM",
                              "Data Maps confidence", "Datalab outlier"})
#: Definitions the in-training records give for every run without a forward pass.
RECORDED = ("CELoss", "FirstIteration")
#: The control: its scores are noise, so every figure shows where chance lies.
CONTROL = CONTROL_DEFINITION
#: Halvings of the runs behind each definition's split-half Spearman.
SPLITS = 20


class DefinitionError(ValueError):
    """A definition cannot be scored; one line naming the parameter, file or run."""


@dataclass(frozen=True)
class Plan:
    """What the Definitions chapter scores: the definitions, the architectures whose runs they
    read (the same runs for all), PredictionDepth's probe places, CVLoss's folds and epochs,
    TransferTeacher's teacher (an autrainer model config)."""
    definitions: tuple[str, ...]
    models: tuple[str, ...]
    probes: tuple[str, ...]
    cv_folds: int
    cv_epochs: int
    teacher: str = ""
    #: What the teacher's weights depend on, when it is pretrained here (a change rescores),
    #: and what making it cost (counted in TransferTeacher's).
    teacher_fingerprint: str = ""
    teacher_seconds: float = 0.0
    teacher_bytes: int = 0

    @classmethod
    def from_parameters(cls, values: Mapping[str, Any]) -> "Plan":
        """From checked parameters; one line naming the parameter when they do not fit. A
        teacher pretrained here (``TEACHER_WORDS``) is named by :meth:`with_teacher`."""
        plan = cls(tuple(values["DEFINITIONS"]), tuple(values["DEFINITION_MODELS"]),
                   tuple(values["PROBES"]), values["CV_FOLDS"], values["CV_EPOCHS"],
                   values["TEACHER"])
        unknown = [d for d in plan.definitions if d not in DEFINITIONS]
        if unknown:
            raise DefinitionError(f"DEFINITIONS: unknown definition {unknown[0]!r}; known: "
                                  f"{', '.join(DEFINITIONS)}")
        words = values.get("TEACHER_WORDS") or []
        if "TransferTeacher" in plan.definitions and not plan.teacher and not words:
            raise DefinitionError("TEACHER is empty, but DEFINITIONS names TransferTeacher: name "
                                  "the autrainer model config of a model pretrained elsewhere "
                                  "(the paper profile's: Cnn14-16k-T), or TEACHER_WORDS to "
                                  "pretrain one here")
        if plan.teacher and words:
            raise DefinitionError("TEACHER and TEACHER_WORDS both name a teacher: empty one")
        missing = [m for m in plan.models if m not in values["MODELS"]]
        if missing:
            raise DefinitionError(f"DEFINITION_MODELS: {missing[0]} is not one of MODELS "
                                  f"({', '.join(values['MODELS'])})")
        return plan

    def with_teacher(self, teacher: "lib.teacher.Teacher", taught: dict[str, Any]) -> "Plan":
        """The plan with a teacher pretrained here (``taught``: :func:`lib.teacher.pretrain`'s
        account of it)."""
        return replace(self, teacher=teacher.model_id, teacher_fingerprint=taught["fingerprint"],
                       teacher_seconds=taught["seconds"], teacher_bytes=taught["disk_bytes"])

    def runs(self, ensemble: Ensemble, dataset: str) -> list[Run]:
        """The runs every run-based definition reads on ``dataset``."""
        return [run for run in ensemble.runs_of(dataset) if run.model in self.models]


@dataclass(frozen=True)
class Scored:
    """One definition on one dataset: a column per run (or fold, seed, teacher) of raw
    scores indexed by sample id, where they came from and what they cost."""
    definition: str
    scores: pd.DataFrame
    source: str
    seconds: float
    disk_bytes: int

    @property
    def harder(self) -> pd.DataFrame:
        """The scores oriented higher = harder."""
        return -self.scores if self.definition in HIGHER_IS_EASIER else self.scores

    def ensemble(self) -> pd.Series:
        """Per sample, the mean over the runs that scored it, higher = harder."""
        return self.harder.mean(axis=1).rename(self.definition)


# --- Scoring --------------------------------------------------------------------------------

def _read_scores(files: dict[str, Path], id_column: str) -> pd.DataFrame:
    """aucurriculum's ``scores.csv`` files as one table: a column per key, a row per sample id
    (CVLoss's folds each score part of the samples and are put together on their ids)."""
    columns: dict[str, pd.Series] = {}
    for key, file in files.items():
        if not file.is_file():
            raise DefinitionError(f"{paths.relative(file)}: scores file missing")
        table = pd.read_csv(file)
        if id_column not in table or "scores" not in table:
            raise DefinitionError(f"{paths.relative(file)}: no {id_column}/scores columns")
        columns[key] = table.set_index(id_column)["scores"]
    if all(key.startswith("fold ") for key in columns):
        folds = pd.concat(columns.values())
        duplicated = folds.index[folds.index.duplicated()]
        if len(duplicated):
            raise DefinitionError(f"sample {duplicated[0]!r} is scored by two CVLoss folds")
        return folds.rename("folds").rename_axis("sample_id").to_frame()
    return pd.DataFrame(columns).rename_axis("sample_id")


def split_ids(profile: str, runs: list[Run], subset: str) -> pd.Index:
    """The sample ids of the scored split as the runs saw it, over all of them (in the DCASE
    layout each seed carves its own dev split out of train, so the runs' train splits differ):
    the only samples a definition may score, each once."""
    ids = [_split_ids(toolkit.runs_dir(profile) / run.name, run.dataset, subset) for run in runs]
    return functools.reduce(pd.Index.union, ids)


@functools.lru_cache(maxsize=16)
def _split_ids(run_dir: Path, dataset: str, subset: str) -> pd.Index:
    # Rebuilding the split instantiates autrainer's dataset: once per run folder and split.
    table = toolkit.run_split_table(run_dir, subset)
    return pd.Index(table[layout_of(dataset).index_column])


def _aucurriculum_settings(profile: str, ensemble: Ensemble, plan: Plan, definition: str,
                           dataset: str, runs: list[Run], stop: str, subset: str
                           ) -> dict[str, dict[str, Any]]:
    """Score id -> aucurriculum settings of one definition on one dataset. CVLoss reads its
    fold models at their best epoch whatever ``stop`` (they are models of its own, and only
    their best states are kept)."""
    key = toolkit.score_id(definition, dataset)
    names = [run.name for run in runs]
    if definition == "CELoss":
        return {key: toolkit.loss_settings(names, stop, subset)}
    if definition == "FirstIteration":
        return {key: toolkit.run_settings(names, stop, subset)}
    if definition == "PredictionDepth":
        samples = min(len(split_ids(profile, [run], subset)) for run in runs)
        return {key: toolkit.prediction_depth_settings({r.name: r.model for r in runs},
                                                      list(plan.probes), stop, subset, samples)}
    if definition == "CVLoss":
        model = plan.models[0]
        return {key: toolkit.cv_settings(
            dataset, model, plan.cv_folds, ensemble.seeds_of(model)[0],
            replace(ensemble.settings, epochs=plan.cv_epochs), subset)}
    if definition == "TransferTeacher":
        return {key: toolkit.teacher_settings(dataset, plan.teacher, subset)}
    if definition == CONTROL:
        return {f"{key}-{seed}": toolkit.random_settings(dataset, seed, subset)
                for seed in sorted({run.seed for run in runs})}
    raise DefinitionError(f"DEFINITIONS: unknown definition {definition!r}")


def _by_aucurriculum(profile: str, ensemble: Ensemble, plan: Plan, todo: list[tuple[str, str]],
                     runs: Mapping[str, list[Run]], stop: str, subset: str,
                     log: Callable[[str], None]
                     ) -> dict[tuple[str, str], tuple[pd.DataFrame, float, int]]:
    """The ``todo`` (dataset, definition) scores by aucurriculum, all in one ``aucurriculum
    curriculum`` command (one start-up for all), each with its seconds and the bytes its run
    folders keep.

    aucurriculum reuses any run folder with a ``scores.csv``, and some folder names leave out
    what the scores depend on (CVLoss's folds, the teacher's weights, the data), so these
    definitions' folders are emptied first: this is only called when their settings changed."""
    settings = {(d, n): _aucurriculum_settings(profile, ensemble, plan, n, d, runs[d], stop,
                                               subset) for d, n in todo}
    files = {item: {key: file for config in configs.values()
                    for key, file in toolkit.scored_files(profile, item[1], subset,
                                                          config).items()}
             for item, configs in settings.items()}
    folds = {d: toolkit.cv_fold_steps(plan.cv_folds, ensemble.settings.batch_size, subset,
                                      len(split_ids(profile, runs[d][:1], "train")),
                                      len(split_ids(profile, runs[d][:1], subset)))
             for d, n in todo if n == "CVLoss"}
    with toolkit.exclusive(profile):
        for file in (f for by_key in files.values() for f in by_key.values()):
            shutil.rmtree(file.parent, ignore_errors=True)
        if folds:
            toolkit.write_fold_scheduler(profile, ensemble.settings.scheduler, plan.cv_epochs,
                                         folds)
        seconds = toolkit.score_configs(
            profile, subset, {config_id: (n, config)
                              for (_, n), configs in settings.items()
                              for config_id, config in configs.items()},
            ensemble.settings.device, ensemble.settings.batch_size, launcher=ensemble.launcher,
            log=log)
    results = {}
    for dataset, definition in todo:
        item = dataset, definition
        if definition == "CVLoss":
            for folder in toolkit.fold_model_dirs(files[item]).values():
                toolkit.retain(folder, plan.cv_epochs, "scored")
        disk = sum(paths.folder_bytes(file.parent) for file in files[item].values())
        results[item] = (_read_scores(files[item], layout_of(dataset).index_column),
                         sum(seconds[config_id] for config_id in settings[item]), disk)
    return results


def _from_records(profile: str, ensemble: Ensemble, definition: str, runs: list[Run],
                  stop: str, subset: str) -> pd.DataFrame:
    compute = (difficulty.true_class_loss if definition == "CELoss"
               else difficulty.first_iteration)
    columns = {}
    for run in runs:
        last = scoring.stop_epoch(profile, run, stop, ensemble.settings.epochs)
        columns[run.name] = compute(
            scoring.run_records(profile, run, ensemble.settings.epochs, subset), last)
    return pd.DataFrame(columns).rename_axis("sample_id")


def _from_ordering(profile: str, dataset: str, runs: list[Run]) -> pd.DataFrame:
    ordering = scoring.read_ordering(profile, dataset).set_index("sample_id")
    columns = {run.name: f"score_{scoring.short_run(run)}" for run in runs}
    missing = [c for c in columns.values() if c not in ordering]
    if missing:
        raise DefinitionError(f"{paths.relative(paths.ordering_file(profile, dataset))}: no "
                              f"column {missing[0]}; run notebooks/02_difficulty again")
    return ordering[list(columns.values())].set_axis(list(columns), axis=1)


def source_of(definition: str, ensemble: Ensemble) -> str:
    """Who computes a definition: the Difficulty chapter, the records or aucurriculum."""
    if definition == "CumulativeAccuracy":
        return Definitions.FROM_DIFFICULTY
    if definition in RECORDED and ensemble.recorded is not None:
        return Definitions.FROM_RECORDS
    return Definitions.FROM_AUCURRICULUM


def _settings_key(profile: str, ensemble: Ensemble, plan: Plan, definition: str,
                  runs: list[Run], stop: str, subset: str) -> dict[str, Any]:
    """What a definition's scores depend on (the data, when each run finished training, the
    definition's own settings): kept beside them, compared before reuse."""
    key: dict[str, Any] = {
        "data": data_fingerprint(profile, runs[0].dataset),
        "runs": {run.name: (toolkit.runs_dir(profile) / run.name / toolkit.METRICS_FILE)
                 .stat().st_mtime_ns for run in runs},
        "stop": stop, "subset": subset, "source": source_of(definition, ensemble)}
    if definition == "PredictionDepth":
        key["probes"] = list(plan.probes)
    if definition == "CVLoss":
        key.update(folds=plan.cv_folds, epochs=plan.cv_epochs, model=plan.models[0])
    if definition == "TransferTeacher":
        key.update(teacher=plan.teacher, teacher_fingerprint=plan.teacher_fingerprint)
    return key


def _stored(file: Path, definition: str) -> tuple[Scored, dict[str, Any]] | None:
    """A kept table and its settings, or None where either file is missing."""
    cost_file = file.with_suffix(".json")
    if not (file.is_file() and cost_file.is_file()):
        return None
    cost = json.loads(cost_file.read_text())
    return Scored(definition, pd.read_csv(file, index_col="sample_id"), cost["source"],
                  cost["seconds"], cost["disk_bytes"]), cost["settings"]


def reused(file: Path, key: dict[str, Any], definition: str) -> Scored | None:
    """A kept score table whose settings equal ``key``, or None."""
    kept = _stored(file, definition)
    return kept[0] if kept is not None and kept[1] == key else None


def stored(profile: str, dataset: str, definition: str) -> Scored:
    """One definition's scores of a dataset as this chapter kept them (what later chapters
    train with); one line naming the file where it has not scored them."""
    file = paths.definition_file(profile, dataset, definition)
    kept = _stored(file, definition)
    if kept is None:
        raise DefinitionError(f"{paths.relative(file)}: no {definition} scores of {dataset}; "
                              f"run 02b_definitions with {definition} in DEFINITIONS")
    return kept[0]


def keep(file: Path, scored: Scored, key: dict[str, Any]) -> None:
    """The table, then its cost and settings, each atomically; only the second makes the
    first count as reusable."""
    file.parent.mkdir(parents=True, exist_ok=True)
    cost = {"settings": key, "source": scored.source, "seconds": scored.seconds,
            "disk_bytes": scored.disk_bytes}
    for target, write in ((file, lambda f: scored.scores.to_csv(f)),
                          (file.with_suffix(".json"),
                           lambda f: f.write_text(json.dumps(cost, indent=2)))):
        partial = target.with_name(target.name + ".partial")
        write(partial)
        partial.replace(target)


def score_all(profile: str, ensemble: Ensemble, plan: Plan, datasets: list[str], stop: str,
              subset: str, log: Callable[[str], None] = print,
              only: tuple[str, ...] | None = None) -> dict[str, dict[str, Scored]]:
    """Every definition of the plan (or ``only`` these) on each dataset, in the plan's order:
    read back where its settings are unchanged, the others computed (those by aucurriculum,
    of every dataset, in one command) and kept in ``results/<profile>/definitions/`` once
    all are done."""
    names = [d for d in plan.definitions if only is None or d in only]
    runs = {dataset: plan.runs(ensemble, dataset) for dataset in datasets}
    for dataset, of_dataset in runs.items():
        if not of_dataset:
            raise DefinitionError(f"DEFINITION_MODELS: no run of {', '.join(plan.models)} on "
                                  f"{dataset}")
        for run in of_dataset:
            training.check_run(profile, run, ensemble.settings.epochs, "scored", stop)
    items = [(dataset, name) for dataset in datasets for name in names]
    keys = {(d, n): _settings_key(profile, ensemble, plan, n, runs[d], stop, subset)
            for d, n in items}
    scored = {item: found for item in items
              if (found := reused(paths.definition_file(profile, *item), keys[item],
                                   item[1])) is not None}
    todo = [item for item in items if item not in scored]
    for dataset, definition in todo:
        reads = {"CVLoss": f"{plan.cv_folds} fold models of {plan.models[0]} trained for it",
                 "TransferTeacher": f"the teacher {plan.teacher}",
                 CONTROL: f"{len({run.seed for run in runs[dataset]})} seeds"}.get(
            definition, f"{len(runs[dataset])} runs of {', '.join(plan.models)}")
        log(f"{dataset}: {definition} from {keys[dataset, definition]['source']}, {reads}")
    computed: dict[tuple[str, str], tuple[pd.DataFrame, float, int]] = {}
    for dataset, definition in todo:
        started = time.perf_counter()
        source = keys[dataset, definition]["source"]
        if source == Definitions.FROM_DIFFICULTY:
            table = _from_ordering(profile, dataset, runs[dataset])
        elif source == Definitions.FROM_RECORDS:
            table = _from_records(profile, ensemble, definition, runs[dataset], stop, subset)
        else:
            continue
        computed[dataset, definition] = (table, time.perf_counter() - started, 0)
    by_aucurriculum = [item for item in todo if item not in computed]
    if by_aucurriculum:
        computed.update(_by_aucurriculum(profile, ensemble, plan, by_aucurriculum, runs, stop,
                                         subset, log))
    for dataset, definition in todo:
        table, seconds, disk = computed[dataset, definition]
        expected = split_ids(profile, runs[dataset], subset)
        strange = table.index[~table.index.isin(expected) | table.index.duplicated()]
        if len(strange):
            raise DefinitionError(
                f"{definition} scored sample {strange[0]!r} of {dataset}, which is not in the "
                f"runs' {subset} split or scored twice; see "
                f"{paths.relative(toolkit.scores_dir(profile, definition, subset))}")
        if definition == "TransferTeacher":
            seconds, disk = seconds + plan.teacher_seconds, disk + plan.teacher_bytes
        key = keys[dataset, definition]
        scored[dataset, definition] = Scored(definition, table, key["source"], seconds, disk)
        keep(paths.definition_file(profile, dataset, definition), scored[dataset, definition],
              key)
    return {dataset: {name: scored[dataset, name] for name in names} for dataset in datasets}


def out_of_fold_probabilities(profile: str, ensemble: Ensemble, plan: Plan, dataset: str,
                              stop: str, subset: str) -> pd.DataFrame:
    """The network's out-of-fold class probabilities (CVLoss's fold models, which
    :func:`score_all` must have trained), kept beside the CVLoss scores and read back while those
    are unchanged."""
    file = paths.fold_probabilities_file(profile, dataset)
    scores_file = paths.definition_file(profile, dataset, "CVLoss")
    if not scores_file.is_file():
        raise DefinitionError(f"{paths.relative(scores_file)} missing: the fold models come "
                              "with CVLoss, so DEFINITIONS must name it")
    if file.is_file() and file.stat().st_mtime >= scores_file.stat().st_mtime:
        return pd.read_csv(file, index_col="sample_id")
    settings = _aucurriculum_settings(profile, ensemble, plan, "CVLoss", dataset,
                                      plan.runs(ensemble, dataset), stop, subset)
    files = {key: found for config in settings.values()
             for key, found in toolkit.scored_files(profile, "CVLoss", subset, config).items()}
    table = cleanlab_baseline.fold_probabilities(profile, dataset,
                                                 toolkit.fold_model_dirs(files))
    partial = file.with_name(file.name + ".partial")
    table.to_csv(partial)
    partial.replace(file)
    return table


# --- Judging them ---------------------------------------------------------------------------

def ensemble_scores(scored: dict[str, Scored]) -> pd.DataFrame:
    """A column per definition: its mean score over runs, higher = harder, by sample id."""
    return pd.concat([s.ensemble() for s in scored.values()], axis=1)


def ranks(scores: pd.DataFrame) -> pd.DataFrame:
    """Each definition's normalised rank (0 easiest, 1 hardest; ties share theirs)."""
    return scores.apply(lambda column: difficulty.normalised_rank(column.dropna(),
                                                                  higher_is_easier=False))


def detection_table(scores: pd.DataFrame, truth: pd.DataFrame, draws: int = 1000,
                    level: float = INTERVAL_LEVEL) -> pd.DataFrame:
    """Per injected kind and definition: AUROC with its bootstrap interval, precision at the
    kind's count, and the share of the kind's samples in the hardest
    :data:`lib.difficulty.HARDEST_FRACTION` of all samples; the AUROC and precision judge each
    kind against the genuine samples only (a sample of another kind is neither found nor
    missed)."""
    rank_table = ranks(scores)
    rows = []
    for kind, column in groundtruth.present(truth).items():
        flagged = groundtruth.against_genuine(truth, column)
        if not flagged.any():
            continue
        table = detection.detection(scores.loc[scores.index.intersection(flagged.index)],
                                    flagged, draws, level)
        for row in table.itertuples():
            ordering = rank_table[row.score].dropna().rename("rank").rename_axis(
                "sample_id").reset_index()
            share = difficulty.hardest_share(ordering, flagged)
            rows.append({"kind": kind, "definition": row.score, "auroc": row.auroc,
                         "auroc_low": row.auroc_low, "auroc_high": row.auroc_high,
                         "in_hardest": share.in_hardest / max(share.flagged, 1),
                         "precision_at_k": row.precision_at_k, "flagged": share.flagged})
    return pd.DataFrame(rows)


def _pairwise_spearman(columns: pd.DataFrame) -> float:
    rhos = [rho for a, b in itertools.combinations(columns.columns, 2)
            if not np.isnan(rho := spearman(columns[a], columns[b]).rho)]
    return float(np.mean(rhos)) if rhos else float("nan")


def stability(scored: Scored, models: dict[str, str], seed: int = 0) -> dict[str, float]:
    """Run-to-run Spearman (mean over pairs of runs of the same architecture, as the
    follow-up's across-seeds figure) and split-half Spearman (the means of two disjoint halves
    of the runs, over up to :data:`SPLITS` halvings); NaN where there are too few runs."""
    table = scored.harder
    by_model: dict[str, list[str]] = {}
    for column in table.columns:
        by_model.setdefault(models.get(column, "one"), []).append(column)
    run_to_run = [_pairwise_spearman(table[columns]) for columns in by_model.values()
                  if len(columns) > 1]
    names = list(table.columns)
    half = len(names) // 2
    halves = []
    generator = np.random.default_rng(seed)
    seen: set[frozenset] = set()
    for _ in range(SPLITS * 5):
        if half == 0 or len(halves) == SPLITS:
            break
        first = tuple(sorted(generator.choice(names, size=half, replace=False)))
        second = tuple(sorted(set(names) - set(first)))[:half]
        if frozenset([first, second]) in seen:
            continue
        seen.add(frozenset([first, second]))
        halves.append(spearman(table[list(first)].mean(axis=1),
                               table[list(second)].mean(axis=1)).rho)
    return {Definitions.RUN_TO_RUN: float(np.mean(run_to_run)) if run_to_run else float("nan"),
            Definitions.SPLIT_HALF: float(np.mean(halves)) if halves else float("nan")}


def agreement(scores: pd.DataFrame) -> dict[tuple[str, str], Correlation]:
    """Spearman (with n and p) between every pair of definitions' ensemble scores."""
    return {(a, b): spearman(scores[a], scores[b])
            for a, b in itertools.combinations(scores.columns, 2)}


def agreement_matrix(pairs: dict[tuple[str, str], Correlation], names: list[str]
                     ) -> pd.DataFrame:
    """The pairs of :func:`agreement` as a symmetric matrix of rho (1 on the diagonal)."""
    matrix = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for (a, b), correlation in pairs.items():
        matrix.loc[a, b] = matrix.loc[b, a] = correlation.rho
    return matrix


def disagreements(scores: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The samples the definitions (the control left out) rank most differently: the spread
    (max - min) of their ranks, largest first, with every definition's rank."""
    rank_table = ranks(scores.drop(columns=[CONTROL], errors="ignore"))
    spread = (rank_table.max(axis=1) - rank_table.min(axis=1)).rename("spread")
    return rank_table.join(spread).sort_values("spread", ascending=False).head(top)


def cost_table(scored: dict[str, Scored]) -> pd.DataFrame:
    """Per definition: where it came from, minutes on this machine, disk (MB)."""
    return pd.DataFrame([{"definition": name, "source": s.source, "minutes": s.seconds / 60,
                          "disk_mb": s.disk_bytes / 1e6, "columns": s.scores.shape[1]}
                         for name, s in scored.items()]).set_index("definition")


#: The kind of hard sample "best" is judged on: flipped labels, which every dataset can carry
#: (the build flips a share of a user's own labels too).
BEST_AT = groundtruth.FLIPPED


def best(profile: str, dataset: str) -> str | None:
    """The definition this chapter found best at finding flipped labels on ``dataset``; None
    where the dataset has no ground truth."""
    entry = record.load(profile, Definitions.CHAPTER).get(dataset, {})
    found = entry.get(Definitions.BEST, {}).get(BEST_AT)
    return None if found is None else found[Definitions.DEFINITION]


def best_by_kind(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per injected kind, the definition with the highest AUROC (the control left out) and
    whether its interval clears the runner-up's AUROC (the ranking beyond the intervals)."""
    best = {}
    judged = table["definition"].isin(DEFINITIONS) & (table["definition"] != CONTROL)
    for kind, rows in table[judged].groupby("kind", sort=False):
        ordered = rows.sort_values("auroc", ascending=False)
        first = ordered.iloc[0]
        second = ordered.iloc[1] if len(ordered) > 1 else None
        best[kind] = {Definitions.DEFINITION: first["definition"],
                      Definitions.AUROC: float(first["auroc"]),
                      Definitions.AUROC_INTERVAL: [float(first["auroc_low"]),
                                                   float(first["auroc_high"])],
                      Definitions.RUNNER_UP: None if second is None else second["definition"],
                      Definitions.RUNNER_UP_AUROC: None if second is None
                      else float(second["auroc"]),
                      Definitions.BEYOND_INTERVALS: bool(
                          second is not None and first["auroc_low"] > second["auroc_high"])}
    return best


@dataclass
class Compared:
    """Every definition on one dataset's runs, as the Definitions chapter sets them side by
    side; without ground truth, ``detection`` and ``cleanlab_flagged`` stay None."""
    #: Definition -> its scores and cost (:func:`score_all`).
    scored: dict[str, Scored]
    #: Pairs of definitions -> their Spearman (:func:`agreement`).
    agreement: dict[tuple[str, str], Correlation]
    #: Definition -> run-to-run and split-half Spearman (:func:`stability`).
    stability: dict[str, dict[str, float]]
    #: Each definition and cleanlab source against each injected kind (:func:`detection_table`).
    detection: pd.DataFrame | None = None
    #: cleanlab's source -> samples it flags as label issues.
    cleanlab_flagged: dict[str, int] | None = None


def key_numbers(datasets: dict[str, Compared],
                teacher: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Definitions chapter's record (:class:`lib.record.Definitions`) per dataset;
    ``teacher``: what a teacher pretrained here reached (:func:`lib.teacher.pretrain`)."""
    numbers: dict[str, Any] = {}
    for dataset, compared in datasets.items():
        scored, pairs = compared.scored, compared.agreement
        judged = [rho.rho for (a, b), rho in pairs.items()
                  if CONTROL not in (a, b) and not np.isnan(rho.rho)]
        entry: dict[str, Any] = {
            Definitions.SAMPLES: int(ensemble_scores(scored).dropna(how="all").shape[0]),
            Definitions.COLUMNS: {name: int(s.scores.shape[1]) for name, s in scored.items()},
            Definitions.COST: {name: {Definitions.SOURCE: s.source,
                                      Definitions.MINUTES: round(s.seconds / 60, 3),
                                      Definitions.DISK_MB: round(s.disk_bytes / 1e6, 1)}
                               for name, s in scored.items()},
            Definitions.STABILITY: {name: {k: None if np.isnan(v) else round(v, 4)
                                           for k, v in values.items()}
                                    for name, values in compared.stability.items()},
            Definitions.AGREEMENT: {f"{a} vs {b}": c.as_record() for (a, b), c in pairs.items()},
            Definitions.MEAN_AGREEMENT: round(float(np.mean(judged)), 4) if judged else None,
        }
        if compared.cleanlab_flagged:
            entry[Definitions.CLEANLAB_FLAGGED] = compared.cleanlab_flagged
        if teacher is not None and "TransferTeacher" in scored:
            entry[Definitions.TEACHER] = teacher
        table = compared.detection
        if table is not None and not table.empty:
            entry[Definitions.HARDEST_FRACTION] = difficulty.HARDEST_FRACTION
            entry[Definitions.DETECTION] = {
                kind: {row["definition"]: {
                    Definitions.AUROC: round(float(row["auroc"]), 4),
                    Definitions.AUROC_INTERVAL: [round(float(row["auroc_low"]), 4),
                                                 round(float(row["auroc_high"]), 4)],
                    Definitions.IN_HARDEST: round(float(row["in_hardest"]), 4)}
                    for _, row in rows.iterrows()}
                for kind, rows in table.groupby("kind", sort=False)}
            entry[Definitions.BEST] = best_by_kind(table)
        numbers[dataset] = entry
    return numbers


def stability_table(stabilities: dict[str, dict[str, float]]) -> pd.DataFrame:
    """:func:`stability` of every definition as a table (``run_to_run``, ``split_half``)."""
    return pd.DataFrame(stabilities).T.rename(columns={Definitions.RUN_TO_RUN: "run_to_run",
                                                       Definitions.SPLIT_HALF: "split_half"})


def at_a_glance(detection_rows: pd.DataFrame | None, stabilities: pd.DataFrame,
                costs: pd.DataFrame) -> pd.DataFrame:
    """The chapter's one table, a row per definition (then cleanlab's sources): per injected
    kind the AUROC with its interval and the share in the hardest
    :data:`lib.difficulty.HARDEST_FRACTION`, then stability and minutes, as text."""
    table = pd.DataFrame(index=costs.index)
    if detection_rows is not None:
        for kind, rows in detection_rows.groupby("kind", sort=False):
            rows = rows.set_index("definition")
            table = table.reindex(table.index.union(rows.index, sort=False))
            table[f"AUROC {kind} [90 %]"] = [
                f"{r.auroc:.3f} [{r.auroc_low:.2f}, {r.auroc_high:.2f}]"
                for r in rows.reindex(table.index).itertuples()]
            table[f"{kind} in hardest {difficulty.HARDEST_FRACTION:.0%}"] = \
                rows.reindex(table.index)["in_hardest"].map("{:.0%}".format)
    for column, label in (("run_to_run", "run to run"), ("split_half", "split halves")):
        table[f"Spearman {label}"] = stabilities.reindex(table.index)[column].map(
            lambda v: "—" if pd.isna(v) else f"{v:.2f}")
    table["minutes"] = costs.reindex(table.index)["minutes"].map(
        lambda v: "—" if pd.isna(v) else f"{v:.1f}")
    return table.replace({"nan [nan, nan]": "—", "nan%": "—"})
