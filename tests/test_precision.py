"""Mixed precision (PRECISION): autrainer's networks under autocast, through the real CLIs."""
import numpy as np
import pytest
import torch
from autrainer.models import Cnn10 as AutrainerCnn10

from lib import models, paths, toolkit, training

#: How far the test accuracy of a bf16 run may lie from the fp32 run of the same seed on the
#: smoke set (8 test clips: two clips either way).
ACCURACY_TOLERANCE = 0.25


def test_bf16_forward_is_autrainers_network_with_float32_logits():
    torch.manual_seed(0)
    reference = AutrainerCnn10(output_dim=4).eval()
    mixed = models.Cnn10(output_dim=4, precision="bf16").eval()
    mixed.load_state_dict(reference.state_dict())  # same parameters, same checkpoint format
    x = torch.randn(3, 1, 101, 64)
    with torch.no_grad():
        exact, approx = reference(x), mixed(x)
    assert approx.dtype == torch.float32
    assert torch.allclose(exact, approx, atol=0.05 * exact.abs().max().item())
    assert not torch.equal(exact, approx)  # it really ran in bf16


def test_fp16_on_a_cpu_and_unknown_precisions_are_refused():
    with pytest.raises(ValueError, match="fp16 needs a CUDA device"):
        models.Cnn10(output_dim=2, precision="fp16")(torch.randn(1, 1, 101, 64))
    with pytest.raises(ValueError, match="unknown precision 'int8'"):
        models.Cnn14(output_dim=2, precision="int8")
    with pytest.raises(toolkit.ToolkitError, match="fp16 needs a CUDA device"):
        toolkit.write_training_config("smoke", ["OfflineKeywords"], {"Cnn10": [1]},
                                      toolkit.Settings(1, 8, 1e-3, precision="fp16", device="cpu"))


def test_precisions_get_their_own_run_folders(smoke):
    names = {p: training.Ensemble.from_parameters({**smoke, "PRECISION": p}).runs[0].name
             for p in ("fp32", "bf16")}
    assert "_Cnn10_" in names["fp32"] and "_Cnn10-bf16_" in names["bf16"]


@pytest.fixture(scope="module")
def retrained(smoke_notebooks, smoke, tmp_path_factory):
    """Seed 1 of the smoke keyword runs: the book's (bf16, the profile's precision) and the
    same run trained again in fp32 in a private results folder. (That a bf16 run trained
    again is the book's to the byte is tests/test_in_training.py's, on its retrained runs.)"""
    params = {**smoke, "DATASETS": ["OfflineKeywords"], "SEEDS": [1]}
    book = training.Ensemble.from_parameters(params).runs
    folders = {"bf16": training.run_dir("smoke", book[0])}
    accuracy = {"bf16": float(training.run_metrics("smoke", book)["test_accuracy"][0])}
    original = paths.RESULTS
    paths.RESULTS = tmp_path_factory.mktemp("precision") / "results"
    try:
        runs = training.train_ensemble(
            "smoke", training.Ensemble.from_parameters({**params, "PRECISION": "fp32"}),
            log=lambda line: None, summarise=False)
        folders["fp32"] = training.run_dir("smoke", runs[0])
        accuracy["fp32"] = float(training.run_metrics("smoke", runs)["test_accuracy"][0])
    finally:
        paths.RESULTS = original
    return folders, accuracy, params


def test_bf16_and_fp32_agree_in_accuracy(retrained):
    folders, accuracy, _ = retrained
    assert abs(accuracy["bf16"] - accuracy["fp32"]) <= ACCURACY_TOLERANCE, accuracy
    # Same seed, same start: the first epoch's training loss differs only by rounding.
    losses = {p: np.loadtxt(folder / "metrics.csv", delimiter=",", skiprows=1,
                            usecols=_column(folder, "train_loss")) for p, folder in folders.items()}
    assert np.allclose(losses["bf16"][0], losses["fp32"][0], rtol=0.05), losses


def _column(folder, name):
    return (folder / "metrics.csv").read_text().splitlines()[0].split(",").index(name)
