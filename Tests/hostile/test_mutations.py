"""Class 4: randomly mutated valid client events (seeded: HOSTILE_SEED, default below), both dialects.
Each mutant goes on a fresh session; after each batch the hub must pass the health check and a
text turn (a dead process is caught after the very mutant that killed it)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random

import pytest

from hostile_ws import Text, probe
from mutate import mutate
from test_extreme_numbers import BETA_RESPONSE, BETA_SESSION, GA_RESPONSE, GA_SESSION, ITEM_AUDIO, ITEM_OUTPUT, ITEM_TEXT

CLASS = "4 random mutations"
SEED = int(os.environ.get("HOSTILE_SEED", "20250611"))
BATCHES = 8  # per dialect
BATCH_SIZE = 20

COMMON = [
    {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\x10\x00" * 480).decode()},
    {"type": "input_audio_buffer.commit"},
    {"type": "input_audio_buffer.clear"},
    ITEM_TEXT, ITEM_AUDIO, ITEM_OUTPUT,
    {"type": "conversation.item.truncate", "item_id": "item_x", "content_index": 0, "audio_end_ms": 1500},
    {"type": "conversation.item.retrieve", "item_id": "item_x"},
    {"type": "conversation.item.delete", "item_id": "item_x"},
    {"type": "response.cancel"},
    {"type": "output_audio_buffer.clear"},
    {"type": "response.create"},
]
CORPUS = {
    "ga": [GA_SESSION, GA_RESPONSE,
           {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {"format": {"type": "audio/pcmu"}},
                                                                                 "output": {"format": {"type": "audio/pcma"}}}}},
           *COMMON],
    "beta": [BETA_SESSION, BETA_RESPONSE,
             {"type": "session.update", "session": {"input_audio_format": "g711_ulaw", "output_audio_format": "g711_alaw",
                                                    "input_audio_transcription": {"model": "whisper-1"}}},
             *COMMON],
}


def batch(dialect: str, index: int) -> list[tuple[bytes, str]]:
    rng = random.Random(f"{SEED}:{dialect}:{index}")
    out = []
    for _ in range(BATCH_SIZE):
        event = rng.choice(CORPUS[dialect])
        data, how = mutate(rng, json.dumps(event, separators=(",", ":")).encode())
        out.append((data, f"{event['type']} {how}"))
    return out


@pytest.mark.parametrize("dialect", ["ga", "beta"])
@pytest.mark.parametrize("index", range(BATCHES))
def test_mutated_batch(hub, dialect, index):
    beta = dialect == "beta"
    case = f"seed {SEED} {dialect} batch {index}"
    for n, (data, how) in enumerate(batch(dialect, index)):
        answer = asyncio.run(probe(hub.ws_base, [Text(data)], beta=beta, timeout=10))
        if hub.down() or answer.stalled:
            hub.survives(CLASS, f"{case} #{n}", answer.summary(), stalled=answer.stalled,
                         reproducer=f"{dialect} session, text frame {data[:300]!r} ({how}; HOSTILE_SEED={SEED})")
        hub.note(CLASS, f"{case} #{n}", answer.summary())
    hub.survives(CLASS, case, "", reproducer=f"HOSTILE_SEED={SEED}, {case}", record=False)
