"""lib.augmentations on hand-made log-mels: what the band limit removes and keeps, its seed,
its errors, and that autrainer can store and rebuild it from its config."""
from __future__ import annotations

import audobject
import pytest
import torch

from lib.audio import mel_bin_centres_hz
from lib.augmentations import TelephoneBand

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
