"""autrainer's PANNs with mixed precision: the same networks, their forward under autocast.

autrainer 0.4.0 has no precision switch. A run in ``bf16`` (or ``fp16`` on CUDA) names one of
these classes as its model ``_target_``: it subclasses autrainer's own ``Cnn10``/``Cnn14``,
keeps their weights in float32 (so checkpoints load into the plain classes too) and runs the
forward pass under :func:`torch.autocast`, returning float32 logits. Training
(``autrainer train``), scoring (``aucurriculum curriculum``), ``autrainer inference`` and
Grad-CAM all build the model from the run's saved config, so all of them run in the run's
precision. ``fp32`` runs use autrainer's classes unchanged, as the paper did.
"""
from __future__ import annotations

import torch
from autrainer.models import Cnn10 as _Cnn10
from autrainer.models import Cnn14 as _Cnn14
from torch.fx._symbolic_trace import is_fx_symbolic_tracing

from lib.profiles import precision_problem

#: The autocast dtype of each precision of :data:`lib.profiles.PRECISIONS` but fp32.
_AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_dtype(precision: str, device_type: str) -> torch.dtype | None:
    """The autocast dtype of ``precision`` on ``device_type`` (``None``: plain float32)."""
    problem = precision_problem(precision, device_type)
    if problem:
        raise ValueError(problem)
    return _AUTOCAST.get(precision)


class _Autocast:
    """Mixin: run the wrapped forward under autocast, hand back float32 logits.

    Under :func:`torch.fx.symbolic_trace` (aucurriculum's PredictionDepth cuts the traced graph
    at its probes) the input is a proxy without a device, so the plain network is traced: the
    probes' embeddings are computed in float32.
    """

    precision: str

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if is_fx_symbolic_tracing():
            return super().forward(x)  # type: ignore[misc]
        dtype = autocast_dtype(self.precision, x.device.type)
        if dtype is None:
            return super().forward(x)  # type: ignore[misc]
        with torch.autocast(device_type=x.device.type, dtype=dtype):
            out = super().forward(x)  # type: ignore[misc]
        return out.float()


class Cnn10(_Autocast, _Cnn10):
    """autrainer's Cnn10 whose forward runs in ``precision`` (fp32 | bf16 | fp16)."""

    def __init__(self, output_dim: int, precision: str = "bf16", segmentwise: bool = False,
                 in_channels: int = 1, transfer: str | None = None) -> None:
        autocast_dtype(precision, "cuda")  # an unknown name fails at construction
        super().__init__(output_dim, segmentwise=segmentwise, in_channels=in_channels,
                         transfer=transfer)
        self.precision = precision


class Cnn14(_Autocast, _Cnn14):
    """autrainer's Cnn14 whose forward runs in ``precision`` (fp32 | bf16 | fp16)."""

    def __init__(self, output_dim: int, precision: str = "bf16", segmentwise: bool = False,
                 in_channels: int = 1, transfer: str | None = None) -> None:
        autocast_dtype(precision, "cuda")
        super().__init__(output_dim, segmentwise=segmentwise, in_channels=in_channels,
                         transfer=transfer)
        self.precision = precision
