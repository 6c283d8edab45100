"""Speech for the phone tests: espeak-ng sentences as 8 kHz G.711 μ-law, and μ-law decoding."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path


def spoken_mulaw(text: str, lead_ms: int = 300, tail_ms: int = 1200) -> bytes:
    """`text` spoken by espeak-ng as 8 kHz μ-law, with silence before and after."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        raw = Path(tmp) / "speech.ul"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True)
        subprocess.run(["sox", str(wav), "-r", "8000", "-c", "1", "-e", "mu-law", "-t", "raw", str(raw),
                        "pad", f"{lead_ms / 1000}", f"{tail_ms / 1000}"], check=True)
        return raw.read_bytes()


def mulaw_to_linear(byte: int) -> int:
    byte = ~byte & 0xFF
    sign = byte & 0x80
    exponent = (byte >> 4) & 0x07
    mantissa = byte & 0x0F
    sample = ((mantissa << 3) + 0x84) << exponent
    sample -= 0x84
    return -sample if sign else sample


def rms(mulaw: bytes) -> float:
    if not mulaw:
        return 0.0
    total = sum(mulaw_to_linear(b) ** 2 for b in mulaw)
    return (total / len(mulaw)) ** 0.5


SILENCE_FRAME = bytes([0xFF]) * 160


def linear_to_mulaw(sample: int) -> int:
    """G.711 μ-law of a 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = max(0, magnitude.bit_length() - 8)
    exponent = min(exponent, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def tone_mulaw(frequency: float, seconds: float, amplitude: int = 8000) -> bytes:
    """A pure tone at 8 kHz in μ-law: an answering machine's beep."""
    import math
    count = int(seconds * 8000)
    return bytes(linear_to_mulaw(int(amplitude * math.sin(2 * math.pi * frequency * n / 8000))) for n in range(count))
