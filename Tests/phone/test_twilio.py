"""The Twilio Media Streams bridge against the real hub: the signed webhook, a scripted stream
that speaks synthesized μ-law and hears the spoken answer, marks, barge-in, DTMF, calling back,
and the bad inputs a stream can carry."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
import websockets

from audio import SILENCE_FRAME, rms, spoken_mulaw
from conftest import ADMIN_HEADERS, ARTIFACTS, session_ready, start_hub, stop_hub
from twilio_peer import TwilioPeer, fetch_twiml, run_dial, twilio_signature

QUESTION = "Is flight S B 2 0 4 on time"


def post_webhook(hub, params: dict[str, str], signature: str | None):
    url = f"{hub.http_base}/twilio/voice"
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    if signature is not None:
        request.add_header("X-Twilio-Signature", signature)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 120))


CALL_PARAMS = {"CallSid": "CA0123456789abcdef0123456789abcdef", "AccountSid": "AC" + "0" * 32,
               "From": "+15550100001", "To": "+15550199999", "CallStatus": "ringing", "Direction": "inbound"}


def test_webhook_answers_signed_calls_with_a_stream_that_carries_the_caller(hub):
    url = f"{hub.http_base}/twilio/voice"
    status, body = post_webhook(hub, CALL_PARAMS, twilio_signature(url, CALL_PARAMS))
    assert status == 200, body
    root = ET.fromstring(body)
    stream = root.find("./Connect/Stream")
    assert stream is not None, body
    assert stream.get("url") == f"{hub.ws_base}/twilio/media"
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["from"] == "+15550100001"
    assert parameters["callSid"] == CALL_PARAMS["CallSid"]
    # Signed, with an expiry and a nonce: the stream proves the caller.
    assert set(parameters) == {"from", "callSid", "to", "expires", "nonce", "signature"}, parameters
    assert parameters["to"] == CALL_PARAMS["To"], "the number dialled, for the call record"
    assert int(parameters["expires"]) > 0 and len(parameters["nonce"]) == 32


def test_webhook_refuses_a_wrong_or_missing_signature(hub):
    url = f"{hub.http_base}/twilio/voice"
    wrong = twilio_signature(url, CALL_PARAMS, token="not-the-token")
    assert post_webhook(hub, CALL_PARAMS, wrong)[0] == 403
    assert post_webhook(hub, CALL_PARAMS, None)[0] == 403
    # Signed for other parameters: a forged caller is refused.
    forged = dict(CALL_PARAMS, From="+15550100002")
    assert post_webhook(hub, forged, twilio_signature(url, CALL_PARAMS))[0] == 403


def test_media_stream_refuses_an_unsigned_upgrade(hub):
    async def scenario():
        with pytest.raises(websockets.InvalidStatus) as refused:
            await TwilioPeer.connect(hub.ws_base, "+15550100003", sign=False)
        assert refused.value.response.status_code == 403
    run(scenario())


def test_a_call_hears_a_spoken_answer_and_calling_back_resumes(hub):
    caller = "+15550100010"
    question = spoken_mulaw(QUESTION)

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(question, pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    heard = run(scenario())
    seconds = len(heard.audio) / 8000
    assert seconds > 1.5, f"only {seconds:.2f} s of answer"
    assert rms(heard.audio) > 300, "the answer is silence"
    assert heard.marks, "no marks after the agent's audio"
    assert set(heard.echoed) <= set(heard.marks)

    ready = session_ready(hub, caller)
    assert ready["resumed"] is True
    assert ready["agent"] == "flight"
    last = ready["history"][-1]
    assert "SB204" in last["user"], last
    # The answer comes from the flight status tool: the flight, its route and its status.
    assert "Flight SB204 from SFO to JFK" in last["assistant"], last

    # Calling back: the same number's next call continues with the flight agent and its history.
    async def call_back():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(spoken_mulaw("What gate does it leave from"), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    again = run(call_back())
    assert len(again.audio) / 8000 > 1.0
    ready = session_ready(hub, caller)
    assert ready["agent"] == "flight"
    assert len(ready["history"]) >= 2
    assert ready["history"][-2]["assistant"] == last["assistant"]


def test_talking_over_the_agent_clears_its_audio_at_once(hub):
    caller = "+15550100020"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(spoken_mulaw("What is the status of my hotel reservation H 2 0 4 5 1 8"), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        while peer.heard.first_audio_at is None:
            await asyncio.sleep(0.02)
        # The caller hears the start of the answer, then talks over it in real time.
        await asyncio.sleep(0.6)
        await peer.speak(spoken_mulaw("wait, stop please", lead_ms=0, tail_ms=0), pace=0.02)
        for _ in range(200):
            if peer.heard.clears:
                break
            await asyncio.sleep(0.02)
        heard = peer.heard
        await peer.stop()
        return heard

    heard = run(scenario())
    assert heard.clears >= 1, "no clear after the caller talked over the agent"
    # Marks already echoed were for audio before the barge-in only: none names audio the caller
    # was never going to hear.
    assert heard.clear_at is not None and heard.first_audio_at is not None
    assert "the session reported an error" not in hub.log(), "the truncate was refused"


def test_dtmf_keys_reach_the_conversation(hub):
    caller = "+15550100030"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(SILENCE_FRAME * 10, pace=0.005)
        for digit in "2040#":
            await peer.send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": digit}})
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    heard = run(scenario())
    assert len(heard.audio) > 0
    ready = session_ready(hub, caller)
    assert ready["history"][-1]["user"] == "2040"


def test_bad_messages_are_dropped_and_the_call_goes_on(hub):
    caller = "+15550100040"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.ws.send("this is not json")
        await peer.ws.send(json.dumps({"event": "no-such-event"}))
        await peer.ws.send(json.dumps({"event": "media", "media": {"track": "inbound"}}))
        await peer.ws.send(json.dumps({"event": "dtmf", "dtmf": {"digit": "12"}}))
        await peer.ws.send(json.dumps({"event": "start", "start": {"streamSid": "MZother"}}))
        await peer.ws.send(b"\x00\x01binary")
        await peer.ws.send(json.dumps([1, 2, 3]))
        await peer.speak(spoken_mulaw(QUESTION), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    heard = run(scenario())
    assert len(heard.audio) / 8000 > 1.0
    with urllib.request.urlopen(f"{hub.http_base}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    for reason in ("twilio_invalid_message", "twilio_invalid_media", "twilio_invalid_dtmf",
                   "twilio_duplicate_start", "twilio_binary_frame"):
        assert f'reason="{reason}"' in metrics, reason


def test_a_stream_in_another_audio_format_is_ended(hub):
    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, "+15550100050",
                                        media_format={"encoding": "audio/x-l16", "sampleRate": 16000, "channels": 1})
        await asyncio.wait_for(peer.ws.wait_closed(), 10)
        await peer.close()
        return peer.ws.close_code, peer.ws.close_reason
    code, reason = run(scenario())
    assert code == 1003
    assert "audio/x-mulaw" in reason


def metric(hub, name: str) -> float:
    with urllib.request.urlopen(f"{hub.http_base}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    return 0.0


async def closed_stream(hub, parameters: dict, call_sid: str) -> tuple[int, str, int]:
    """Opens a (signed-upgrade) stream with these parameters; how the hub closed it."""
    peer = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=call_sid)
    await asyncio.wait_for(peer.ws.wait_closed(), 10)
    await peer.close()
    return peer.ws.close_code, peer.ws.close_reason, len(peer.heard.audio)


def test_a_replayed_stream_with_a_changed_caller_is_refused(hub):
    """With a token, only the webhook's signed parameters prove a caller: a replayed stream that
    claims another number, one without the signature and one used twice are closed with 1008."""
    victim, attacker = "+15550100080", "+15550100081"
    url, parameters, call_sid = fetch_twiml(hub.http_base, attacker)
    forged_before = metric(hub, 'switchboard_twilio_caller_total{outcome="forged"}')

    # The attacker's own signed parameters, with the victim's number: refused, nothing heard.
    code, reason, heard = run(closed_stream(hub, dict(parameters, **{"from": victim}), call_sid))
    assert (code, heard) == (1008, 0), reason
    assert "signature" in reason
    # The same parameters on a stream of another call.
    code, reason, _ = run(closed_stream(hub, parameters, "CA" + "f" * 32))
    assert code == 1008, reason
    # No signature at all.
    code, reason, _ = run(closed_stream(hub, {"from": victim, "callSid": call_sid}, call_sid))
    assert code == 1008 and "no signature" in reason, reason
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="forged"}') >= forged_before + 2
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="missing"}') >= 1

    # The genuine stream still starts (the refusals did not use its nonce up) ...
    async def genuine():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=call_sid)
        await peer.speak(SILENCE_FRAME * 5, pace=0.005)
        await asyncio.sleep(0.5)
        open_ = peer.ws.close_code is None
        await peer.stop()
        return open_
    assert run(genuine()), "the signed stream was closed"
    # ... once: replaying it exactly is refused.
    code, reason, _ = run(closed_stream(hub, parameters, call_sid))
    assert code == 1008 and "already used" in reason, reason
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="replayed"}') >= 1
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="verified"}') >= 1


@pytest.fixture(scope="module")
def keyless_hub(tmp_path_factory: pytest.TempPathFactory):
    instance = start_hub(tmp_path_factory.mktemp("keyless-phone-hub"), "twilio-keyless", [], twilio_token=False)
    yield instance
    stop_hub(instance)


def sessions_started(hub, since: int) -> list[str]:
    """The hub's `session started` log lines after byte `since` of its log."""
    return [line for line in hub.log()[since:].splitlines() if "session started" in line]


def test_a_keyless_hub_gives_an_unsigned_stream_a_session_of_its_own(keyless_hub):
    """On a loopback hub with no token, a stream without the signed parameters goes on
    unverified: it gets a fresh session, never the claimed number's history. (Read from the
    hub's log: a phone number's session can no longer be opened from /realtime.)"""
    hub = keyless_hub
    caller = "+15551230001"

    async def call(peer_factory, words):
        peer = await peer_factory()
        await peer.speak(spoken_mulaw(words), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    def call_logged(peer_factory, words) -> list[str]:
        since = len(hub.log())
        heard = run(call(peer_factory, words))
        assert len(heard.audio) > 0, "no answer"
        time.sleep(1.0)  # the session is saved as the call ends
        started = sessions_started(hub, since)
        assert len(started) == 1, started
        return started[0]

    # Through the webhook (signed with the process's key): the number keys the session, and
    # calling back the same way resumes it.
    assert "session.resumed=false" in call_logged(lambda: TwilioPeer.connect(hub.ws_base, caller), QUESTION)
    assert "session.resumed=true" in call_logged(lambda: TwilioPeer.connect(hub.ws_base, caller), "What gate does it leave from")
    # A raw stream claiming the number without the signature: the call goes on, in a fresh session.
    raw = call_logged(lambda: TwilioPeer.connect_with(hub.ws_base, {"from": caller}), "What gate does it leave from")
    assert "session.resumed=false" in raw, raw
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="missing"}') == 1
    assert metric(hub, 'switchboard_twilio_caller_total{outcome="verified"}') == 2
    assert "the Twilio stream's caller is not proven" in hub.log()


def post_call(hub, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(f"{hub.http_base}/calls", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **ADMIN_HEADERS})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_outbound_call_through_twilio_opens_with_the_agent_and_its_purpose(hub, twilio_api):
    from conftest import AUTH_TOKEN, TWILIO_ACCOUNT, TWILIO_FROM
    callee = "+15550100060"
    status, answer = post_call(hub, {"to": callee, "agent": "hotel", "purpose": "your stay at the Harbor View Hotel"})
    assert status == 202, answer
    assert answer["via"] == "twilio" and answer["session_key"] == callee
    request = twilio_api.requests[-1]
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Calls.json"
    expected = "Basic " + base64.b64encode(f"{TWILIO_ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
    assert request["headers"]["Authorization"] == expected
    assert request["form"]["To"] == [callee] and request["form"]["From"] == [TWILIO_FROM]
    stream = ET.fromstring(request["form"]["Twiml"][0]).find("./Connect/Stream")
    assert stream.get("url") == f"{hub.ws_base}/twilio/media"
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    signed = {"expires", "nonce", "signature"}
    assert {k: v for k, v in parameters.items() if k not in signed | {"placed_at"}} == {
        "from": callee, "direction": "outbound", "agent": "hotel", "purpose": "your stay at the Harbor View Hotel",
        "record": answer["record_id"]}
    assert signed <= set(parameters), "the callee's number is signed"
    assert request["form"]["Timeout"] == ["60"]
    assert request["form"]["StatusCallback"] == [f"{hub.http_base}/twilio/status?record={answer['record_id']}"]
    # The record starts as the call is dialled.
    ringing = [r for r in call_records(hub, number=callee) if r["id"] == answer["record_id"]]
    assert ringing and ringing[0]["answered_at"] is None and ringing[0]["ended_at"] is None, ringing

    # A stream claiming another callee with those parameters is refused.
    async def forged():
        peer = await TwilioPeer.connect_with(hub.ws_base, dict(parameters, **{"from": "+15550100069"}), call_sid=answer["call_id"])
        await asyncio.wait_for(peer.ws.wait_closed(), 10)
        await peer.close()
        return peer.ws.close_code
    assert run(forged()) == 1008

    # Twilio connects the answered call to the stream with those parameters: the agent speaks first.
    async def scenario():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=answer["call_id"])
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    heard = run(scenario())
    assert len(heard.audio) / 8000 > 1.5
    ready = session_ready(hub, callee)
    assert ready["agent"] == "hotel"
    assert "calling about your stay at the Harbor View Hotel" in ready["history"][-1]["assistant"]
    # The answered call's session went on with the record made when it was dialled.
    record = wait_call_record(hub, callee)
    assert record["id"] == answer["record_id"] and record["direction"] == "outbound", record
    assert record["started_at"] <= record["answered_at"] <= record["ended_at"], record
    # Twilio's final status for an answered call changes nothing.
    from twilio_peer import twilio_post
    twilio_post(request["form"]["StatusCallback"][0], {"CallSid": answer["call_id"], "CallStatus": "completed"})
    assert wait_call_record(hub, callee)["end_reason"] == record["end_reason"]


def test_a_placed_call_nobody_takes_is_a_record_that_says_why(hub, twilio_api):
    from twilio_peer import twilio_post
    for callee, status, reason in (("+15550100061", "busy", "busy"), ("+15550100062", "no-answer", "no_answer"),
                                   ("+15550100063", "failed", "failed")):
        code, answer = post_call(hub, {"to": callee, "agent": "hotel", "ring_timeout": 20})
        assert code == 202, answer
        request = twilio_api.requests[-1]
        assert request["form"]["Timeout"] == ["20"]
        twilio_post(request["form"]["StatusCallback"][0], {"CallSid": answer["call_id"], "CallStatus": status})
        record = wait_call_record(hub, callee)
        assert record["id"] == answer["record_id"] and record["end_reason"] == reason, record
        assert record["answered_at"] is None and record["provider_call_id"] == answer["call_id"], record
    assert post_call(hub, {"to": "+15550100064", "ring_timeout": 2})[0] == 400


def test_outbound_call_requests_are_checked(hub):
    assert post_call(hub, {"to": "12345"})[0] == 400
    assert post_call(hub, {"to": "+15550100061", "agent": "nobody"})[0] == 400
    assert "unknown agent" in post_call(hub, {"to": "+15550100061", "agent": "nobody"})[1]["error"]["message"]
    assert post_call(hub, {"agent": "flight"})[0] == 400
    assert post_call(hub, {"to": "+15550100061", "via": "sip"})[0] == 503, "this hub runs no SIP bridge"
    assert post_call(hub, {"to": "+15550100061", "via": "pigeon"})[0] == 400


EXTREME_FORMATS = [
    {"encoding": "audio/x-mulaw", "sampleRate": 1e19, "channels": 1},
    {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": -1},
    {"encoding": "audio/x-mulaw", "sampleRate": 8000.5, "channels": 1},
    {"encoding": "audio/x-mulaw", "sampleRate": "8000", "channels": 1e400},
    {"encoding": "x" * 100_000, "sampleRate": -9223372036854775809, "channels": 18446744073709551616},
]


def test_extreme_stream_messages_never_stop_the_hub(hub):
    """A `start` with extreme numbers ends its stream (1003 and the reason); extreme or garbage
    fields elsewhere are dropped; the hub stays healthy and the next call completes."""

    async def extreme_start(media_format):
        # json.dumps writes 1e400 as Infinity, which is not JSON: write that one by hand.
        peer = await TwilioPeer.connect(hub.ws_base, "+15550100070", media_format=media_format) \
            if media_format.get("channels") != 1e400 else await raw_start(media_format)
        await asyncio.wait_for(peer.ws.wait_closed(), 10)
        await peer.close()
        return peer.ws.close_code, peer.ws.close_reason

    async def raw_start(media_format):
        url = f"{hub.ws_base}/twilio/media"
        ws = await websockets.connect(url, additional_headers={"X-Twilio-Signature": twilio_signature(url)})
        text = json.dumps({"event": "start", "start": {"streamSid": "MZextreme", "mediaFormat": {**media_format, "channels": 0}}})
        await ws.send(text.replace('"channels": 0', '"channels": 1e400'))
        return TwilioPeer(ws, "MZextreme")

    for media_format in EXTREME_FORMATS:
        code, reason = run(extreme_start(media_format))
        assert code == 1003, (media_format.get("sampleRate"), code, reason)
        assert "audio/x-mulaw" in reason
        assert len(reason.encode()) <= 123
        with urllib.request.urlopen(f"{hub.http_base}/healthz", timeout=5) as response:
            assert response.status == 200

    caller = "+15550100071"

    async def garbage_then_a_call():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        for message in [
            {"event": "media", "sequenceNumber": 1e19, "media": {"track": "inbound", "chunk": -1e19, "timestamp": "9" * 40,
                                                                  "payload": base64.b64encode(SILENCE_FRAME).decode()}},
            {"event": "media", "media": {"track": "inbound", "payload": "A"}},
            {"event": "media", "media": {"track": "inbound", "payload": "@@@@"}},
            {"event": "media", "media": {"track": "inbound", "payload": "//8"}},
            {"event": "mark", "mark": {"name": "m" * 1_000_000}},
            {"event": "mark", "mark": {"name": 1e19}},
            {"event": "dtmf", "dtmf": {"digit": 1e19}},
            {"event": "start", "start": {"streamSid": "MZ" + "9" * 100_000, "mediaFormat": {"sampleRate": 1e19}}},
        ]:
            await peer.send(message)
        await peer.speak(spoken_mulaw(QUESTION), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        heard = await peer.wait_for_answer()
        await peer.stop()
        return heard

    heard = run(garbage_then_a_call())
    assert len(heard.audio) / 8000 > 1.0, "the call after the garbage got no answer"
    with urllib.request.urlopen(f"{hub.http_base}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    for reason in ("twilio_unsupported_media_format", "twilio_invalid_audio", "twilio_invalid_mark", "twilio_duplicate_start"):
        assert f'reason="{reason}"' in metrics, reason
    assert hub.process.poll() is None, "the hub stopped"


def call_records(hub, **query) -> list[dict]:
    url = f"{hub.http_base}/v1/calls?" + urllib.parse.urlencode(dict(query, limit=100))
    with urllib.request.urlopen(urllib.request.Request(url, headers=ADMIN_HEADERS), timeout=10) as response:
        return json.loads(response.read())["data"]


def wait_call_record(hub, number: str, ended: bool = True, seconds: float = 15) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [r for r in call_records(hub, number=number) if (r["ended_at"] is not None) == ended]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no {'ended' if ended else 'ongoing'} call record for {number}: {call_records(hub, number=number)}")


def test_a_call_is_a_record_with_the_caller_and_its_transcript(hub):
    caller = "+15550100070"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(spoken_mulaw(QUESTION), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        await peer.wait_for_answer()
        await peer.stop()
        return peer.call_sid

    call_sid = run(scenario())
    record = wait_call_record(hub, caller)
    assert record["channel"] == "twilio" and record["direction"] == "inbound" and record["from"] == caller
    assert record["to"] == "+15550199999", "the number dialled, from the signed webhook"
    assert record["provider_call_id"] == call_sid and record["session_key"] == caller
    assert record["answered_at"] == record["started_at"] and record["end_reason"] == "caller_hung_up"
    assert [t["role"] for t in record["transcript"]][:2] == ["user", "assistant"], record["transcript"]
    assert "SB204" in record["transcript"][0]["text"]
    assert any(t["name"] == "check_flight_status" and t["outcome"] == "ok" for t in record["tool_calls"])
    # Without --prices nothing costs anything, but the call's minute is counted.
    assert record["cost"]["usage"]["billed_minutes"] == 1 and record["cost"]["total"] == 0
    # The embedded model costs no money but CPU: its recognition and synthesis of this call.
    assert 0 < record["cost"]["usage"]["model_cpu_seconds"] < 60, record["cost"]


def test_the_agent_hangs_up_after_its_goodbye_has_played(hub):
    caller = "+15550100071"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(spoken_mulaw("Goodbye"), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        await asyncio.wait_for(peer.ws.wait_closed(), 30)
        closed_at = time.monotonic()
        await peer.close()
        return peer, closed_at

    peer, closed_at = run(scenario())
    assert peer.ws.close_code == 1000
    assert len(peer.heard.audio) / 8000 > 0.8, "the goodbye was spoken"
    assert peer.heard.marks and set(peer.heard.marks) == set(peer.heard.echoed), "every mark played before the hang-up"
    assert closed_at >= peer.play_until - 0.1, "the stream ended only after the goodbye played"
    record = wait_call_record(hub, caller)
    assert record["end_reason"] == "agent_ended", record
    assert any(t["name"] == "end_call" for t in record["tool_calls"])


def ask_twilio_for_a_person(hub, twilio_api, caller: str) -> tuple[TwilioPeer, float, dict]:
    """A Twilio call whose caller asks for a person, until the hub updates the call: the
    stream, when the update came, and the update request."""
    before = len(twilio_api.requests)

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(spoken_mulaw("I want to talk to a person"), pace=0.005)
        await peer.speak(SILENCE_FRAME * 50, pace=0.005)
        deadline = time.monotonic() + 30
        while len(twilio_api.requests) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        updated_at = time.monotonic()
        # Twilio ends the stream once it has the call.
        await peer.stop()
        return peer, updated_at

    peer, updated_at = run(scenario())
    assert len(twilio_api.requests) == before + 1, "Twilio was asked to move the call"
    return peer, updated_at, twilio_api.requests[-1]


def test_a_cold_transfer_hands_the_call_to_twilio_after_the_agent_says_so(hub, twilio_api):
    from conftest import TWILIO_ACCOUNT, TWILIO_FROM
    caller = "+15550100072"
    peer, updated_at, request = ask_twilio_for_a_person(hub, twilio_api, caller)
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT}/Calls/{peer.call_sid}.json"
    twiml = request["form"]["Twiml"][0]
    dial = ET.fromstring(twiml).find("./Dial")
    assert dial is not None and dial.find("Number").text == "+15550100199" and dial.get("callerId") == TWILIO_FROM
    assert dial.find("Number").get("url") is None, "a cold transfer says nothing to the person first"
    assert dial.get("action", "").startswith(f"{hub.http_base}/twilio/transfer-result?record=call_")
    assert len(peer.heard.audio) / 8000 > 1.0, "the agent said it was transferring"
    assert updated_at >= peer.play_until - 0.1, "the transfer waited for the agent's words to play"
    # Until Twilio reports the dial, the transfer is under way.
    record = wait_call_record(hub, caller)
    assert record["end_reason"] == "transferred" and record["transfers"][0]["outcome"] is None, record
    # The person answered and the call ended: Twilio hangs up the caller's leg.
    reported = run_dial(twiml, peer.call_sid, "completed")
    assert ET.fromstring(reported["action"]).find("./Hangup") is not None, reported
    deadline = time.monotonic() + 10
    while record["transfers"][0]["outcome"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        record = wait_call_record(hub, caller)
    transfer = record["transfers"][0]
    assert transfer["destination"] == "customer_service" and transfer["to"] == "+15550100199"
    assert (transfer["mode"], transfer["method"], transfer["outcome"]) == ("cold", "twilio_dial", "completed"), transfer
    assert transfer["ended_at"] >= transfer["started_at"]


def test_a_transfer_nobody_answers_brings_the_caller_back_to_the_agent(hub, twilio_api):
    caller = "+15550100074"
    peer, _, request = ask_twilio_for_a_person(hub, twilio_api, caller)
    twiml = request["form"]["Twiml"][0]
    reported = run_dial(twiml, peer.call_sid, "no-answer")
    stream = ET.fromstring(reported["action"]).find("./Connect/Stream")
    assert stream is not None, reported
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["from"] == caller and parameters["notice"] == "transfer_failed", parameters

    async def back():
        # The same call, on a new stream of the caller's session: the agent speaks first.
        back = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=peer.call_sid)
        heard = await back.wait_for_answer(timeout=20)
        await back.stop()
        return heard

    heard = run(back())
    assert len(heard.audio) / 8000 > 1.0, "the agent told the caller nobody answered"
    records = call_records(hub, number=caller)
    first = [r for r in records if r["transfers"]]
    assert first and first[0]["transfers"][0]["outcome"] == "failed", records
    assert "no-answer" in first[0]["transfers"][0]["error"], first[0]
    # The return is a call record of its own, on the same session, that says what the agent said.
    returned = [r for r in records if not r["transfers"]]
    assert returned and returned[0]["session_key"] == caller, records
    assert any("could not put you through" in t["text"] for t in returned[0]["transcript"] if t["role"] == "assistant"), returned[0]["transcript"]


def test_a_signed_transfer_result_is_required(hub):
    url = f"{hub.http_base}/twilio/transfer-result?record=call_{'0' * 32}&key=%2B15550100075"
    params = {"CallSid": "CA" + "1" * 32, "DialCallStatus": "no-answer"}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Twilio-Signature": twilio_signature(url, params, token="not-the-token")})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    whisper = f"{hub.http_base}/twilio/whisper?text=Hello"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(whisper, data=b"CallSid=CA1", method="POST"), timeout=10)
    assert refused.value.code == 403


@pytest.fixture(scope="module")
def warm_twilio_hub(tmp_path_factory: pytest.TempPathFactory, twilio_api):
    """A hub whose travel desk puts callers through warm, through Twilio."""
    import shutil
    from conftest import REPO_ROOT, TWILIO_ACCOUNT, TWILIO_FROM
    packs = tmp_path_factory.mktemp("warm-packs")
    shutil.copytree(REPO_ROOT / "Personas" / "travel", packs / "travel")
    tool = packs / "travel" / "tools" / "transfer_call.yaml"
    tool.write_text(tool.read_text().replace("      message:", "      mode: warm\n      message:"))
    instance = start_hub(tmp_path_factory.mktemp("warm-twilio-hub"), "warm-twilio", [
        "--twilio-account-sid", TWILIO_ACCOUNT, "--twilio-from", TWILIO_FROM, "--twilio-api-url", twilio_api.url], packs=packs)
    yield instance
    stop_hub(instance)


def test_a_warm_transfer_through_twilio_tells_the_person_about_the_call_first(warm_twilio_hub, twilio_api):
    caller = "+15550100076"
    peer, _, request = ask_twilio_for_a_person(warm_twilio_hub, twilio_api, caller)
    twiml = request["form"]["Twiml"][0]
    number = ET.fromstring(twiml).find("./Dial/Number")
    assert number.get("url", "").startswith(f"{warm_twilio_hub.http_base}/twilio/whisper?text="), twiml
    reported = run_dial(twiml, peer.call_sid, "completed")
    said = ET.fromstring(reported["whisper"]).find("./Say").text
    assert "5 5 5 0 1 0 0 0 7 6" in said and "They said:" in said and "person" in said.split("They said:")[1], said
    assert said.endswith("Connecting you now."), said
    record = wait_call_record(warm_twilio_hub, caller)
    deadline = time.monotonic() + 10
    while record["transfers"][0]["outcome"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        record = wait_call_record(warm_twilio_hub, caller)
    transfer = record["transfers"][0]
    assert (transfer["mode"], transfer["method"], transfer["outcome"]) == ("warm", "twilio_dial", "completed"), transfer


def test_keys_the_caller_presses_are_in_the_call_record(hub):
    caller = "+15550100073"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(SILENCE_FRAME * 10, pace=0.005)
        for digit in "42#":
            await peer.send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": digit}})
        await peer.wait_for_answer()
        await peer.stop()

    run(scenario())
    record = wait_call_record(hub, caller)
    assert [entry["digits"] for entry in record["dtmf"]] == ["42"], record["dtmf"]
    assert record["transcript"][0] == {**record["transcript"][0], "role": "user", "text": "42"}


@pytest.fixture(scope="module")
def quiet_hub(tmp_path_factory: pytest.TempPathFactory):
    """A hub whose pack reprompts a quiet caller after 3 s and hangs up 3 s later."""
    import shutil
    from conftest import REPO_ROOT
    packs = tmp_path_factory.mktemp("quiet-packs")
    shutil.copytree(REPO_ROOT / "Personas" / "travel", packs / "travel")
    manifest = packs / "travel" / "pack.yaml"
    manifest.write_text(manifest.read_text() + "\nidle:\n  reprompt_after: 3s\n  reprompt: Hello, are you still with me?\n"
                        "  hang_up_after: 3s\n  goodbye: I will hang up now. Goodbye!\n")
    instance = start_hub(tmp_path_factory.mktemp("quiet-hub"), "quiet", [], packs=packs)
    yield instance
    stop_hub(instance)


def test_a_quiet_caller_is_asked_then_hung_up_on(quiet_hub):
    caller = "+15550100074"

    async def scenario():
        peer = await TwilioPeer.connect(quiet_hub.ws_base, caller)
        started = time.monotonic()
        sender = peer.keep_line_open()
        try:
            await asyncio.wait_for(peer.ws.wait_closed(), 40)
        finally:
            sender.cancel()
        closed = time.monotonic() - started
        await peer.close()
        return peer, closed

    peer, closed = run(scenario())
    assert peer.ws.close_code == 1000
    assert closed >= 6, f"closed after {closed:.1f} s"
    assert len(peer.heard.audio) / 8000 > 2, "the reprompt and the goodbye were spoken"
    record = wait_call_record(quiet_hub, caller)
    assert record["end_reason"] == "timeout", record


def test_a_voicemail_gets_the_message_after_the_beep(hub, twilio_api):
    from audio import tone_mulaw
    callee = "+15550100080"
    message = "Hello, this is Switchboard Air about your flight tomorrow. Please call us back. Goodbye."
    post_call(hub, {"to": callee, "agent": "flight", "purpose": "your flight tomorrow",
                    "voicemail": "leave_message", "voicemail_message": message, "machine_detection": "hub"})
    assert "MachineDetection" not in twilio_api.requests[-1]["form"], "the hub's own detector listens"
    stream = ET.fromstring(twilio_api.requests[-1]["form"]["Twiml"][0]).find("./Connect/Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["voicemail"] == "leave_message" and parameters["voicemail_message"] == message
    greeting = spoken_mulaw("Hi, you have reached the voicemail of Sam Taylor. I cannot take your call right now. "
                            "Please leave your name and number after the tone and I will call you back.", tail_ms=300)

    async def scenario():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters)
        started = time.monotonic()
        await peer.speak(greeting, pace=0.02)
        await peer.speak(tone_mulaw(1000, 0.5), pace=0.02)
        beep_ended = time.monotonic()
        sender = peer.keep_line_open()
        try:
            await asyncio.wait_for(peer.ws.wait_closed(), 40)
        finally:
            sender.cancel()
        await peer.close()
        return peer, started, beep_ended

    peer, started, beep_ended = run(scenario())
    assert peer.heard.first_audio_at is not None and peer.heard.first_audio_at >= beep_ended - 0.1, \
        "the agent stayed quiet through the greeting and spoke after the beep"
    assert len(peer.heard.audio) / 8000 > 3, "the message was left"
    assert peer.ws.close_code == 1000
    record = wait_call_record(hub, callee)
    assert record["direction"] == "outbound" and record["to"] == callee
    assert record["answered_by"] == "machine" and record["end_reason"] == "voicemail", record


def test_a_person_who_answers_hears_the_agent(hub, twilio_api):
    callee = "+15550100081"
    post_call(hub, {"to": callee, "agent": "hotel", "purpose": "your stay", "voicemail": "hang_up", "machine_detection": "hub"})
    stream = ET.fromstring(twilio_api.requests[-1]["form"]["Twiml"][0]).find("./Connect/Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}

    async def scenario():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters)
        await peer.speak(spoken_mulaw("Hello?", tail_ms=200), pace=0.02)
        sender = peer.keep_line_open()
        try:
            heard = await peer.wait_for_answer(timeout=20)
        finally:
            sender.cancel()
        await peer.stop()
        return heard

    heard = run(scenario())
    assert len(heard.audio) / 8000 > 1.5, "the agent spoke to the person"
    record = wait_call_record(hub, callee)
    assert record["answered_by"] == "human", record
    assert "calling about your stay" in " ".join(t["text"] for t in record["transcript"] if t["role"] == "assistant")


def twilio_amd_call(hub, twilio_api, callee: str, body: dict) -> tuple[dict, dict, dict]:
    """A placed call with Twilio's answering machine detection: the POST's answer, the Calls.json
    form, and the stream's parameters."""
    code, answer = post_call(hub, dict(body, to=callee))
    assert code == 202, answer
    form = twilio_api.requests[-1]["form"]
    assert form["MachineDetection"] == ["DetectMessageEnd"] and form["AsyncAmd"] == ["true"], form
    assert form["AsyncAmdStatusCallback"] == [f"{hub.http_base}/twilio/amd"], form
    stream = ET.fromstring(form["Twiml"][0]).find("./Connect/Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert parameters["amd"] == "twilio"
    return answer, form, parameters


def test_twilio_says_a_machine_answered_and_the_message_is_left_after_its_beep(hub, twilio_api):
    from twilio_peer import twilio_post
    callee = "+15550100082"
    message = "Hello, this is Switchboard Air about your flight tomorrow. Please call us back. Goodbye."
    answer, form, parameters = twilio_amd_call(hub, twilio_api, callee, {"agent": "flight", "voicemail": "leave_message",
                                                                         "voicemail_message": message})

    async def scenario():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=answer["call_id"])
        sender = peer.keep_line_open()
        try:
            # A long greeting plays; the agent stays quiet until Twilio reports its end.
            await asyncio.sleep(3)
            quiet = peer.heard.first_audio_at is None
            reported = time.monotonic()
            await asyncio.to_thread(twilio_post, form["AsyncAmdStatusCallback"][0],
                                    {"CallSid": answer["call_id"], "AnsweredBy": "machine_end_beep", "MachineDetectionDuration": "2900"})
            await asyncio.wait_for(peer.ws.wait_closed(), 40)
        finally:
            sender.cancel()
        await peer.close()
        return peer, quiet, reported

    peer, quiet, reported = run(scenario())
    assert quiet, "the agent said nothing before Twilio said who answered"
    assert peer.heard.first_audio_at >= reported and len(peer.heard.audio) / 8000 > 3, "the message was left"
    assert peer.ws.close_code == 1000
    record = wait_call_record(hub, callee)
    assert record["answered_by"] == "machine" and record["end_reason"] == "voicemail", record


def test_twilio_says_a_person_answered_and_the_agent_speaks(hub, twilio_api):
    from twilio_peer import twilio_post
    callee = "+15550100083"
    answer, form, parameters = twilio_amd_call(hub, twilio_api, callee, {"agent": "hotel", "purpose": "your stay", "voicemail": "hang_up"})
    # Twilio's report can come before the stream starts: it waits for the call.
    twilio_post(form["AsyncAmdStatusCallback"][0], {"CallSid": answer["call_id"], "AnsweredBy": "human"})

    async def scenario():
        peer = await TwilioPeer.connect_with(hub.ws_base, parameters, call_sid=answer["call_id"])
        sender = peer.keep_line_open()
        try:
            heard = await peer.wait_for_answer(timeout=20)
        finally:
            sender.cancel()
        await peer.stop()
        return heard

    heard = run(scenario())
    assert len(heard.audio) / 8000 > 1.5, "the agent spoke to the person"
    record = wait_call_record(hub, callee)
    assert record["answered_by"] == "human", record
    assert post_call(hub, {"to": "+15550100084", "voicemail": "hang_up", "machine_detection": "ears"})[0] == 400


def test_voicemail_settings_are_checked(hub):
    for body, message in [({"voicemail": "leave_message"}, "voicemail_message"), ({"voicemail": "shout"}, "ignore, hang_up or leave_message"),
                          ({"voicemail": "leave_message", "voicemail_message": "x" * 501}, "at most 500")]:
        status, answer = post_call(hub, dict(body, to="+15550100082"))
        assert status == 400 and message in answer["error"]["message"], answer


@pytest.fixture(scope="module")
def recording_hub(tmp_path_factory: pytest.TempPathFactory):
    """A hub whose pack records calls (`recording: {enabled: true}`) into a folder not yet made;
    the recognizer knows the refusal."""
    import shutil
    from conftest import REPO_ROOT
    packs = tmp_path_factory.mktemp("recording-packs")
    shutil.copytree(REPO_ROOT / "Personas" / "travel", packs / "travel")
    manifest = packs / "travel" / "pack.yaml"
    text = manifest.read_text()
    assert "\n  templates:\n" in text
    text = text.replace("\n  templates:\n", '\n  templates:\n    - "do not record"\n    - "please do not record this call"\n', 1)
    manifest.write_text(text + "\nrecording: {enabled: true}\n")
    folder = tmp_path_factory.mktemp("recording-hub") / "calls" / "recorded"
    instance = start_hub(tmp_path_factory.mktemp("recording-hub"), "recording", ["--recordings", str(folder)], packs=packs)
    yield instance, folder
    stop_hub(instance)


def wav_channels(path) -> tuple[bytes, bytes, "wave._wave_params"]:
    """The left and right channels of a 16-bit stereo WAV file, as 16-bit mono PCM."""
    import wave
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        frames = wav.readframes(params.nframes)
    left = b"".join(frames[i:i + 2] for i in range(0, len(frames), 4))
    right = b"".join(frames[i + 2:i + 4] for i in range(0, len(frames), 4))
    return left, right, params


def first_loud_second(pcm: bytes, threshold: float = 300.0) -> float | None:
    import struct
    step = 160 * 2
    for offset in range(0, len(pcm) - step + 1, step):
        samples = struct.unpack("<160h", pcm[offset:offset + step])
        if (sum(s * s for s in samples) / 160) ** 0.5 > threshold:
            return offset / 2 / 8000
    return None


def test_a_recording_call_is_a_stereo_wav_with_the_caller_left_and_the_agent_right(recording_hub):
    import os
    import stat
    from pcm_level import loud_seconds
    hub, folder = recording_hub
    caller = "+15550100080"
    question = spoken_mulaw(QUESTION)

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        # The agent speaks the notice first, with nobody talking.
        await peer.wait_for_answer()
        notice = len(peer.heard.audio)
        await asyncio.sleep(max(0.0, peer.play_until - time.monotonic()))
        # The caller asks in real time, as a phone does.
        await peer.speak(question, pace=0.02)
        await peer.speak(SILENCE_FRAME * 25, pace=0.02)
        await peer.wait_for_answer()
        await peer.stop()
        return peer, notice

    peer, notice = run(scenario())
    assert notice / 8000 > 2, "the recording notice was spoken first"
    record = wait_call_record(hub, caller)
    path = folder / f"{record['id']}.wav"
    recording = record["recording"]
    assert recording == {"status": "recorded", "path": str(path), "format": "wav", "channels": {"left": "caller", "right": "agent"},
                         "sample_rate": 8000, "duration_seconds": recording["duration_seconds"], "consent": "notice_given"}, recording
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    left, right, params = wav_channels(path)
    assert (params.nchannels, params.sampwidth, params.framerate) == (2, 2, 8000)
    assert abs(params.nframes / 8000 - recording["duration_seconds"]) < 0.01
    heard = len(peer.heard.audio) / 8000
    # The caller's words on the left, about as long as they were; the agent's on the right, no
    # more than the caller heard.
    spoken = loud_seconds(bytes(mulaw_pcm(question)), 8000)
    assert abs(loud_seconds(left, 8000) - spoken) < 0.5, (loud_seconds(left, 8000), spoken)
    assert 2 < loud_seconds(right, 8000) <= heard + 0.1, (loud_seconds(right, 8000), heard)
    # Aligned: the notice (right) came before the caller spoke (left), who spoke after it ended.
    agent_starts, caller_starts = first_loud_second(right), first_loud_second(left)
    assert agent_starts is not None and caller_starts is not None
    assert caller_starts - agent_starts >= notice / 8000 - 0.5, (agent_starts, caller_starts, notice / 8000)


def mulaw_pcm(mulaw: bytes) -> bytearray:
    import struct
    from audio import mulaw_to_linear
    out = bytearray()
    for byte in mulaw:
        out += struct.pack("<h", mulaw_to_linear(byte))
    return out


def test_a_recording_refused_by_the_caller_is_deleted(recording_hub):
    hub, folder = recording_hub
    caller = "+15550100081"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.wait_for_answer()
        await asyncio.sleep(max(0.0, peer.play_until - time.monotonic()))
        ongoing = wait_call_record(hub, caller, ended=False)
        made = (folder / f"{ongoing['id']}.wav").exists()
        await peer.speak(spoken_mulaw("Please do not record this call"), pace=0.02)
        deadline = time.monotonic() + 20
        while "the caller refused the recording" not in hub.log() and time.monotonic() < deadline:
            await peer.speak(SILENCE_FRAME * 5, pace=0.02)
        await peer.speak(SILENCE_FRAME * 25, pace=0.02)
        await peer.stop()
        return ongoing, made

    ongoing, made = run(scenario())
    assert made, "the call was being recorded before the caller refused"
    record = wait_call_record(hub, caller)
    assert record["id"] == ongoing["id"]
    assert record["recording"] == {"status": "refused", "path": None}, record["recording"]
    assert not (folder / f"{record['id']}.wav").exists()
    assert any(t["role"] == "user" and "do not record" in t["text"].lower() for t in record["transcript"]), record["transcript"]


@pytest.fixture(scope="module")
def webhooks():
    """A real HTTP endpoint that keeps every webhook the hub POSTs."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    server.shutdown()


@pytest.fixture(scope="module")
def webhook_hub(tmp_path_factory: pytest.TempPathFactory, twilio_api, webhooks):
    from conftest import TWILIO_ACCOUNT, TWILIO_FROM
    url, _ = webhooks
    instance = start_hub(tmp_path_factory.mktemp("webhook-hub"), "webhooks", [
        "--twilio-account-sid", TWILIO_ACCOUNT, "--twilio-from", TWILIO_FROM, "--twilio-api-url", twilio_api.url,
        "--webhook", url, "--webhook-secret", "phone-test-webhook-secret"])
    yield instance
    stop_hub(instance)


def test_a_transferred_calls_webhooks_come_in_order_and_signed(webhook_hub, webhooks, twilio_api):
    import hashlib
    import hmac
    _, received = webhooks
    caller = "+15550100090"

    peer, _, request = ask_twilio_for_a_person(webhook_hub, twilio_api, caller)
    # The person answers; Twilio reports the dial once the stream has ended.
    time.sleep(1)
    run_dial(request["form"]["Twiml"][0], peer.call_sid, "completed")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        events = [json.loads(body) for _, body in received if json.loads(body)["data"]["from"] == caller]
        if len(events) >= 6:
            break
        time.sleep(0.2)
    # Deliveries run side by side, so they may arrive out of order; their times say the order.
    # Twilio reports the transfer's outcome after the agent's part of the call has ended.
    expected = ["call.started", "call.answered", "transfer.started", "call.ended", "call.analyzed", "transfer.completed"]
    assert sorted(event["type"] for event in events) == sorted(expected), [event["type"] for event in events]
    events.sort(key=lambda event: (event["created_at"], expected.index(event["type"])))
    assert [event["type"] for event in events] == expected
    for headers, body in received:
        parts = dict(part.split("=", 1) for part in headers["switchboard-signature"].split(","))
        expected = hmac.new(b"phone-test-webhook-secret", f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, parts["v1"])
    final = events[-1]["data"]
    assert final["end_reason"] == "transferred" and final["transfers"][0]["outcome"] == "completed"
    assert final["analysis"]["fields"]["asked_for_a_person"] is True
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "transferred-call-webhooks.json").write_text(json.dumps(events, indent=1))


# ---- Following a call: OpenAI's sideband, read-only ----

def test_a_follower_hears_the_call_its_audio_buffer_and_its_keys(hub):
    from conftest import ADMIN_HEADERS
    caller = "+15550100077"

    async def scenario():
        peer = await TwilioPeer.connect(hub.ws_base, caller)
        await peer.speak(SILENCE_FRAME * 5, pace=0.005)
        events: list[dict] = []
        url = f"{hub.ws_base}/realtime?call_id={peer.call_sid}"
        # Only an admin key follows a call; an unknown call is refused.
        for headers, target in (({}, url), (ADMIN_HEADERS, f"{hub.ws_base}/realtime?call_id=CA{'9' * 32}")):
            with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
                await websockets.connect(target, additional_headers=headers)
            assert refused.value.response.status_code == 403
        async with websockets.connect(url, additional_headers=ADMIN_HEADERS, max_size=2**22) as follower:
            async def read():
                async for message in follower:
                    events.append(json.loads(message))
            reader = asyncio.create_task(read())
            while not events:
                await asyncio.sleep(0.02)
            # It only listens.
            await follower.send(json.dumps({"type": "response.create"}))
            await peer.speak(spoken_mulaw("What is the status of my hotel reservation H 2 0 4 5 1 8"), pace=0.005)
            await peer.speak(SILENCE_FRAME * 50, pace=0.005)
            while peer.heard.first_audio_at is None:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.6)
            await peer.speak(spoken_mulaw("wait, stop please", lead_ms=0, tail_ms=0), pace=0.02)
            for _ in range(200):
                if peer.heard.clears:
                    break
                await asyncio.sleep(0.02)
            await peer.speak(SILENCE_FRAME * 20, pace=0.02)
            await peer.send({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": "7"}})
            await peer.wait_for_answer()
            # The phone plays the answer out (its marks come back), then the caller hangs up.
            while "output_audio_buffer.stopped" not in [e["type"] for e in events] and time.monotonic() < peer.play_until + 5:
                await asyncio.sleep(0.1)
            await peer.stop()
            # The call's end closes the follower.
            await asyncio.wait_for(reader, 15)
            return events, follower.close_code

    events, close_code = run(scenario())
    types = [event["type"] for event in events]
    assert types[0] == "hub.call.followed" and events[0]["call"]["provider_call_id"], events[0]
    assert events[0]["call"]["from"] == caller and events[0]["call"]["id"].startswith("call_")
    assert any(e["type"] == "error" and e["error"]["code"] == "read_only" for e in events)
    assert "response.output_audio.delta" in types, "the model's audio reaches the follower"
    started = types.index("output_audio_buffer.started")
    assert events[started]["response_id"].startswith("resp_"), events[started]
    assert "output_audio_buffer.cleared" in types[started:], "the barge-in cleared the phone's audio"
    assert "output_audio_buffer.stopped" in types, " ".join(t for t in types if not t.endswith("delta"))
    assert "response.done" in types, "the hub's own events reach the follower too"
    keys = [e for e in events if e["type"] == "input_audio_buffer.dtmf_event_received"]
    assert [k["event"] for k in keys] == ["7"] and abs(keys[0]["received_at"] - time.time()) < 120, keys
    assert close_code == 1000
