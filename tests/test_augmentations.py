"""lib.augmentations on hand-made log-mels: what the band limit and the masks change and keep,
their seeds, their errors, that autrainer can store and rebuild them from its config, and that
the training config names them."""
from __future__ import annotations

import audobject
import pytest
import torch
import yaml

from lib.audio import mel_bin_centres_hz
from lib import toolkit
from lib.augmentations import SpecMasks, TelephoneBand

CENTRES = torch.as_tensor(mel_bin_centres_hz())


def _log_mel(seed: int = 0) -> torch.Tensor:
    """A clip's features as autrainer stores them: 1 x frames x 64, in dB."""
    return -54.0 + 5.0 * torch.randn((1, 101, 64), generator=torch.Generator().manual_seed(seed))


def test_the_band_above_the_cut_sits_at_the_floor_and_the_rest_is_kept():
    x = _log_mel()
    out = TelephoneBand(floor_db=-86.0, noise_db=1.0, p=1.0, generator_seed=3)(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    replaced = (out != x).all(dim=(0, 1))
    assert replaced[CENTRES > 5200].all() and not replaced[CENTRES <= 2600].any()
    # the replaced bins are one block at the top: every bin above the lowest replaced one
    first = int(replaced.float().argmax())
    assert replaced[first:].all() and not replaced[:first].any()
    assert abs(float(out[..., replaced].mean()) + 86.0) < 0.2
    assert 0.8 < float(out[..., replaced].std()) < 1.2
    assert torch.equal(x, _log_mel())  # the input is not changed


def test_seeded_draws_repeat_and_p_decides_whether_it_applies():
    x = _log_mel()
    first = TelephoneBand(p=1.0, generator_seed=7)
    second = TelephoneBand(p=1.0, generator_seed=7)
    assert torch.equal(first(x), second(x)) and torch.equal(first(x), second(x))
    assert not torch.equal(TelephoneBand(p=1.0, generator_seed=8)(x), second(x))
    assert torch.equal(TelephoneBand(p=0.0, generator_seed=7)(x), x)
    applied = TelephoneBand(p=0.5, generator_seed=1)
    changed = sum(not torch.equal(applied(x), x) for _ in range(200))
    assert 70 < changed < 130


@pytest.mark.parametrize("arguments, message", [
    ({"cut_low_hz": 5000.0, "cut_high_hz": 3000.0}, "0 < cut_low_hz <= cut_high_hz"),
    ({"noise_db": -1.0}, "noise_db"),
])
def test_bad_settings_and_inputs_are_one_line(arguments, message):
    with pytest.raises(ValueError, match=message):
        TelephoneBand(**arguments)
    with pytest.raises(ValueError, match="expects 64 mel bins"):
        TelephoneBand(p=1.0)(torch.zeros(1, 101, 40))


def test_autrainer_stores_and_rebuilds_it_from_its_config():
    band = TelephoneBand(cut_low_hz=3000.0, cut_high_hz=4000.0, p=1.0, generator_seed=5)
    rebuilt = audobject.from_yaml_s(band.to_yaml_s())
    assert isinstance(rebuilt, TelephoneBand)
    assert (rebuilt.cut_low_hz, rebuilt.cut_high_hz, rebuilt.p) == (3000.0, 4000.0, 1.0)
    assert torch.equal(rebuilt(_log_mel()), TelephoneBand(cut_low_hz=3000.0, cut_high_hz=4000.0,
                                                          p=1.0, generator_seed=5)(_log_mel()))


def test_masks_set_one_band_and_one_stretch_to_the_clips_mean_and_nothing_else():
    x = _log_mel()
    for seed in range(20):
        out = SpecMasks(freq_mask=8, time_mask=20, p=1.0, generator_seed=seed)(x)
        assert out.shape == x.shape and out.dtype == x.dtype
        changed = out != x
        assert torch.allclose(out[changed], x.mean().expand(int(changed.sum())))
        # a masked bin is masked in every frame, a masked frame in every bin
        full_bins = changed.all(dim=(0, 1))
        full_frames = changed.all(dim=(0, 2))
        assert (changed[0] == (full_bins[None, :] | full_frames[:, None])).all()
        assert int(full_bins.sum()) <= 8 and int(full_frames.sum()) <= 20
    assert torch.equal(x, _log_mel())


def test_masks_repeat_with_their_seed_and_not_in_lockstep_with_the_band_limit():
    x = _log_mel()
    assert torch.equal(SpecMasks(p=1.0, generator_seed=4)(x), SpecMasks(p=1.0, generator_seed=4)(x))
    band, masks = TelephoneBand(p=0.5, generator_seed=0), SpecMasks(p=0.5, generator_seed=0)
    both = [(not torch.equal(band(x), x), not torch.equal(masks(x), x)) for _ in range(200)]
    assert 0 < sum(b != m for b, m in both)  # applied independently under one seed
    with pytest.raises(ValueError, match="must be >= 0"):
        SpecMasks(freq_mask=-1)


@pytest.mark.parametrize("augmentation, steps", [
    ("telephone", ["lib.augmentations.TelephoneBand"]),
    ("telephone+specaugment", ["lib.augmentations.TelephoneBand", "lib.augmentations.SpecMasks"]),
])
def test_the_training_config_names_the_augmentation_and_the_run_carries_it(smoke_data,
                                                                           augmentation, steps):
    settings = toolkit.Settings(2, 8, 1e-3, "Adam", "none", "bf16", augmentation, "cpu")
    work = toolkit.write_training_config("smoke", ["OfflineKeywords"], {"Cnn10": [1]}, settings)
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())
    ident = toolkit.AUGMENTATION_IDS[augmentation]
    assert config["hydra"]["sweeper"]["params"]["augmentation"] == ident
    pipeline = yaml.safe_load((work / "conf" / "augmentation" / f"{ident}.yaml").read_text())
    assert pipeline["pipeline"] == steps and pipeline["generator_seed"] == "${seed}"
    name = toolkit.run_name("OfflineKeywords", "Cnn10", 1, settings)
    assert name.endswith(f"_None_{ident}_1")


def test_in_a_scoring_process_they_leave_clips_as_they_are(monkeypatch):
    x = _log_mel()
    monkeypatch.setenv(toolkit.SCORING_ENV, "1")
    assert torch.equal(TelephoneBand(p=1.0, generator_seed=1)(x), x)
    assert torch.equal(SpecMasks(p=1.0, generator_seed=1)(x), x)
    monkeypatch.delenv(toolkit.SCORING_ENV)
    assert not torch.equal(TelephoneBand(p=1.0, generator_seed=1)(x), x)


@pytest.mark.parametrize("scheduler, continues", [("none", True), ("onecycle", False),
                                                  ("cosine", False)])
def test_a_run_is_continued_to_more_epochs_only_without_a_schedule(smoke_data, scheduler,
                                                                    continues):
    """A one-cycle over 8 epochs is not a 6-epoch one extended: autrainer must not continue
    the shorter run (it resumed the old schedule and stopped past its last step)."""
    work = toolkit.write_training_config(
        "smoke", ["OfflineKeywords"], {"Cnn10": [1]},
        toolkit.Settings(8, 8, 1e-3, "Adam", scheduler, "bf16", device="cpu"))
    config = yaml.safe_load((work / "conf" / "train.yaml").read_text())
    assert config["continue_training"] is continues
