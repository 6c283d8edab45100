"""Class 3: broken JSON and odd frames: truncated, invalid UTF-8, lone surrogates, 100k-deep nesting,
numbers with 10k digits, duplicate keys (a duplicate top-level `type` included), binary, empty and
fragmented frames, a 14 MB text event and one past the 15 MiB limit."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from hostile_ws import Text, probe

CLASS = "3 broken JSON"

USER_ITEM = '{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":%s}]}}'
DEEP = 100_000
DIGITS = "9" * 10_000


def _item_text(raw_json_string: str) -> str:
    return USER_ITEM % raw_json_string


def _big_append(size: int) -> str:
    """An input_audio_buffer.append of about `size` bytes of valid base64 PCM16."""
    raw = b"\x01\x00" * (size * 3 // 8)
    return '{"type":"input_audio_buffer.append","audio":"%s"}' % base64.b64encode(raw).decode()


CASES: list[tuple[str, list]] = [
    # truncated
    ("truncated-object", ['{"type":"session.update","session":{']),
    ("truncated-string", ['{"type":"response.cre']),
    ("truncated-key", ['{"ty']),
    ("lone-brace", ["{"]),
    ("lone-quote", ['"']),
    ("truncated-escape", ['{"type":"conversation.item.create","item":{"content":[{"text":"\\u12']),
    ("truncated-number", ['{"type":"conversation.item.truncate","audio_end_ms":1e']),
    # not objects
    ("null", ["null"]), ("number", ["123"]), ("string", ['"response.create"']), ("array", ['[{"type":"response.create"}]']),
    ("empty-object", ["{}"]), ("type-null", ['{"type":null}']), ("type-number", ['{"type":1e19}']),
    ("type-object", ['{"type":{"type":"response.create"}}']), ("type-100k", ['{"type":"%s"}' % ("x" * 100_000)]),
    ("type-nul", ['{"type":"response.create\\u0000"}']), ("type-escaped", ['{"type":"response\\u002ecreate"}']),
    # invalid UTF-8 and surrogates
    ("invalid-utf8-in-type", [Text(b'{"type":"\xff\xfe"}')]),
    ("invalid-utf8-in-text", [Text(_item_text('"caf\xc3"').encode("latin-1"))]),
    ("overlong-utf8", [Text(b'{"type":"\xc0\xae\xe0\x80\xae"}')]),
    ("raw-surrogate-bytes", [Text(_item_text('"').encode() + b"\xed\xa0\x80" + b'"}]}}')]),
    ("escaped-lone-surrogate", [_item_text('"\\ud800"')]),
    ("escaped-low-surrogate", [_item_text('"\\udc00x"')]),
    ("escaped-reversed-pair", [_item_text('"\\udc00\\ud800"')]),
    ("surrogate-in-key", ['{"type":"session.update","session":{"\\ud800":1,"instructions":"\\ud83d"}}']),
    ("surrogate-in-type", ['{"type":"\\ud800"}']),
    ("escaped-nul-text", [_item_text('"a\\u0000b"')]),
    ("control-chars-raw", [Text(_item_text('"a\x01\x02\x1f"').encode())]),
    ("bom-prefix", ['\ufeff{"type":"response.cancel"}']),
    # nesting
    ("array-nesting-100k", ["[" * DEEP]),
    ("array-nesting-100k-closed", ["[" * DEEP + "]" * DEEP]),
    ("object-nesting-100k", ['{"a":' * DEEP]),
    ("nesting-in-session", ['{"type":"session.update","session":' + "[" * DEEP + "]" * DEEP + "}"]),
    ("nesting-in-metadata", ['{"type":"response.create","response":{"metadata":' + '{"a":' * 20_000 + "1" + "}" * 20_000 + "}}"]),
    ("nesting-in-tools", ['{"type":"session.update","session":{"tools":[{"type":"function","name":"f","parameters":'
                          + '{"type":"object","properties":{"a":' * 5_000 + "{}" + "}}" * 5_000 + "}]}}"]),
    # numbers
    ("number-10k-digits", ['{"type":"conversation.item.truncate","item_id":"x","content_index":0,"audio_end_ms":%s}' % DIGITS]),
    ("negative-10k-digits", ['{"type":"conversation.item.truncate","item_id":"x","content_index":-%s,"audio_end_ms":0}' % DIGITS]),
    ("fraction-10k-digits", ['{"type":"session.update","session":{"temperature":0.%s}}' % DIGITS]),
    ("exponent-10k-digits", ['{"type":"session.update","session":{"temperature":1e%s}}' % DIGITS]),
    ("mantissa-exponent-cancel", ['{"type":"session.update","session":{"max_output_tokens":1%se-10000}}' % ("0" * 10_000)]),
    ("rate-10k-digits", ['{"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":%s}}}}}' % DIGITS]),
    ("bare-nan", ['{"type":"session.update","session":{"temperature":NaN}}']),
    ("bare-infinity", ['{"type":"session.update","session":{"temperature":-Infinity}}']),
    ("leading-zeros-hex", ['{"type":"session.update","session":{"temperature":00.8,"max_output_tokens":0x10}}']),
    # duplicates
    ("duplicate-keys", ['{"type":"session.update","session":{"type":"realtime","type":"transcription","instructions":"a","instructions":7}}']),
    ("duplicate-type-update-create", ['{"type":"response.create","type":"session.update","session":{"type":"realtime"}}']),
    ("duplicate-type-append-cancel", ['{"type":"input_audio_buffer.append","audio":"AAAA","type":"response.cancel"}']),
    ("duplicate-type-number", ['{"type":"response.create","type":5}']),
    ("duplicate-type-1000", ['{' + ",".join('"type":"response.create"' for _ in range(1000)) + "}"]),
    ("keys-100k", ['{"type":"session.update","session":{' + ",".join(f'"k{i}":{i}' for i in range(100_000)) + "}}"]),
    # trailing and extra
    ("trailing-garbage", ['{"type":"response.cancel"}garbage']),
    ("two-objects", ['{"type":"response.cancel"}{"type":"response.create"}']),
    ("single-quotes", ["{'type':'response.create'}"]),
    ("comments", ['{"type":"response.cancel" /* c */}']),
    ("trailing-comma", ['{"type":"response.cancel",}']),
    # frames
    ("binary-json", [b'{"type":"response.create"}']),
    ("binary-garbage", [bytes(range(256)) * 64]),
    ("empty-text", [""]),
    ("empty-binary", [b""]),
    ("empty-then-valid", ["", b"", '{"type":"input_audio_buffer.clear"}']),
    ("fragmented-1000", [[c for c in '{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"%s"}]}}' % ("a" * 900)]]),
    ("fragmented-binary", [[b"\x00" * 10 for _ in range(100)]]),
    ("whitespace-1MB", [" " * 1_000_000 + '{"type":"response.cancel"}']),
    ("append-14MB", [_big_append(14 * 1024 * 1024)]),
    ("text-14MB", [_item_text('"' + "x" * (14 * 1024 * 1024) + '"')]),
    ("json-14MB-unclosed", ['{"type":"session.update","session":{"instructions":"' + "y" * (14 * 1024 * 1024)]),
    ("append-16MB-over-limit", [_big_append(16 * 1024 * 1024)]),
]


@pytest.mark.parametrize("beta", [False, True], ids=["ga", "beta"])
@pytest.mark.parametrize("frames", [pytest.param(frames, id=name) for name, frames in CASES])
def test_broken_json(hub, frames, beta, request: pytest.FixtureRequest):
    answer = asyncio.run(probe(hub.ws_base, frames, beta=beta, timeout=10))
    shown = repr(frames)[:160]
    hub.survives(CLASS, request.node.callspec.id, answer.summary(),
                 reproducer=f"{'beta' if beta else 'GA'} session, send frames {shown}", stalled=answer.stalled)
