"""WebSocket helpers for the hostile suite: the text turn every check runs, a probe that sends raw
frames on a fresh session and reports what the hub answered, and a raw HTTP upgrade for request
targets no WebSocket library would send."""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import os
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Iterable, Optional, Union

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

QUESTION = "What can you help me with?"
SENTINEL_ID = "evt_hostile_sentinel"
BETA_HEADERS = {"OpenAI-Beta": "realtime=v1"}


class Text(bytes):
    """Bytes sent as a *text* frame, whatever they hold (invalid UTF-8 included)."""


Frame = Union[str, bytes, Text, list]  # a list: one message sent as those fragments


def _connect(url: str, beta: bool = False, headers: Optional[dict] = None):
    extra = dict(BETA_HEADERS if beta else {})
    extra.update(headers or {})
    return websockets.connect(url, additional_headers=extra, max_size=None, open_timeout=5,
                              close_timeout=2, ping_interval=None, compression=None)


async def _recv_json(ws, timeout: float) -> dict:
    message = await asyncio.wait_for(ws.recv(), timeout)
    return json.loads(message)


def user_text_item(text: str = QUESTION) -> dict:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


async def text_turn(ws_base: str, beta: bool = False, timeout: float = 20.0) -> list[str]:
    """A fresh session: text output, one user message, response.create, until response.done.
    Raises on an error event, a close or the timeout; returns the event types seen."""
    async with _connect(f"{ws_base}/v1/realtime?model=gpt-realtime", beta) as ws:
        session = {"modalities": ["text"]} if beta else {"type": "realtime", "output_modalities": ["text"]}
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        await ws.send(json.dumps({"type": "conversation.item.create", "item": user_text_item()}))
        await ws.send(json.dumps({"type": "response.create"}))
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no response.done within {timeout} s; saw {seen[-8:]}")
            event = await _recv_json(ws, left)
            seen.append(event.get("type"))
            if event.get("type") == "error":
                raise AssertionError(f"error event during the text turn: {event.get('error')}")
            if event.get("type") == "response.done":
                status = (event.get("response") or {}).get("status")
                if status not in (None, "completed"):
                    raise AssertionError(f"response.done with status {status}: {event.get('response')}")
                return seen


@dataclass
class Answer:
    """What the hub said back to some hostile frames."""
    errors: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    close: Optional[str] = None
    note: Optional[str] = None

    @property
    def stalled(self) -> bool:
        """The session never answered (the sentinel after the input timed out, or the response
        the exercise asked for never finished)."""
        return bool(self.note and self.note.startswith(("no answer to the sentinel", "no response.done")))

    def summary(self) -> str:
        parts = []
        if self.note:
            parts.append(self.note)
        if self.errors:
            counts = collections.Counter(self.errors)
            parts.append("error " + ",".join(f"{c}" + (f"×{n}" if n > 1 else "") for c, n in sorted(counts.items())))
        if self.close:
            parts.append(f"close {self.close}")
        if not parts:
            interesting = [e for e in self.events if e in ("session.updated", "conversation.item.added",
                           "conversation.item.created", "response.created", "conversation.item.truncated",
                           "input_audio_buffer.cleared", "conversation.item.deleted", "conversation.item.retrieved",
                           "input_audio_buffer.committed")]
            parts.append("accepted" + (f" ({interesting[0]})" if interesting else " (no answer)"))
        return "; ".join(parts)


async def _send(ws, frame: Frame) -> None:
    if isinstance(frame, list):
        await ws.send(frame)  # fragments
    elif isinstance(frame, Text):
        await ws.send(bytes(frame), text=True)
    else:
        await ws.send(frame)


async def _collect_until_sentinel(ws, answer: Answer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            answer.note = "no answer to the sentinel within %.0f s" % timeout
            return
        try:
            message = await asyncio.wait_for(ws.recv(), left)
        except asyncio.TimeoutError:
            answer.note = "no answer to the sentinel within %.0f s" % timeout
            return
        try:
            event = json.loads(message)
        except (ValueError, TypeError):
            answer.events.append("<unreadable server frame>")
            continue
        if not isinstance(event, dict):
            continue
        kind = event.get("type")
        if kind == "error":
            error = event.get("error") or {}
            if error.get("event_id") == SENTINEL_ID or event.get("event_id") == SENTINEL_ID:
                return
            answer.errors.append(str(error.get("code") or error.get("type") or "?"))
        else:
            answer.events.append(kind)


async def probe(ws_base: str, frames: Iterable[Frame], beta: bool = False, setup=None,
                query: str = "?model=gpt-realtime", timeout: float = 10.0, exercise: bool = False) -> Answer:
    """A fresh session: `setup(ws)` (may return values the frames need: then `frames` is a callable
    taking them), the hostile frames, then a sentinel (`conversation.item.retrieve` of an item that
    does not exist, answered in order with an error carrying its event_id), so everything the
    hub said about the frames is in before the connection is closed. `exercise`: then use the
    session as the input left it (audio in, a commit, a user text and response.create) and wait
    for that response.done, so settings the hub took are used on audio in and out."""
    answer = Answer()
    try:
        async with _connect(f"{ws_base}/v1/realtime{query}", beta) as ws:
            await _recv_json(ws, 5)  # session.created
            context = await setup(ws) if setup else None
            items = frames(context) if callable(frames) else frames
            for frame in items:
                await _send(ws, frame)
            await ws.send(json.dumps({"type": "conversation.item.retrieve", "item_id": "item_hostile_sentinel_missing",
                                      "event_id": SENTINEL_ID}))
            await _collect_until_sentinel(ws, answer, timeout)
            if exercise and not answer.stalled and not answer.errors:  # only what the hub took
                await _exercise(ws, answer, timeout)
    except ConnectionClosed as closed:
        rcvd = closed.rcvd
        answer.close = (f"{rcvd.code}" + (f" ({rcvd.reason[:60]})" if rcvd.reason else "")) if rcvd else "without close frame"
    except InvalidStatus as error:
        answer.note = f"HTTP {error.response.status_code}"
    except (InvalidHandshake, OSError, asyncio.TimeoutError) as error:
        answer.note = f"{type(error).__name__}"
    return answer


TONE = base64.b64encode(b"".join(struct.pack("<h", int(8000 * ((i // 20) % 2 * 2 - 1))) for i in range(4800))).decode()


async def _exercise(ws, answer: Answer, timeout: float) -> None:
    """Audio in (200 ms), a commit, a user text, response.create; waits for response.done."""
    for event in ({"type": "input_audio_buffer.append", "audio": TONE}, {"type": "input_audio_buffer.commit"},
                  {"type": "conversation.item.create", "item": user_text_item()}, {"type": "response.create"}):
        await ws.send(json.dumps(event))
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            answer.note = "no response.done after the input within %.0f s" % timeout
            return
        try:
            event = json.loads(await asyncio.wait_for(ws.recv(), left))
        except asyncio.TimeoutError:
            continue
        kind = event.get("type")
        if kind == "error":
            code = str((event.get("error") or {}).get("code") or "?")
            if code not in ("input_audio_buffer_commit_empty",):
                answer.errors.append("then " + code)
        elif kind == "response.done":
            status = (event.get("response") or {}).get("status")
            if status != "completed":
                answer.errors.append(f"then response {status}")
            return


async def text_turn_on(ws, beta: bool, audio: bool = False, timeout: float = 20.0) -> Optional[str]:
    """A turn on an open session (the setup of probes that need an assistant item): returns the
    assistant item's id."""
    if beta:
        session = {"modalities": ["audio", "text"] if audio else ["text"], "output_audio_format": "pcm16"}
    else:
        session = {"type": "realtime", "output_modalities": ["audio"] if audio else ["text"]}
    await ws.send(json.dumps({"type": "session.update", "session": session}))
    await ws.send(json.dumps({"type": "conversation.item.create", "item": user_text_item()}))
    await ws.send(json.dumps({"type": "response.create"}))
    deadline = time.monotonic() + timeout
    item_id = None
    while time.monotonic() < deadline:
        event = await _recv_json(ws, deadline - time.monotonic())
        if event.get("type") == "response.output_item.added":
            item_id = (event.get("item") or {}).get("id")
        if event.get("type") == "response.done":
            return item_id
    return item_id


# ---------------------------------------------------------------------------------------------
# Raw HTTP upgrades


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    b0, b1 = _read_exactly(sock, 2)
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", _read_exactly(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _read_exactly(sock, 8))[0]
    if b1 & 0x80:
        _read_exactly(sock, 4)
    return b0 & 0x0F, _read_exactly(sock, length)


def _masked_close() -> bytes:
    mask = os.urandom(4)
    payload = struct.pack("!H", 1000)
    return bytes([0x88, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def raw_upgrade(port: int, target: bytes, headers: Optional[list[tuple[bytes, bytes]]] = None, timeout: float = 2.0,
                frame_timeout: float = 5.0) -> str:
    """Sends `GET <target>` as a WebSocket upgrade byte for byte; returns what came back: the HTTP
    status, and after a 101 the first event (its type, or its error code) and any close code."""
    request = [b"GET " + target + b" HTTP/1.1", f"Host: 127.0.0.1:{port}".encode(), b"Upgrade: websocket",
               b"Connection: Upgrade", b"Sec-WebSocket-Version: 13",
               b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16))]
    request += [name + b": " + value for name, value in (headers or [])]
    data = b"\r\n".join(request) + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError as error:
            return f"send failed ({type(error).__name__})"
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                head += chunk
        except socket.timeout:
            return "no HTTP answer within %.0f s" % timeout
        except OSError as error:
            return f"connection {type(error).__name__}"
        if not head:
            return "closed without an HTTP answer"
        status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        parts = status_line.split(" ", 2)
        status = parts[1] if len(parts) > 1 else status_line
        if status != "101":
            return f"HTTP {status}"
        said = ["101"]
        # Anything after the head belongs to the first frame; put it back by reading it here.
        rest = head.split(b"\r\n\r\n", 1)[1]
        sock_reader = _PrefixedSocket(sock, rest)
        sock.settimeout(frame_timeout)
        try:
            for _ in range(4):
                opcode, payload = _read_frame(sock_reader)
                if opcode == 0x1:
                    event = json.loads(payload)
                    if event.get("type") == "error":
                        said.append(f"error {(event.get('error') or {}).get('code')}")
                    else:
                        said.append(event.get("type", "?"))
                        break
                elif opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    said.append(f"close {code}")
                    break
        except socket.timeout:
            said.append("(silent)")
        except (ConnectionError, OSError, ValueError):
            said.append("(connection ended)")
        try:
            sock.sendall(_masked_close())
        except OSError:
            pass
        return " ".join(said)


class _PrefixedSocket:
    """A socket whose first bytes were already read."""

    def __init__(self, sock: socket.socket, prefix: bytes):
        self.sock, self.prefix = sock, prefix

    def recv(self, n: int) -> bytes:
        if self.prefix:
            out, self.prefix = self.prefix[:n], self.prefix[n:]
            return out
        return self.sock.recv(n)
