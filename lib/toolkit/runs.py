"""A run as autrainer leaves it: the names in its folder, the states it keeps, what it recorded,
and its trained model."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lib import paths
from lib.toolkit.commands import experiment_dir, FEATURES, _instantiate_dataset, MEL, ToolkitError


#: Written last in a run folder, when the run has finished all its epochs.
METRICS_FILE = "metrics.csv"
#: The best epoch's folder: its model state and its dev metrics (:func:`best_record_file`).
BEST = "_best"
#: The test split's folder: the best epoch's metrics and outputs on it.
TEST = "_test"
#: A model state, in ``_best/`` and in every kept ``epoch_<n>/``.
MODEL_STATE = "model.pt"
_EPOCH_PREFIX = "epoch_"


def epoch_dir(run_dir: Path, epoch: int) -> Path:
    """The folder of one epoch (1-based) of a run."""
    return run_dir / f"{_EPOCH_PREFIX}{epoch}"


def epoch_number(folder: Path) -> int:
    """The epoch an :func:`epoch_dir` holds."""
    return int(folder.name.removeprefix(_EPOCH_PREFIX))


def epoch_dirs(run_dir: Path) -> list[Path]:
    """The epoch folders a run has now, in order of epoch."""
    return sorted((d for d in run_dir.glob(f"{_EPOCH_PREFIX}*") if d.is_dir()),
                  key=epoch_number)


def best_record_file(run_dir: Path) -> Path:
    """autrainer's record of a run's best epoch: its iteration and dev metrics."""
    return run_dir / BEST / "dev.yaml"


def test_record_file(run_dir: Path) -> Path:
    """autrainer's test metrics of a run's best epoch."""
    return run_dir / TEST / "test_holistic.yaml"


def test_outputs_files(run_dir: Path) -> tuple[Path, ...]:
    """The best epoch's logits, targets and row positions on the test split."""
    return tuple(run_dir / TEST / name for name in epoch_outputs_names("test"))


def best_checkpoint(run_dir: Path) -> Path:
    """The best epoch's model state, the one inference and Grad-CAM use."""
    return run_dir / BEST / MODEL_STATE


def is_finished(run_folder: Path) -> bool:
    """autrainer writes ``metrics.csv`` last, when a run has finished all its epochs."""
    return (run_folder / METRICS_FILE).is_file()


#: What a finished run keeps of the states autrainer saves (``_initial``, ``_best`` and the
#: saved epochs, each a model, an optimizer and a scheduler state; a Cnn14 optimizer state is
#: 640 MB): ``every-epoch`` every epoch's model (aucurriculum's scoring reloads each);
#: ``scored`` the model scoring, explanations and inference read (the best epoch's, and the
#: last epoch's where SCORING_STOP is last); ``none`` no state (a run read only for its
#: metrics, records and saved outputs). See :func:`retain`.
RETENTIONS = ("every-epoch", "scored", "none")
OPTIMIZER_STATE = "optimizer.pt"


SCHEDULER_STATE = "scheduler.pt"


def kept_states(run_dir: Path, epochs: int, retention: str, stop: str = "best",
                resumable: bool = False) -> set[Path]:
    """The state files a finished run of ``epochs`` keeps under ``retention``; ``resumable``
    adds the last epoch's model, optimizer and scheduler, which autrainer needs to continue
    the run when EPOCHS grows (only without a schedule: see :func:`write_training_config`)."""
    if retention not in RETENTIONS:
        raise ToolkitError(f"unknown state retention {retention!r}; known: "
                           f"{', '.join(RETENTIONS)}")
    last = epoch_dir(run_dir, epochs)
    kept: set[Path] = set()
    if retention != "none":
        kept.add(best_checkpoint(run_dir))
    if retention == "every-epoch":
        kept |= {epoch_dir(run_dir, epoch) / MODEL_STATE for epoch in range(1, epochs + 1)}
    if retention == "scored" and stop == "last":
        kept.add(last / MODEL_STATE)
    if resumable:
        kept |= {last / MODEL_STATE, last / OPTIMIZER_STATE, last / SCHEDULER_STATE}
    return kept


def retain(run_dir: Path, epochs: int, retention: str, stop: str = "best",
           resumable: bool = False) -> None:
    """Delete the states a finished run does not keep (:func:`kept_states`): autrainer always
    writes ``_initial`` and the best epoch's optimizer, which nothing here reads."""
    keep = kept_states(run_dir, epochs, retention, stop, resumable)
    for state in run_dir.glob("*/*.pt"):
        if state not in keep:
            state.unlink()


def run_split_table(run_dir: Path, subset: str = "train") -> pd.DataFrame:
    """The rows of one split exactly as a run saw them, in the dataset's order.

    autrainer saves per-epoch outputs with positions into this table (``*_indices.npy``), and
    the split can depend on the run's seed (DCASE's dev split), so it is rebuilt from the run's
    own saved config, as aucurriculum does when it scores the run.
    """
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(run_dir / ".hydra" / "config.yaml"),
                                 resolve=True)
    # A seed "training-dataset" (aucurriculum's form) splits the data by its second part.
    data = _instantiate_dataset(cfg["dataset"], cfg["model"].get("transform"),
                                int(str(cfg["seed"]).split("-")[-1]), cfg["batch_size"])
    return {"train": data.df_train, "dev": data.df_dev,
            "test": data.df_test}[subset].reset_index(drop=True)


def epoch_outputs_names(subset: str = "train") -> tuple[str, str, str]:
    """The files of autrainer's saved logits, targets and row positions of one epoch."""
    return (f"{subset}_outputs.npy", f"{subset}_targets.npy", f"{subset}_indices.npy")


def epoch_outputs_files(run_dir: Path, epoch: int, subset: str = "train") -> tuple[Path, ...]:
    """autrainer's saved logits, targets and row positions of one epoch."""
    return tuple(epoch_dir(run_dir, epoch) / name for name in epoch_outputs_names(subset))


def aggregated_metrics(profile: str) -> pd.DataFrame:
    """``autrainer postprocess -a seed model``'s table: mean and std over seeds and models per
    dataset, in the format of the paper's ``aggregated_metrics.csv``."""
    return pd.read_csv(experiment_dir(profile) / "agg_seed_model" / METRICS_FILE)


def run_labels(run_dir: Path) -> list[str]:
    """A run's class names in the order of its outputs (its saved label encoder)."""
    encoder = yaml.safe_load((Path(run_dir) / "target_transform.yaml").read_text())
    return [str(label) for label in next(iter(encoder.values()))["labels"]]


class RunModel:
    """A run's best checkpoint with the transform and labels autrainer saved beside it.

    Features go in as autrainer stores them (``log_mel_16k`` npy: 1 x frames x 64) and pass the
    run's own ``inference_transform`` (the same one ``autrainer inference`` applies), so
    predictions here equal autrainer's.
    """

    def __init__(self, run_dir: Path, checkpoint: str = BEST, device: str = "cpu") -> None:
        import audobject
        import torch

        self.run_dir = Path(run_dir)
        self.device = device
        self.model = audobject.from_yaml(str(self.run_dir / "model.yaml"))
        state = torch.load(self.run_dir / checkpoint / MODEL_STATE, map_location="cpu",
                           weights_only=True)
        self.model.load_state_dict(state)
        self.model.to(device).eval()
        self.transform = audobject.from_yaml(str(self.run_dir / "inference_transform.yaml"))
        #: Class names in the order of the model's outputs.
        self.labels = run_labels(self.run_dir)

    def layer(self, name: str) -> Any:
        """A named layer of the model (e.g. Cnn10's ``conv_block4.conv2``)."""
        modules = dict(self.model.named_modules())
        if name not in modules or not name:
            raise ValueError(f"{type(self.model).__name__} has no layer {name!r} "
                             f"(e.g. {', '.join(n for n in modules if n.endswith('conv2'))})")
        return modules[name]

    def input(self, features: np.ndarray) -> Any:
        """One sample's model input (1 x 1 x frames x 64) from its stored features."""
        import torch

        x = self.transform(torch.as_tensor(np.asarray(features, dtype=np.float32)), 0)
        return x.unsqueeze(0).to(self.device)

    def probabilities(self, features: list[np.ndarray], batch_size: int = 32) -> np.ndarray:
        """Softmax outputs (samples x classes) for stored features of equal length."""
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(features), batch_size):
                batch = torch.cat([self.input(f) for f in features[start:start + batch_size]])
                out.append(torch.softmax(self.model(batch), dim=1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)))


def features_file(profile: str, dataset: str, sample_id: str) -> Path:
    """Where ``autrainer preprocess`` stored a sample's log-mel features."""
    return paths.dataset_dir(profile, dataset) / FEATURES / Path(sample_id).with_suffix(".npy")


def load_audio(file: Path) -> np.ndarray:
    """A clip as ``autrainer inference`` reads it (channels x samples, resampled to 16 kHz)."""
    from autrainer.datasets.utils import AudioFileHandler

    return AudioFileHandler(target_sample_rate=MEL["sample_rate"]).load(str(file)).numpy()
