"""Class 2: extreme numbers in every numeric field of every client event, in both dialects, generated
from a table of events × numeric paths × values (and a few numbers where strings are expected).
Each input goes on a fresh session; the hub's answer (error code, close) is recorded."""

from __future__ import annotations

import asyncio
import base64
import copy
import json

import pytest

from hostile_ws import probe, text_turn_on

CLASS = "2 extreme numbers"

# label → the raw JSON text put in the field.
VALUES: dict[str, str] = {
    "1e19": "1e19",
    "-1e19": "-1e19",
    "1e308": "1e308",
    "-0": "-0",
    "2^63": str(2**63),
    "2^64": str(2**64),
    "-2^63-1": str(-2**63 - 1),
    "1e400": "1e400",  # past Double: parses to infinity, or fails
    "1.5": "1.5",
    "-1": "-1",
    "NaN-str": '"NaN"',
    "inf-str": '"-Infinity"',
    "huge-str": '"' + "9" * 100_000 + '"',
    "0": "0",
    "1": "1",
    "7": "7",
    "2^31-1": str(2**31 - 1),
}
# Where a string is expected (a format, an id, a role), fewer values: the point is the type.
TYPE_VALUES = ["1e19", "2^64", "-0", "1.5", "huge-str"]

SILENCE_100MS = base64.b64encode(b"\x00\x00" * 2400).decode()
ASSISTANT = "$ASSISTANT_ITEM"  # replaced by the id of an assistant item with audio (a setup turn)

GA_SESSION = {
    "type": "session.update",
    "session": {
        "type": "realtime",
        "output_modalities": ["audio"],
        "instructions": "Be brief.",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                                   "silence_duration_ms": 500, "idle_timeout_ms": 6000, "create_response": False},
            },
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy", "speed": 1.0},
        },
        "max_output_tokens": 200,
        "temperature": 0.8,
        "truncation": {"type": "retention_ratio", "retention_ratio": 0.8},
    },
}
BETA_SESSION = {
    "type": "session.update",
    "session": {
        "modalities": ["audio", "text"],
        "instructions": "Be brief.",
        "input_audio_format": "pcm16",
        "output_audio_format": "pcm16",
        "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                           "silence_duration_ms": 500, "idle_timeout_ms": 6000, "create_response": False},
        "temperature": 0.8,
        "max_response_output_tokens": 200,
        "speed": 1.0,
        "voice": "alloy",
    },
}
TRUNCATE = {"type": "conversation.item.truncate", "item_id": ASSISTANT, "content_index": 0, "audio_end_ms": 200}
ITEM_TEXT = {"type": "conversation.item.create", "previous_item_id": None,
             "item": {"id": "item_hostile_1", "type": "message", "role": "user",
                      "content": [{"type": "input_text", "text": "hello"}]}}
ITEM_AUDIO = {"type": "conversation.item.create",
              "item": {"type": "message", "role": "user", "content": [{"type": "input_audio", "audio": SILENCE_100MS}]}}
ITEM_OUTPUT = {"type": "conversation.item.create",
               "item": {"type": "function_call_output", "call_id": "call_1", "output": "{}"}}
GA_RESPONSE = {"type": "response.create",
               "response": {"output_modalities": ["audio"], "max_output_tokens": 50, "instructions": "Be brief.",
                            "conversation": "auto", "metadata": {"k": "v"},
                            "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "alloy"}}}}
BETA_RESPONSE = {"type": "response.create",
                 "response": {"modalities": ["audio", "text"], "max_response_output_tokens": 50, "temperature": 0.8,
                              "output_audio_format": "pcm16", "voice": "alloy", "instructions": "Be brief."}}
APPEND = {"type": "input_audio_buffer.append", "audio": SILENCE_100MS}

# (event name, template, [numeric paths], [paths where a string or object is expected])
COMMON = [
    ("conversation.item.truncate", TRUNCATE, ["audio_end_ms", "content_index"], ["item_id"]),
    ("conversation.item.create/text", ITEM_TEXT, [], ["item.content.0.text", "item.role", "item.type", "item.content",
                                                      "item.content.0.type", "previous_item_id", "item.id"]),
    ("conversation.item.create/audio", ITEM_AUDIO, [], ["item.content.0.audio"]),
    ("conversation.item.create/output", ITEM_OUTPUT, [], ["item.call_id", "item.output"]),
    ("input_audio_buffer.append", APPEND, [], ["audio"]),
    ("input_audio_buffer.commit", {"type": "input_audio_buffer.commit"}, [], ["event_id"]),
    ("conversation.item.retrieve", {"type": "conversation.item.retrieve", "item_id": "item_x"}, [], ["item_id"]),
    ("conversation.item.delete", {"type": "conversation.item.delete", "item_id": "item_x"}, [], ["item_id"]),
    ("response.cancel", {"type": "response.cancel", "response_id": "resp_x"}, [], ["response_id"]),
    ("output_audio_buffer.clear", {"type": "output_audio_buffer.clear"}, [], ["event_id"]),
]
TABLE = {
    "ga": [
        ("session.update", GA_SESSION,
         ["session.audio.input.format.rate", "session.audio.output.format.rate",
          "session.audio.input.turn_detection.threshold", "session.audio.input.turn_detection.prefix_padding_ms",
          "session.audio.input.turn_detection.silence_duration_ms", "session.audio.input.turn_detection.idle_timeout_ms",
          "session.audio.output.speed", "session.temperature", "session.max_output_tokens",
          "session.truncation.retention_ratio"],
         ["session.audio.input.format.type", "session.audio.input.format", "session.audio.output.voice",
          "session.output_modalities.0", "session.instructions", "session.type"]),
        ("response.create", GA_RESPONSE,
         ["response.max_output_tokens", "response.audio.output.format.rate"],
         ["response.output_modalities", "response.conversation", "response.instructions", "response.metadata"]),
        *COMMON,
    ],
    "beta": [
        ("session.update", BETA_SESSION,
         ["session.turn_detection.threshold", "session.turn_detection.prefix_padding_ms",
          "session.turn_detection.silence_duration_ms", "session.turn_detection.idle_timeout_ms",
          "session.temperature", "session.max_response_output_tokens", "session.speed"],
         ["session.input_audio_format", "session.output_audio_format", "session.modalities.0", "session.voice",
          "session.turn_detection"]),
        ("response.create", BETA_RESPONSE,
         ["response.max_response_output_tokens", "response.temperature"],
         ["response.output_audio_format", "response.modalities", "response.voice"]),
        *COMMON,
    ],
}

BAD_BASE64 = {
    "b64-bang": '"!!!!"',
    "b64-one-char": '"A"',
    "b64-odd-bytes": '"AAA="',  # one byte: half a PCM16 sample
    "b64-padding-only": '"===="',
    "b64-inner-padding": '"QQ==QQ=="',
    "b64-whitespace": '"AA AA\\nAA\\u0000A"',
    "b64-1MB-junk": '"' + "$" * 1_000_000 + '"',
}

MARK = "__hostile_value__"


def _set(obj, path: str, value) -> None:
    keys = path.split(".")
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj.setdefault(key, {})
    last = keys[-1]
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def render(template: dict, path: str, token: str) -> str:
    event = copy.deepcopy(template)
    _set(event, path, MARK)
    return json.dumps(event).replace(json.dumps(MARK), token)


def _cases():
    for dialect, events in TABLE.items():
        for event, template, numeric, typed in events:
            for path in numeric + typed:
                labels = list(VALUES) if path in numeric else TYPE_VALUES
                values = {label: VALUES[label] for label in labels}
                if event == "input_audio_buffer.append" or path.endswith(".audio"):
                    values.update(BAD_BASE64)
                for label, token in values.items():
                    yield pytest.param(dialect, event, template, path, token,
                                       id=f"{dialect}:{event}:{path}={label}")


CASES = list(_cases())


@pytest.mark.parametrize("dialect,event,template,path,token", CASES)
def test_extreme_number(hub, dialect, event, template, path, token, request: pytest.FixtureRequest):
    beta = dialect == "beta"
    text = render(template, path, token)
    needs_item = ASSISTANT in text

    async def setup(ws):
        return await text_turn_on(ws, beta, audio=True) if needs_item else None

    def frames(item_id):
        return [text.replace(ASSISTANT, item_id or "item_missing")]

    # Settings the hub takes are then used: audio in through the VAD, audio out in the format.
    exercise = event in ("session.update", "response.create", "input_audio_buffer.append")
    answer = asyncio.run(probe(hub.ws_base, frames, beta=beta, setup=setup, exercise=exercise))
    shown = text if len(text) < 300 else text[:200] + f"…({len(text)} bytes)"
    hub.survives(CLASS, request.node.callspec.id, answer.summary(),
                 reproducer=f"{'beta' if beta else 'GA'} session, send {shown}", stalled=answer.stalled)
