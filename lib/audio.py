"""Reading, checking and writing audio, with one-line errors that name the file."""
from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf

from lib import paths


class AudioError(ValueError):
    """Bad audio input; the message is ``<file>: <problem>`` on one line."""


def check(path: Path, *, sample_rate: int | None = None, channels: int | None = None,
          min_seconds: float | None = None) -> sf._SoundFileInfo:
    """Check an audio file's header without decoding it all; raise :class:`AudioError`."""
    name = paths.relative(path)
    if not Path(path).is_file():
        raise AudioError(f"{name}: file does not exist")
    if Path(path).stat().st_size == 0:
        raise AudioError(f"{name}: empty file (0 bytes)")
    try:
        info = sf.info(str(path))
    except Exception as err:  # soundfile raises several types for unreadable data
        reason = str(err).splitlines()[0].split(": ", 1)[-1][:80]
        raise AudioError(f"{name}: corrupt or not an audio file ({reason})") from None
    if info.frames == 0:
        raise AudioError(f"{name}: no audio samples")
    if sample_rate is not None and info.samplerate != sample_rate:
        raise AudioError(f"{name}: sample rate {info.samplerate} Hz, expected {sample_rate} Hz")
    if channels is not None and info.channels != channels:
        raise AudioError(f"{name}: {info.channels} channels, expected {channels}")
    if min_seconds is not None and info.duration < min_seconds - 1e-6:
        raise AudioError(f"{name}: too short ({info.duration:.3f} s, expected at least "
                         f"{min_seconds:g} s)")
    return info


def read(path: Path, **expect: object) -> tuple[np.ndarray, int]:
    """Decode a file after :func:`check`: float32 samples (frames x channels) and rate."""
    check(path, **expect)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as err:
        raise AudioError(f"{paths.relative(path)}: corrupt audio data ({err})") from None
    return data, rate


#: A clip whose RMS level is below this (dB relative to full scale) is flagged as silent.
SILENCE_DBFS = -60.0
#: A clip shorter than this is flagged as too short (a SpeechCommands word lasts about 1 s).
SHORT_SECONDS = 0.25


def inspect(path: Path, **expect: object) -> list[str]:
    """Decode a file and check every sample: the one audio check of data builds and inference.

    Raises :class:`AudioError` (one line, naming the file) for what cannot be classified:
    missing, empty, corrupt or not audio, no samples after decoding, non-finite samples (NaN,
    Inf), or a header that breaks ``expect`` (see :func:`check`). Returns warnings for what can
    be classified but deserves a word: a silent clip (below :data:`SILENCE_DBFS`) and a very
    short one (below :data:`SHORT_SECONDS`).
    """
    data, rate = read(path, **expect)
    name = paths.relative(path)
    if data.size == 0:
        raise AudioError(f"{name}: no audio samples after decoding")
    bad = int(np.count_nonzero(~np.isfinite(data)))
    if bad:
        raise AudioError(f"{name}: {bad} of {data.size} samples are not finite (NaN or Inf)")
    warnings = []
    level = 20 * np.log10(rms(data))
    if level < SILENCE_DBFS:
        warnings.append(f"silent ({level:.0f} dBFS, below {SILENCE_DBFS:g} dBFS)")
    seconds = len(data) / rate
    if seconds < SHORT_SECONDS:
        warnings.append(f"too short ({seconds:.2f} s, below {SHORT_SECONDS:g} s)")
    return warnings


#: Telephone speech carries nothing above about 4 kHz (8 kHz sampling, 3.4 kHz channel).
NARROWBAND_HZ = 4000.0


def energy_above(data: np.ndarray, rate: int, hz: float = NARROWBAND_HZ) -> float:
    """Share of a clip's energy above ``hz`` (0 where its sample rate cannot hold any)."""
    mono = to_mono(np.asarray(data, dtype=np.float64))
    if rate / 2 <= hz or not mono.size:
        return 0.0
    power = np.abs(np.fft.rfft(mono)) ** 2
    total = power.sum()
    if total == 0:
        return 0.0
    return float(power[np.fft.rfftfreq(len(mono), 1 / rate) > hz].sum() / total)


def one_second(signal: np.ndarray, rate: int, seconds: float = 1.0) -> np.ndarray:
    """A mono clip as SpeechCommands cuts its words: the ``seconds`` of highest energy of a
    longer clip, a shorter one centred in digital silence."""
    length = int(round(seconds * rate))
    if len(signal) >= length:
        energy = np.convolve(np.asarray(signal, dtype=np.float64) ** 2, np.ones(length), "valid")
        start = int(energy.argmax())
        return signal[start:start + length]
    pad = length - len(signal)
    return np.pad(signal, (pad // 2, pad - pad // 2))


#: The frame over which a clip's floor is measured (:func:`floor_level`).
FLOOR_FRAME_SECONDS = 0.02


def floor_level(signal: np.ndarray, rate: int) -> float:
    """A clip's own floor: the RMS of its quietest :data:`FLOOR_FRAME_SECONDS` frame (0 for a
    clip that holds digital silence)."""
    frame = max(1, int(FLOOR_FRAME_SECONDS * rate))
    if len(signal) <= frame:
        return rms(signal)
    power = np.convolve(np.asarray(signal, dtype=np.float64) ** 2, np.ones(frame) / frame,
                        "valid")
    return float(np.sqrt(max(power.min(), 0.0)))


def fit_clip(signal: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """A mono clip cut or padded to ``seconds``: a longer one keeps its window of highest
    energy (:func:`one_second`'s cut); a shorter one is centred and padded with noise at its
    own floor (:func:`floor_level`), never with silence below anything the clip holds, which
    the log-mel would show as a loud edge. Deterministic: the padding's noise is seeded by the
    clip's length."""
    length = int(round(seconds * rate))
    if len(signal) >= length:
        return one_second(signal, rate, seconds)
    pad = length - len(signal)
    noise = np.random.default_rng(len(signal)).standard_normal(pad).astype(np.float32)
    noise *= floor_level(signal, rate)
    return np.concatenate([noise[:pad // 2], np.asarray(signal, dtype=np.float32),
                           noise[pad // 2:]])


def to_mono(data: np.ndarray) -> np.ndarray:
    return data.mean(axis=1) if data.ndim == 2 else data


def resample(signal: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Polyphase resampling; exact and deterministic for integer rate ratios."""
    if rate == target:
        return signal.astype(np.float32)
    # imported here: scipy.signal costs every process importing lib (each toolkit command
    # builds lib.models) over half a second
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    return resample_poly(signal, target // g, rate // g, axis=0).astype(np.float32)


def read_mono(path: Path, rate: int) -> np.ndarray:
    """Any readable file as a mono float32 signal at ``rate``."""
    data, source_rate = read(path)
    return resample(to_mono(data), source_rate, rate)


def write(path: Path, signal: np.ndarray, rate: int) -> None:
    """16-bit PCM WAV, the format of SpeechCommands and TAU Urban Acoustic Scenes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(signal, -1.0, 1.0), rate, subtype="PCM_16")


def rms(signal: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(signal, dtype=np.float64)) + 1e-12))


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float,
               measured_on: np.ndarray | None = None) -> np.ndarray:
    """Add ``noise`` scaled so that 10 log10(P_speech / P_noise) equals ``snr_db``, the speech
    power measured on ``measured_on`` (default ``speech``; the keyword set passes the word
    alone, so silence around it does not lower the SNR a listener hears)."""
    reference = speech if measured_on is None else measured_on
    gain = rms(reference) / (rms(noise) * 10 ** (snr_db / 20))
    return speech + gain * noise


def peak_normalise(signal: np.ndarray, peak: float = 0.9) -> np.ndarray:
    top = float(np.max(np.abs(signal)))
    return signal if top == 0 else signal * (peak / top)


def mel_bin_centres_hz(mel_bins: int = 64, fmin: float = 50.0, fmax: float = 8000.0) -> np.ndarray:
    """Centre frequency (Hz) of each mel bin of the PANNs log-mel (librosa's Slaney mel scale)."""
    import librosa

    return librosa.mel_frequencies(n_mels=mel_bins + 2, fmin=fmin, fmax=fmax)[1:-1]
