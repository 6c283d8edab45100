"""Class 1: hostile upgrade URLs and headers on /v1/realtime, /realtime and /twilio/media, sent byte
for byte (no WebSocket library would send most of them)."""

from __future__ import annotations

import pytest

from hostile_ws import raw_upgrade

CLASS = "1 upgrade URLs"

QUERIES: list[tuple[str, bytes]] = [
    ("empty-pair", b"?="),
    ("ampersands", b"?&&&"),
    ("bare-key", b"?a"),
    ("lone-percent", b"?%"),
    ("bad-escape", b"?%zz"),
    ("percent-one-hex", b"?model=%4"),
    ("key-nul", b"?session_state_key=%00"),
    ("key-empty", b"?session_state_key="),
    ("key-percent", b"?session_state_key=%"),
    ("key-invalid-utf8", b"?session_state_key=%ff%fe%fd"),
    ("key-huge-number", b"?session_state_key=%2B" + b"9" * 5000),
    ("key-10k", b"?session_state_key=" + b"a" * 10_000),
    ("query-100k", b"?" + b"x=y&" * 25_000),
    ("model-10k", b"?model=" + b"m" * 10_000),
    ("unicode-escaped", b"?model=%E6%A8%A1%E5%9E%8B%F0%9F%8E%A7&customer_name=Zo%C3%AB"),
    ("unicode-raw", "?model=模型🎧&customer_name=Zoë&customer_id=𝔘".encode()),
    ("repeated-keys", b"?" + b"&".join(b"model=m%d" % i for i in range(2000))),
    ("repeated-session-keys", b"?session_state_key=+15551234567&session_state_key=%00&session_state_key="),
    ("equals-only", b"?=====&===&=%"),
    ("nul-everywhere", b"?%00=%00&%00&model=%00&hub_events=%00"),
    ("hub-events-weird", b"?hub_events=" + b"1" * 5000),
    ("customer-id-huge", b"?customer_id=" + b"%41" * 5000 + b"&customer_name=" + b"%ff" * 2000),
    ("fragment", b"?model=a#frag%zz"),
    ("plus-and-spaces", b"?model=+++&customer_name=%20%20"),
    ("trailing-percent-pair", b"?model=%%%%%%%%%%"),
    ("question-marks", b"??????=?"),
]

PATHS = [b"/v1/realtime", b"/realtime"]

CASES = [pytest.param(path + q, id=f"{path.decode().strip('/').replace('/', '-')}:{name}")
         for name, q in QUERIES for path in PATHS]
# The phone bridge's upgrade reads its query too (for the signature's URL).
CASES += [pytest.param(b"/twilio/media" + q, id=f"twilio-media:{name}")
          for name, q in QUERIES if name in ("empty-pair", "lone-percent", "bad-escape", "key-nul", "query-100k", "unicode-raw")]
CASES += [
    pytest.param(b"/v1/realtime/..%2f..%2fhealthz?=", id="dot-dot-path"),
    pytest.param(b"/v1/realtime;a=b?=", id="matrix-path"),
    pytest.param(b"//v1//realtime?=", id="double-slashes"),
    pytest.param(b"/" + b"a" * 50_000, id="path-50k"),
    pytest.param(b"http://127.0.0.1/v1/realtime?=", id="absolute-form"),
    pytest.param(b"*", id="asterisk"),
]

HEADERS: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("beta-header-garbage", [(b"OpenAI-Beta", b"realtime=v1" * 1000)]),
    ("beta-header-repeated", [(b"OpenAI-Beta", b"realtime=v1")] * 50 + [(b"OpenAI-Beta", b"realtime=v%00")]),
    ("subprotocols-huge", [(b"Sec-WebSocket-Protocol", b", ".join([b"realtime"] * 3000))]),
    ("subprotocol-insecure-key", [(b"Sec-WebSocket-Protocol", b"realtime, openai-insecure-api-key." + b"k" * 5000)]),
    ("authorization-odd", [(b"Authorization", b"Bearer "), (b"Authorization", b"bearer" + b" " * 1000), (b"api-key", b"")]),
    ("ws-version-99", [(b"Sec-WebSocket-Version", b"99999999999999999999")]),
    ("non-ascii-header", [(b"OpenAI-Beta", "realtime=v1 ☃".encode())]),
    ("host-huge-port", [(b"X-Forwarded-Proto", b"https" * 100)]),
]


@pytest.mark.parametrize("target", CASES)
def test_upgrade_target(hub, target: bytes, request: pytest.FixtureRequest):
    # A media stream says nothing until Twilio's `start`: do not wait for its first frame long.
    answer = raw_upgrade(hub.port, target, frame_timeout=0.5 if target.startswith(b"/twilio") else 5.0)
    case = request.node.callspec.id
    hub.survives(CLASS, case, answer, reproducer=f"GET {target[:120]!r}{'…' if len(target) > 120 else ''} with an upgrade to WebSocket")


@pytest.mark.parametrize("headers", [pytest.param(h, id=name) for name, h in HEADERS])
def test_upgrade_headers(hub, headers, request: pytest.FixtureRequest):
    answer = raw_upgrade(hub.port, b"/v1/realtime?model=gpt-realtime", headers)
    case = "headers:" + request.node.callspec.id
    hub.survives(CLASS, case, answer, reproducer=f"GET /v1/realtime upgrade with headers {str(headers)[:120]}")
