"""The field's other hardness scores, beside aucurriculum's definitions, from the runs trained.

Most need no extra pass: autrainer keeps every epoch's training outputs (logits, targets and
positions, train mode, the weights moving within the epoch: exactly what these scores were
defined on), so for every run

- **AUM**, area under the margin (Pleiss et al. 2020): the given class's logit minus the
  largest other logit, averaged over the epochs (low: mislabelled);
- **EL2N** (Paul et al. 2021): the norm of softmax minus one-hot at :func:`early_epoch`;
- **forgetting events** (Toneva et al. 2019): right-to-wrong flips between epochs, a sample
  never learned counting more than any flipping one;
- **Data Maps** (Swayamdipta et al. 2020): the mean (confidence) and spread (variability) of
  the given class's probability over epochs, and the regions they span.

Three need a pass over the training split with kept model states:

- **GraNd** (Paul et al. 2021) at :func:`early_epoch`, on the output layer: the norm of the
  loss gradient of its weights and bias, (p - y) times [h, 1] for the embedding h;
- **VoG**, variance of gradients (Agarwal et al. 2022): the variance over up to
  :data:`VOG_CHECKPOINTS` epochs' states, spread over training to the last, of the given
  class's logit gradient with respect to the log-mel input, averaged over its pixels and
  standardised within each class;
- **Datalab outlier** (cleanlab): Datalab's outlier check on the best state's embeddings.

GraNd and VoG read every epoch's state, which only runs trained to keep them have
(:meth:`lib.training.Ensemble.keeps_every_epoch`). Each score's table and cost are kept in
``results/<profile>/hardness/`` beside the settings they depend on, and read back while these
are unchanged.
"""
from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lib import definitions, paths, toolkit, training
from lib.datasets import data_fingerprint, layout_of
from lib.definitions import Scored
from lib.training import Ensemble, Run

AUM, EL2N, GRAND, FORGETTING = "AUM", "EL2N", "GraNd", "forgetting events"
CONFIDENCE, VARIABILITY = "Data Maps confidence", "Data Maps variability"
VOG, OUTLIER = "VoG", "Datalab outlier"
#: Every score, in the order tables show them.
SCORES = (AUM, EL2N, GRAND, FORGETTING, CONFIDENCE, VARIABILITY, VOG, OUTLIER)
#: The scores computed from autrainer's saved training outputs, at no extra pass.
FROM_OUTPUTS = (AUM, EL2N, FORGETTING, CONFIDENCE, VARIABILITY)
#: Where each score comes from (the cost table's ``source``).
SOURCE = {**{score: "training outputs" for score in FROM_OUTPUTS},
          GRAND: "a pass at the early epoch's state", VOG: "a pass at each of a few epochs' states",
          OUTLIER: "a pass at the best state"}
#: EL2N and GraNd are read this share of the way into training (Paul et al. read them at
#: about a tenth of 200 epochs; a short run learns most of what it learns in its first epochs).
EARLY_SHARE = 0.25
#: VoG reads this many epochs' states at most, evenly spread to the last (Agarwal et al.
#: compare a few checkpoints across training; each costs a backward pass over the split).
VOG_CHECKPOINTS = 3
#: Data Maps' regions: a third of the samples each, by the thirds of Swayamdipta et al.
EASY, AMBIGUOUS, HARD = "easy-to-learn", "ambiguous", "hard-to-learn"
REGIONS = (EASY, AMBIGUOUS, HARD)


class HardnessError(ValueError):
    """A score cannot be computed; one line naming the run or file."""


def early_epoch(epochs: int) -> int:
    """The epoch EL2N and GraNd are read at: :data:`EARLY_SHARE` of ``epochs``, at least 1."""
    return max(1, math.ceil(EARLY_SHARE * epochs))


@dataclass(frozen=True)
class EpochLogits:
    """One epoch's training outputs: per sample its id, logits and given class."""
    epoch: int
    sample_id: np.ndarray
    logits: np.ndarray
    target: np.ndarray

    def probabilities(self) -> np.ndarray:
        shifted = self.logits - self.logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        return exp / exp.sum(axis=1, keepdims=True)


def training_logits(profile: str, run: Run, epochs: int) -> list[EpochLogits]:
    """A run's saved training outputs of every epoch, each sample named by its id; one line
    when an epoch's files are missing."""
    folder = training.run_dir(profile, run)
    ids = toolkit.run_split_table(folder, "train")[layout_of(run.dataset).index_column].to_numpy()
    outputs = []
    for epoch in range(1, epochs + 1):
        files = toolkit.epoch_outputs_files(folder, epoch)
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise HardnessError(f"{paths.relative(folder)}: epoch {epoch} outputs missing "
                                f"({', '.join(missing)})")
        logits, targets, positions = (np.load(f) for f in files)
        outputs.append(EpochLogits(epoch, ids[positions], logits.astype(np.float64),
                                   targets.astype(int)))
    return outputs


def _by_id(values: np.ndarray, outputs: EpochLogits) -> pd.Series:
    series = pd.Series(values, index=pd.Index(outputs.sample_id, name="sample_id"))
    return series.groupby(level=0).mean()  # a sample seen twice in an epoch: its mean


def margins(outputs: EpochLogits) -> pd.Series:
    """The given class's logit minus the largest other logit, per sample id."""
    rows = np.arange(len(outputs.target))
    given = outputs.logits[rows, outputs.target]
    others = outputs.logits.copy()
    others[rows, outputs.target] = -np.inf
    return _by_id(given - others.max(axis=1), outputs)


def aum(epochs: list[EpochLogits]) -> pd.Series:
    """Area under the margin: the mean margin over epochs (higher = easier)."""
    return pd.concat([margins(o) for o in epochs], axis=1).mean(axis=1)


def el2n(epochs: list[EpochLogits], epoch: int) -> pd.Series:
    """The L2 norm of softmax minus one-hot at ``epoch`` (higher = harder)."""
    outputs = _epoch(epochs, epoch)
    error = outputs.probabilities()
    error[np.arange(len(outputs.target)), outputs.target] -= 1
    return _by_id(np.linalg.norm(error, axis=1), outputs)


def _epoch(epochs: list[EpochLogits], epoch: int) -> EpochLogits:
    found = [o for o in epochs if o.epoch == epoch]
    if not found:
        raise HardnessError(f"no training outputs of epoch {epoch}")
    return found[0]


def _correct(epochs: list[EpochLogits]) -> pd.DataFrame:
    return pd.concat([_by_id((o.logits.argmax(axis=1) == o.target).astype(float), o)
                      .rename(o.epoch) for o in sorted(epochs, key=lambda o: o.epoch)], axis=1)


def forgetting(epochs: list[EpochLogits]) -> pd.Series:
    """Forgetting events: right at one epoch, wrong at the next; a sample never right gets one
    more than the most any sample can have (Toneva et al. rank those hardest)."""
    correct = _correct(epochs) >= 0.5
    events = (correct.shift(1, axis=1, fill_value=False) & ~correct).sum(axis=1)
    never = ~correct.any(axis=1)
    return events.where(~never, len(epochs) // 2 + 1).astype(float)


def data_map(epochs: list[EpochLogits]) -> pd.DataFrame:
    """Per sample id: ``confidence`` and ``variability``, the mean and standard deviation of
    the given class's probability over epochs."""
    probability = pd.concat(
        [_by_id(o.probabilities()[np.arange(len(o.target)), o.target], o) for o in epochs],
        axis=1)
    return pd.DataFrame({"confidence": probability.mean(axis=1),
                         "variability": probability.std(axis=1, ddof=0)})


def regions(mapped: pd.DataFrame) -> pd.Series:
    """Each sample's Data Maps region: the most variable third ambiguous, then of the rest the
    confident half easy-to-learn and the other hard-to-learn."""
    ambiguous = mapped["variability"].rank(method="first", ascending=False) \
        <= math.ceil(len(mapped) / 3)
    rest = mapped.loc[~ambiguous, "confidence"]
    easy = rest.rank(method="first", ascending=False) <= math.ceil(len(rest) / 2)
    region = pd.Series(HARD, index=mapped.index, name="region")
    region[ambiguous] = AMBIGUOUS
    region[easy[easy].index] = EASY
    return region


def grand_output_layer(probabilities: np.ndarray, targets: np.ndarray,
                       embeddings: np.ndarray) -> np.ndarray:
    """GraNd on the output layer: the loss gradient of its weights is (p - y) h^T and of its
    bias p - y, so the norm is ||p - y|| * sqrt(||h||^2 + 1)."""
    error = probabilities.copy()
    error[np.arange(len(targets)), targets] -= 1
    return np.linalg.norm(error, axis=1) * np.sqrt((embeddings ** 2).sum(axis=1) + 1)


def vog(gradients: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Variance of gradients: ``gradients`` is checkpoints x samples x (input shape); per
    sample the variance over checkpoints, averaged over the input, then standardised within
    its class (Agarwal et al.), so a class whose inputs are louder is not harder for it."""
    raw = gradients.reshape(gradients.shape[0], gradients.shape[1], -1).var(axis=0).mean(axis=1)
    scores = np.zeros_like(raw)
    for target in np.unique(targets):
        members = targets == target
        spread = raw[members].std()
        scores[members] = (raw[members] - raw[members].mean()) / (spread if spread > 0 else 1)
    return scores


def outlier_scores(embeddings: np.ndarray, labels: pd.Series) -> pd.Series:
    """Datalab's outlier check on ``embeddings`` (a row per sample of ``labels``, indexed by
    sample id): its outlier score, lower = more of an outlier."""
    from cleanlab import Datalab

    lab = Datalab(data=pd.DataFrame({"label": labels.to_numpy()}), label_name="label",
                  verbosity=0)
    lab.find_issues(features=embeddings, issue_types={"outlier": {}})
    return pd.Series(lab.get_issues("outlier")["outlier_score"].to_numpy(), index=labels.index)


# --- Passes over the training split with kept model states -----------------------------------

def _split_inputs(profile: str, run: Run) -> tuple[pd.Index, np.ndarray, list[np.ndarray]]:
    """The training split as the run saw it: sample ids, given classes (as the model's output
    index) and stored features."""
    folder = training.run_dir(profile, run)
    layout = layout_of(run.dataset)
    table = toolkit.run_split_table(folder, "train")
    labels = toolkit.run_labels(folder)
    ids = pd.Index(table[layout.index_column], name="sample_id")
    targets = table[layout.target_column].astype(str).map(labels.index).to_numpy()
    features = [np.load(toolkit.features_file(profile, run.dataset, i)) for i in ids]
    return ids, targets, features


def _embeddings_and_probabilities(model: "toolkit.RunModel", features: list[np.ndarray],
                                  batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    import torch

    embeddings, probabilities = [], []
    with torch.inference_mode():
        for start in range(0, len(features), batch_size):
            batch = torch.cat([model.input(f) for f in features[start:start + batch_size]])
            embedded = model.model.embeddings(batch)
            embeddings.append(embedded.float().cpu().numpy())
            probabilities.append(torch.softmax(model.model.out(embedded), dim=1)
                                 .float().cpu().numpy())
    return np.concatenate(embeddings), np.concatenate(probabilities)


def _input_gradients(model: "toolkit.RunModel", features: list[np.ndarray],
                     targets: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Per sample, the gradient of its given class's logit with respect to the model input (in
    eval mode samples do not interact, so one backward pass per batch gives each its own)."""
    import torch

    gradients = []
    for start in range(0, len(features), batch_size):
        batch = torch.cat([model.input(f) for f in features[start:start + batch_size]])
        batch.requires_grad_(True)
        chosen = torch.as_tensor(targets[start:start + batch_size])
        logits = model.model(batch)
        logits[torch.arange(len(chosen)), chosen].sum().backward()
        gradients.append(batch.grad.detach().float().cpu().numpy())
    return np.concatenate(gradients)


def grand_of_run(profile: str, run: Run, epochs: int, device: str = "cpu") -> pd.Series:
    """GraNd on the output layer at :func:`early_epoch`, per sample id."""
    ids, targets, features = _split_inputs(profile, run)
    folder = training.run_dir(profile, run)
    model = toolkit.RunModel(folder, toolkit.epoch_dir(folder, early_epoch(epochs)).name, device)
    embeddings, probabilities = _embeddings_and_probabilities(model, features)
    return pd.Series(grand_output_layer(probabilities, targets, embeddings), index=ids)


def vog_epochs(epochs: int) -> list[int]:
    """The epochs whose states VoG reads: up to :data:`VOG_CHECKPOINTS`, evenly spread, the
    last among them (6 epochs: 2, 4, 6)."""
    count = min(VOG_CHECKPOINTS, epochs)
    return sorted({round(epochs * (k + 1) / count) for k in range(count)})


def vog_of_run(profile: str, run: Run, epochs: int, device: str = "cpu") -> pd.Series:
    """VoG over the states of :func:`vog_epochs`, per sample id."""
    ids, targets, features = _split_inputs(profile, run)
    folder = training.run_dir(profile, run)
    gradients = np.stack([
        _input_gradients(toolkit.RunModel(folder, toolkit.epoch_dir(folder, e).name, device),
                         features, targets) for e in vog_epochs(epochs)])
    return pd.Series(vog(gradients, targets), index=ids)


def embeddings_of(profile: str, run: Run, sample_ids: pd.Index, device: str = "cpu"
                  ) -> np.ndarray:
    """The best state's embeddings (the input of the output layer) of any samples."""
    model = toolkit.RunModel(training.run_dir(profile, run), device=device)
    features = [np.load(toolkit.features_file(profile, run.dataset, i)) for i in sample_ids]
    return _embeddings_and_probabilities(model, features)[0]


def outlier_of_run(profile: str, run: Run, device: str = "cpu") -> pd.Series:
    """Datalab's outlier score of the training split on the run's best embeddings."""
    ids, targets, _ = _split_inputs(profile, run)
    return outlier_scores(embeddings_of(profile, run, ids, device),
                          pd.Series(targets, index=ids))


# --- Every score of a dataset's runs, kept and read back ---------------------------------------

def from_outputs(outputs: list[EpochLogits], epochs: int) -> dict[str, pd.Series]:
    """The scores of :data:`FROM_OUTPUTS` of one run's training outputs, per sample id."""
    mapped = data_map(outputs)
    return {AUM: aum(outputs), EL2N: el2n(outputs, early_epoch(epochs)),
            FORGETTING: forgetting(outputs), CONFIDENCE: mapped["confidence"],
            VARIABILITY: mapped["variability"]}


#: What the scores' code is: a change to this module computes every score again.
CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def _settings_key(profile: str, runs: list[Run], score: str, epochs: int) -> dict[str, Any]:
    return {"data": data_fingerprint(profile, runs[0].dataset), "code": CODE,
            "runs": {run.name: (training.run_dir(profile, run) / toolkit.METRICS_FILE)
                     .stat().st_mtime_ns for run in runs},
            "epochs": epochs, "early_epoch": early_epoch(epochs), "vog_epochs": vog_epochs(epochs),
            "source": SOURCE[score]}


def runs_for(ensemble: Ensemble, dataset: str, score: str, models: tuple[str, ...]) -> list[Run]:
    """The runs a score reads: the dataset's runs of ``models`` (the definitions'); for GraNd
    and VoG those that keep every epoch's state; for Datalab's outlier check, which is about
    the data, the first."""
    runs = [run for run in ensemble.runs_of(dataset) if run.model in models]
    if score in (GRAND, VOG):
        return [r for r in runs if ensemble.keeps_every_epoch(r)]
    return runs[:1] if score == OUTLIER else runs


def score_all(profile: str, ensemble: Ensemble, dataset: str, models: tuple[str, ...],
              log: Callable[[str], None] = print) -> dict[str, Scored]:
    """Every score of :data:`SCORES` on a dataset's runs of ``models`` (a column per run),
    read back where its settings are unchanged; a score without the runs it needs is left
    out, said in one line."""
    epochs, device = ensemble.settings.epochs, toolkit.resolve_device(ensemble.settings.device)
    scored: dict[str, Scored] = {}
    from_logs: dict[str, dict[str, pd.Series]] = {}
    for score in SCORES:
        runs = runs_for(ensemble, dataset, score, models)
        if not runs:
            log(f"{dataset}: no {score}: no run of {', '.join(models)} keeps every epoch's "
                "model state")
            continue
        file = paths.hardness_file(profile, dataset, score)
        key = _settings_key(profile, runs, score, epochs)
        kept = definitions.reused(file, key, score)
        if kept is not None:
            scored[score] = kept
            continue
        started, columns = time.perf_counter(), {}
        for run in runs:
            if score in FROM_OUTPUTS:
                if run.name not in from_logs:  # the five share one read of the outputs
                    from_logs[run.name] = from_outputs(training_logits(profile, run, epochs),
                                                       epochs)
                columns[run.name] = from_logs[run.name][score]
            elif score == GRAND:
                columns[run.name] = grand_of_run(profile, run, epochs, device)
            elif score == VOG:
                columns[run.name] = vog_of_run(profile, run, epochs, device)
            else:
                columns[run.name] = outlier_of_run(profile, run, device)
        table = pd.DataFrame(columns).rename_axis("sample_id")
        scored[score] = Scored(score, table, SOURCE[score], time.perf_counter() - started, 0)
        definitions.keep(file, scored[score], key)
        log(f"{dataset}: {score} from {len(columns)} run(s) in "
            f"{scored[score].seconds:.1f} s")
    return scored

