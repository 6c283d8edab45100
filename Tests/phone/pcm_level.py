"""Loudness of 16-bit PCM, for checking what a SIP phone heard."""

from __future__ import annotations

import struct


def loud_seconds(frames: bytes, rate: int, window_ms: int = 20, threshold: float = 300.0) -> float:
    """Seconds of 20 ms windows whose RMS is above `threshold`."""
    step = rate * window_ms // 1000 * 2
    loud = 0
    for offset in range(0, len(frames) - step + 1, step):
        samples = struct.unpack(f"<{step // 2}h", frames[offset:offset + step])
        if (sum(s * s for s in samples) / len(samples)) ** 0.5 > threshold:
            loud += 1
    return loud * window_ms / 1000
