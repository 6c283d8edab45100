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
