"""Training augmentations autrainer lacks, named by ``_target_`` in its augmentation configs.

Both work on the features autrainer trains on: ``1 x frames x 64`` log-mels in dB (PANNs' mel
bins from 50 Hz to 8 kHz), which the Cnn10/Cnn14 configs do not normalise (``Normalize: null``).

The demo's models hear only wideband synthetic voices, and a telephone recording (nothing
above about 4 kHz) is out of their world. :class:`TelephoneBand` shows them that world during
training. :class:`SpecMasks` is SpecAugment's frequency and time masking: autrainer's own
masks fill with 0, which in un-normalised dB is a band far louder than any speech, so these
fill with the clip's mean level, as SpecAugment does on normalised features.
"""
from __future__ import annotations

import os

import torch
from autrainer.augmentations import AbstractAugmentation

from lib.audio import mel_bin_centres_hz
from lib.toolkit import SCORING_ENV


class _TrainingOnly(AbstractAugmentation):
    """An augmentation that leaves clips as they are in a scoring process.

    aucurriculum 0.1.1 rebuilds a run's training split with the run's training augmentation
    and scores what comes out; :func:`lib.toolkit.score` starts it with :data:`SCORING_ENV`
    set, so a score is about the clip, not a random augmented view of it (the in-training
    recorder switches augmentations off in the same way, and the two engines agree).
    """

    def __call__(self, x: torch.Tensor, index: int | None = None) -> torch.Tensor:
        if os.environ.get(SCORING_ENV):
            return x
        return super().__call__(x, index)


class TelephoneBand(_TrainingOnly):
    """A log-mel as a band-limited channel leaves it: every mel bin centred above a cut drawn
    uniformly from ``cut_low_hz``-``cut_high_hz`` is replaced by ``floor_db`` plus Gaussian
    noise of ``noise_db`` standard deviation; the bins below it are kept.

    An 8 kHz recording resampled to 16 kHz sits at about -86 dB above 3.8 kHz, against about
    -54 dB on average in the keyword set's synthetic clips (issue 27's measurement), hence the
    defaults. With ``generator_seed`` the cut and the noise are reproducible as well as the
    choice to apply (autrainer's own masks seed the choice only).
    """

    def __init__(self, cut_low_hz: float = 2600.0, cut_high_hz: float = 5200.0,
                 floor_db: float = -86.0, noise_db: float = 1.0, order: int = 0,
                 p: float = 0.5, generator_seed: int | None = None) -> None:
        if not 0 < cut_low_hz <= cut_high_hz:
            raise ValueError(f"cut_low_hz ({cut_low_hz}) and cut_high_hz ({cut_high_hz}) must "
                             "satisfy 0 < cut_low_hz <= cut_high_hz")
        if noise_db < 0:
            raise ValueError(f"noise_db ({noise_db}) must be >= 0")
        super().__init__(order, p, generator_seed)
        self.cut_low_hz = cut_low_hz
        self.cut_high_hz = cut_high_hz
        self.floor_db = floor_db
        self.noise_db = noise_db
        self._centres = torch.as_tensor(mel_bin_centres_hz())

    def apply(self, x: torch.Tensor, index: int | None = None) -> torch.Tensor:
        if x.shape[-1] != len(self._centres):
            raise ValueError(f"TelephoneBand expects {len(self._centres)} mel bins in the last "
                             f"axis, got a tensor of shape {tuple(x.shape)}")
        cut = self.cut_low_hz + (self.cut_high_hz - self.cut_low_hz) * torch.rand(
            1, generator=self.g).item()
        above = self._centres > cut
        out = x.clone()
        noise = torch.randn((*x.shape[:-1], int(above.sum())), generator=self.g)
        out[..., above] = (self.floor_db + self.noise_db * noise).to(x.dtype)
        return out


class SpecMasks(_TrainingOnly):
    """SpecAugment's masks (Park et al. 2019, without time warping): one band of up to
    ``freq_mask`` mel bins and one stretch of up to ``time_mask`` frames, widths and positions
    drawn uniformly, both set to the clip's mean level.

    The defaults suit one-second keywords (101 frames; autrainer's SpecAugment config masks up
    to 80 frames, sized for 10-s scenes). Every draw comes from the seeded generator, offset
    from ``generator_seed`` so that, stacked after :class:`TelephoneBand` under one pipeline
    seed, the two are not applied in lockstep.
    """

    #: Added to ``generator_seed``: a stream of its own beside other augmentations' streams.
    SEED_OFFSET = 7919

    def __init__(self, freq_mask: int = 8, time_mask: int = 20, order: int = 0, p: float = 0.5,
                 generator_seed: int | None = None) -> None:
        if freq_mask < 0 or time_mask < 0:
            raise ValueError(f"freq_mask ({freq_mask}) and time_mask ({time_mask}) must be >= 0")
        super().__init__(order, p, generator_seed)
        if generator_seed is not None:
            self.g.manual_seed(generator_seed + self.SEED_OFFSET)
        self.freq_mask = freq_mask
        self.time_mask = time_mask

    def _span(self, widest: int, length: int) -> slice:
        width = int(torch.randint(0, min(widest, length) + 1, (1,), generator=self.g))
        start = int(torch.randint(0, length - width + 1, (1,), generator=self.g))
        return slice(start, start + width)

    def apply(self, x: torch.Tensor, index: int | None = None) -> torch.Tensor:
        out = x.clone()
        level = x.mean()
        out[..., self._span(self.freq_mask, x.shape[-1])] = level
        out[..., self._span(self.time_mask, x.shape[-2]), :] = level
        return out
