"""A scripted Twilio Media Streams peer: it calls the way Twilio does (the signed voice webhook
first, then the stream its TwiML names: signed upgrade, `connected`, `start` with the TwiML's
parameters and the webhook's CallSid), speaks μ-law in 20 ms `media` frames, plays the hub's
audio on a simulated clock and echoes each `mark` when playback reaches it, and honours `clear`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import websockets

from audio import SILENCE_FRAME

from conftest import AUTH_TOKEN


def twilio_signature(url: str, params: dict[str, str] | None = None, token: str = AUTH_TOKEN) -> str:
    text = url + "".join(k + v for k, v in sorted((params or {}).items()))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def fetch_twiml(http_base: str, caller: str | None, call_sid: str | None = None,
                token: str = AUTH_TOKEN) -> tuple[str, dict[str, str], str]:
    """Posts a signed inbound call to the voice webhook as Twilio does; returns the stream URL,
    the stream's parameters and the CallSid."""
    call_sid = call_sid or "CA" + uuid.uuid4().hex
    params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller or "anonymous",
              "To": "+15550199999", "CallStatus": "ringing", "Direction": "inbound"}
    url = f"{http_base}/twilio/voice"
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Twilio-Signature": twilio_signature(url, params, token)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        stream = ET.fromstring(response.read().decode()).find("./Connect/Stream")
    assert stream is not None
    return stream.get("url"), {p.get("name"): p.get("value") for p in stream.findall("Parameter")}, call_sid


def twilio_post(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """A signed form POST as Twilio makes to a TwiML URL; returns the TwiML answered."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Twilio-Signature": twilio_signature(url, params, token)})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert 200 <= response.status < 300, response.status
        return response.read().decode()


def run_dial(twiml: str, call_sid: str, status: str, answer_whisper: bool = True) -> dict:
    """Does what Twilio does with a call updated to `<Dial>` TwiML: dials (the person answers
    when `status` is completed), fetches the whisper URL's TwiML for the person, and reports the
    dial's end to the action URL. Returns the whisper's and the action's TwiML."""
    dial = ET.fromstring(twiml).find("./Dial")
    assert dial is not None, twiml
    target = dial.find("Number") if dial.find("Number") is not None else dial.find("Sip")
    out = {"to": target.text, "whisper": None, "action": None}
    person_sid = "CA" + uuid.uuid4().hex
    if status == "completed" and answer_whisper and target.get("url"):
        out["whisper"] = twilio_post(target.get("url"), {"CallSid": person_sid, "AccountSid": "AC" + "0" * 32,
                                                          "To": target.text, "CallStatus": "in-progress", "Direction": "outbound-dial"})
    if dial.get("action"):
        out["action"] = twilio_post(dial.get("action"), {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "DialCallStatus": status,
                                                          "DialCallSid": person_sid, "DialCallDuration": "12" if status == "completed" else "0"})
    return out


@dataclass
class Heard:
    audio: bytearray = field(default_factory=bytearray)
    media_frames: int = 0
    marks: list[str] = field(default_factory=list)
    echoed: list[str] = field(default_factory=list)
    clears: int = 0
    first_audio_at: float | None = None
    last_audio_at: float | None = None
    clear_at: float | None = None
    other: list[dict] = field(default_factory=list)


class TwilioPeer:
    def __init__(self, ws, stream_sid: str):
        self.ws = ws
        self.stream_sid = stream_sid
        self.heard = Heard()
        self.play_until = 0.0  # monotonic time the simulated playback queue runs out
        self.pending: list[tuple[float, str]] = []  # (time it plays, mark name)
        self.honour_marks = True
        self._reader = asyncio.create_task(self._read())
        self._marker = asyncio.create_task(self._echo_marks())

    @classmethod
    async def connect(cls, base: str, caller: str | None, media_format: dict | None = None, sign: bool = True):
        """A call from `caller`: the webhook's TwiML first, then its stream with its parameters."""
        http_base = "http" + base[len("ws"):] if base.startswith("ws") else base
        url, parameters, call_sid = await asyncio.to_thread(fetch_twiml, http_base, caller)
        assert url == f"{base}/twilio/media", url
        return await cls.connect_with(base, parameters, media_format, sign, call_sid=call_sid)

    @classmethod
    async def connect_with(cls, base: str, parameters: dict, media_format: dict | None = None, sign: bool = True,
                           call_sid: str | None = None):
        """A stream with these custom parameters (as TwiML gave them, or made up) and CallSid."""
        url = f"{base}/twilio/media"
        headers = {"X-Twilio-Signature": twilio_signature(url)} if sign else {}
        ws = await websockets.connect(url, additional_headers=headers, max_size=2**22)
        stream_sid = "MZ" + uuid.uuid4().hex
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        call_sid = call_sid or "CA" + uuid.uuid4().hex
        start = {
            "streamSid": stream_sid, "accountSid": "AC" + "0" * 32, "callSid": call_sid,
            "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": media_format or {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        }
        await ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": stream_sid}))
        peer = cls(ws, stream_sid)
        peer.call_sid = call_sid
        return peer

    async def _read(self):
        try:
            async for message in self.ws:
                event = json.loads(message)
                assert event.get("streamSid") == self.stream_sid, event
                now = time.monotonic()
                kind = event["event"]
                if kind == "media":
                    chunk = base64.b64decode(event["media"]["payload"])
                    self.heard.audio += chunk
                    self.heard.media_frames += 1
                    self.heard.first_audio_at = self.heard.first_audio_at or now
                    self.heard.last_audio_at = now
                    self.play_until = max(self.play_until, now) + len(chunk) / 8000
                elif kind == "mark":
                    name = event["mark"]["name"]
                    self.heard.marks.append(name)
                    self.pending.append((max(self.play_until, now), name))
                elif kind == "clear":
                    self.heard.clears += 1
                    self.heard.clear_at = now
                    self.play_until = now
                    self.pending.clear()
                else:
                    self.heard.other.append(event)
        except websockets.ConnectionClosed:
            pass

    async def _echo_marks(self):
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            due = [p for p in self.pending if p[0] <= now]
            if not due or not self.honour_marks:
                continue
            self.pending = [p for p in self.pending if p[0] > now]
            for _, name in due:
                self.heard.echoed.append(name)
                await self.send({"event": "mark", "mark": {"name": name}})

    async def send(self, message: dict):
        message.setdefault("streamSid", self.stream_sid)
        await self.ws.send(json.dumps(message))

    async def speak(self, mulaw: bytes, pace: float = 0.02):
        """Sends `mulaw` in 20 ms frames, one every `pace` seconds."""
        chunk = 0
        for offset in range(0, len(mulaw), 160):
            chunk += 1
            frame = mulaw[offset:offset + 160].ljust(160, b"\xff")
            await self.send({"event": "media", "sequenceNumber": str(chunk + 1),
                             "media": {"track": "inbound", "chunk": str(chunk), "timestamp": str(chunk * 20),
                                       "payload": base64.b64encode(frame).decode()}})
            await asyncio.sleep(pace)

    def keep_line_open(self) -> "asyncio.Task":
        """Sends silence every 100 ms until the task is cancelled, as a phone line does."""
        async def silence():
            while True:
                await self.speak(SILENCE_FRAME * 5, pace=0.02)
        return asyncio.create_task(silence())

    async def wait_for_answer(self, timeout: float = 30, quiet: float = 1.5) -> Heard:
        """Waits for the agent's audio to start, then to stop coming for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.heard.last_audio_at
            if last is not None and time.monotonic() - last > quiet:
                return self.heard
            await asyncio.sleep(0.05)
        raise AssertionError(f"no complete answer within {timeout} s (heard {len(self.heard.audio)} bytes)")

    async def stop(self):
        await self.send({"event": "stop", "stop": {"accountSid": "AC" + "0" * 32, "callSid": "CA"}})
        await self.close()

    async def close(self):
        self._marker.cancel()
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        finally:
            await asyncio.wait_for(self._reader, 5)
