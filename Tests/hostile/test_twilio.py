"""Class 5: Twilio Media Streams messages with extreme fields. The hub runs with no Twilio auth token
on loopback, so /twilio/media takes unsigned streams. Each case is one stream: `connected`, the
hostile messages, a few valid media frames, then `stop`; what the hub closed with is recorded."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from hostile_ws import Answer, Text
from test_extreme_numbers import VALUES

CLASS = "5 Twilio media streams"
FRAME = '"%s"' % base64.b64encode(b"\xff" * 160).decode()  # as JSON text
SID = "MZ" + "0" * 32


def start(media_format: object = None, **overrides) -> str:
    """A `start` message; `media_format` as raw JSON text (or None for the usual one)."""
    body = {"streamSid": SID, "accountSid": "AC" + "0" * 32, "callSid": "CA" + uuid.uuid4().hex,
            "tracks": ["inbound"], "customParameters": {}, "mediaFormat": "__mf__"}
    body.update(overrides)
    text = json.dumps({"event": "start", "sequenceNumber": "1", "start": body, "streamSid": SID})
    mf = media_format if media_format is not None else '{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}'
    return text.replace('"__mf__"', mf)


def media(payload: str = FRAME, seq: str = '"2"', chunk: str = '"1"', ts: str = '"20"', track: str = '"inbound"') -> str:
    return ('{"event":"media","sequenceNumber":%s,"streamSid":"%s","media":{"track":%s,"chunk":%s,"timestamp":%s,"payload":%s}}'
            % (seq, SID, track, chunk, ts, payload))


def fmt(rate: str = "8000", channels: str = "1", encoding: str = '"audio/x-mulaw"') -> str:
    return '{"encoding":%s,"sampleRate":%s,"channels":%s}' % (encoding, rate, channels)


NUMS = {k: VALUES[k] for k in ("1e19", "-1e19", "1e308", "-0", "2^63", "2^64", "-2^63-1", "1e400", "1.5", "-1",
                               "NaN-str", "huge-str")}
NUMS.update({"zero": "0", "8000.5": "8000.5", "str-8000": '"8000"', "null": "null", "2^31": str(2**31),
             "10k-digits": "9" * 10_000})

CASES: list[tuple[str, list]] = []
for label, token in NUMS.items():
    CASES.append((f"sampleRate={label}", [start(fmt(rate=token))]))
    CASES.append((f"channels={label}", [start(fmt(channels=token))]))
for label, token in {"both-1e19": ("1e19", "1e19"), "both-neg": ("-1e19", "-2^63-1"), "rate-2^64-ch-1.5": ("2^64", "1.5")}.items():
    CASES.append((f"mediaFormat {label}", [start(fmt(rate=VALUES.get(token[0], token[0]), channels=VALUES.get(token[1], token[1])))]))
CASES += [
    ("encoding=number", [start(fmt(encoding="1e19"))]),
    ("encoding=null", [start(fmt(encoding="null"))]),
    ("encoding=100k", [start(fmt(encoding='"' + "audio/x-mulaw" * 8000 + '"'))]),
    ("mediaFormat=number", [start("1e19")]),
    ("mediaFormat=array", [start("[8000,1]")]),
    ("mediaFormat=deep", [start('{"a":' * 50_000 + "1" + "}" * 50_000)]),
    ("streamSid missing", [json.dumps({"event": "start", "start": {"mediaFormat": {}}})]),
    ("streamSid=number", [start(streamSid=1e19)]),
    ("streamSid=1MB", [start(streamSid="M" * 1_000_000)]),
    ("from=number", [start(customParameters={"from": 1e19})]),
    ("from=huge", [start(customParameters={"from": "+" + "1" * 100_000})]),
    ("from=nul", [start(customParameters={"from": "+1555\u00001234567"})]),
    ("outbound-odd-agent", [start(customParameters={"direction": "outbound", "agent": "\ud800" * 3, "purpose": "x" * 100_000})]),
    ("customParameters=10k", [start(customParameters={f"p{i}": str(i) for i in range(10_000)})]),
    ("callSid=number", [start(callSid=2**64)]),
    ("tracks=number", [start(tracks=1e19)]),
    ("media-before-start", [media(), media(), start()]),
    ("mark-before-start", ['{"event":"mark","streamSid":"%s","mark":{"name":"m1"}}' % SID, start()]),
    ("dtmf-before-start", ['{"event":"dtmf","streamSid":"%s","dtmf":{"digit":"5"}}' % SID, start()]),
    ("stop-before-start", ['{"event":"stop"}', start()]),
    ("second-start", [start(), start(fmt(rate="1e19"))]),
    ("start-x100", [start()] * 100),
]
for label, token in {"1e19": "1e19", "2^64": VALUES["2^64"], "-1": "-1", "str-1e19": '"1e19"', "str-2^64": '"%d"' % 2**64,
                     "abc": '"abc"', "1.5": "1.5", "null": "null", "10k-digits": "9" * 10_000}.items():
    CASES.append((f"sequenceNumber={label}", [start(), media(seq=token)]))
    CASES.append((f"chunk={label}", [start(), media(chunk=token)]))
    CASES.append((f"timestamp={label}", [start(), media(ts=token)]))
CASES += [
    ("track=number", [start(), media(track="1e19")]),
    ("track=outbound", [start(), media(track='"outbound"')]),
    ("payload-1MB", [start(), media(payload='"%s"' % base64.b64encode(b"\x7f" * 750_000).decode())]),
    ("payload-10MB", [start(), media(payload='"%s"' % base64.b64encode(b"\x7f" * 7_500_000).decode())]),
    ("payload-bad-base64", [start(), media(payload='"!!!!"'), media(payload='"A"'), media(payload='"===="')]),
    ("payload-odd-bytes", [start(), media(payload='"%s"' % base64.b64encode(b"\xff" * 161).decode())]),
    ("payload-empty", [start(), media(payload='""')]),
    ("payload-number", [start(), media(payload="1e19")]),
    ("payload-null", [start(), media(payload="null")]),
    ("payload-escaped", [start(), media(payload='"\\u0041\\u0041\\u0041\\u0041"')]),
    ("media=number", [start(), '{"event":"media","media":1e19}']),
    ("media-x2000", [start()] + [media(seq='"%d"' % i) for i in range(2000)]),
    ("mark-name-1MB", [start(), '{"event":"mark","mark":{"name":"%s"}}' % ("n" * 1_000_000)]),
    ("mark-name-number", [start(), '{"event":"mark","mark":{"name":1e19}}']),
    ("mark-x1000", [start()] + ['{"event":"mark","mark":{"name":"m%d"}}' % i for i in range(1000)]),
    ("dtmf-odd", [start()] + ['{"event":"dtmf","dtmf":{"digit":%s}}' % d for d in ('"12"', '""', "5", '"\\u0000"', '"\\ud800"', "1e19", '"%s"' % ("9" * 100_000))]),
    ("dtmf-x500", [start()] + ['{"event":"dtmf","dtmf":{"digit":"#"}}'] * 500),
    ("event=number", [start(), '{"event":1e19}']),
    ("event=unknown-huge", [start(), '{"event":"%s"}' % ("x" * 1_000_000)]),
    ("not-json", [start(), "not json", "{", "[" * 100_000]),
    ("invalid-utf8", [start(), Text(b'{"event":"media","media":{"payload":"\xff\xfe"}}')]),
    ("binary-frames", [start(), b'{"event":"media"}', bytes(range(256)) * 100]),
    ("empty-frames", [start(), "", b""]),
    ("connected-odd", ['{"event":"connected","protocol":1e19,"version":"%s"}' % ("9" * 10_000), start()]),
]


async def stream(ws_base: str, messages: list) -> Answer:
    answer = Answer()
    heard = {}
    try:
        async with websockets.connect(f"{ws_base}/twilio/media", max_size=None, open_timeout=5, close_timeout=2,
                                      ping_interval=None, compression=None) as ws:
            await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
            for message in messages:
                if isinstance(message, Text):
                    await ws.send(bytes(message), text=True)
                else:
                    await ws.send(message)
            for _ in range(3):
                await ws.send(media())
            await ws.send(json.dumps({"event": "stop", "streamSid": SID}))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                message = await asyncio.wait_for(ws.recv(), deadline - time.monotonic())
                try:
                    kind = json.loads(message).get("event", "?")
                except (ValueError, AttributeError):
                    kind = "<unreadable>"
                heard[kind] = heard.get(kind, 0) + 1
            answer.note = "not closed after stop within 5 s"
    except ConnectionClosed as closed:
        rcvd = closed.rcvd
        reason = rcvd.reason.split("; ")[-1][:60] if rcvd and rcvd.reason else ""
        answer.close = (f"{rcvd.code}" + (f" ({reason})" if reason else "")) if rcvd else "without close frame"
    except InvalidStatus as error:
        answer.note = f"HTTP {error.response.status_code}"
    except (OSError, asyncio.TimeoutError) as error:
        answer.note = type(error).__name__
    if heard:
        answer.events = [f"{k}" for k in heard]
    return answer


@pytest.mark.parametrize("messages", [pytest.param(m, id=name) for name, m in CASES])
def test_twilio_message(hub, messages, request: pytest.FixtureRequest):
    answer = asyncio.run(stream(hub.ws_base, messages))
    summary = answer.summary().replace("accepted (no answer)", "no close code")
    shown = "; ".join((m if isinstance(m, str) else repr(m))[:150] for m in messages[:3])
    hub.survives(CLASS, request.node.callspec.id, summary,
                 reproducer=f"unsigned /twilio/media stream: connected, then {shown}")
