"""The embedded model's voice chain against a real Wyoming voice server: with --tts the answers
are spoken by Piper (wyoming-piper with the en_US-joe-medium voice from PyPI), sentence by
sentence; when the Piper server dies mid-session the next answer is spoken by flite and the
session goes on. Prints the time to first audio through Piper and through flite, and Piper's
real-time factor (run with -s to see them).

Needs SWITCHBOARD_BIN (the hub) and the piper environment (scripts/piper-venv.sh).
"""
from __future__ import annotations

import base64
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "support"))
from hub_process import free_port, healthy, stop_process, wait_port  # noqa: E402

BIN = os.environ.get("SWITCHBOARD_BIN", str(REPO / ".build" / "debug" / "switchboard"))
VOICE = "en_US-joe-medium"
FAILED = "the external voice failed"


def start_piper() -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(tempfile.mktemp(prefix="piper-", suffix=".log"), "w")
    process = subprocess.Popen(["bash", str(REPO / "scripts" / "piper-server.sh"), str(port)], stdout=log, stderr=log)
    try:
        wait_port(port, process, 300)
    except BaseException:
        stop_process(process, 10)
        raise
    return process, port


@pytest.fixture(scope="module")
def piper():
    process, port = start_piper()
    try:
        yield port
    finally:
        stop_process(process, 10)


def start_hub(extra: list[str]) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="switchboard-tts-"))
    log = data / "hub.log"
    process = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--packs", str(REPO / "Personas"),
                                "--data", f"sqlite:{data}/data.sqlite", "--web", str(REPO / "web-static"), *extra],
                               stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    deadline = time.time() + 60
    while not healthy(f"http://127.0.0.1:{port}"):
        assert process.poll() is None, f"the hub exited: {log.read_text()}"
        assert time.time() < deadline, "the hub did not start"
        time.sleep(0.2)
    return process, port, log


class Session:
    """A realtime session answering in audio (24 kHz PCM16)."""

    def __init__(self, port: int):
        url = f"ws://127.0.0.1:{port}/v1/realtime?session_state_key={uuid.uuid4()}"
        self.ws = connect(url, max_size=None, open_timeout=30)
        self.until("session.created")
        self.ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["audio"], "audio": {
            "output": {"format": {"type": "audio/pcm", "rate": 24000}}}}}))
        self.until("session.updated")

    def until(self, kind: str) -> list[dict]:
        events = []
        while True:
            event = json.loads(self.ws.recv(timeout=120))
            events.append(event)
            if event["type"] == kind:
                return events

    def ask(self, text: str) -> tuple[bytes, float, dict]:
        """The spoken answer to `text`: its audio, the seconds to its first audio delta, response.done."""
        self.ws.send(json.dumps({"type": "conversation.item.create", "item": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}))
        asked = time.monotonic()
        self.ws.send(json.dumps({"type": "response.create"}))
        audio, first = b"", None
        while True:
            event = json.loads(self.ws.recv(timeout=120))
            if event["type"] == "response.output_audio.delta":
                if first is None:
                    first = time.monotonic() - asked
                audio += base64.b64decode(event["delta"])
            if event["type"] == "error":
                raise AssertionError(event)
            if event["type"] == "response.done":
                return audio, first if first is not None else math.inf, event

    def close(self) -> None:
        self.ws.close()


def dbfs(audio: bytes) -> float:
    samples = memoryview(audio).cast("h")
    if len(samples) == 0:
        return -math.inf
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    return 20 * math.log10(max(rms, 1e-9) / 32768)


def assert_speech(audio: bytes, done: dict) -> None:
    seconds = len(audio) / 2 / 24000
    assert seconds > 0.5, f"{seconds:.2f} s of audio"
    assert dbfs(audio) > -35, f"{dbfs(audio):.1f} dBFS"
    assert done["response"]["status"] == "completed", done


QUESTION = "hello"


def test_piper_speaks_and_flite_takes_over_when_it_dies():
    piper, piper_port = start_piper()
    hub, port, log = start_hub(["--tts", f"wyoming://127.0.0.1:{piper_port}", "--tts-voice", VOICE])
    try:
        assert f"the voice {VOICE} of the Wyoming server at 127.0.0.1:{piper_port}" in log.read_text()
        session = Session(port)
        audio, _, done = session.ask(QUESTION)
        assert_speech(audio, done)
        assert FAILED not in log.read_text()
        # Piper dies mid-session: the next answers are flite's, the session goes on, one warning.
        stop_process(piper, 10, signal.SIGKILL)
        for _ in range(2):
            audio, _, done = session.ask(QUESTION)
            assert_speech(audio, done)
        assert log.read_text().count(FAILED) == 1, log.read_text()
        session.close()
    finally:
        stop_process(hub, 10)
        stop_process(piper, 10)


def test_a_bad_tts_url_stops_the_start():
    result = subprocess.run([BIN, "serve", "--port", "0", "--tts", "http://127.0.0.1:10200"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--tts must be wyoming://HOST:PORT" in result.stderr + result.stdout


def synthesize(port: int, text: str) -> tuple[float, float, float]:
    """Asks the Wyoming server directly: seconds to the first audio chunk, in all, and of audio."""
    def send(sock: socket.socket, kind: str, data: dict) -> None:
        body = json.dumps(data).encode()
        sock.sendall(json.dumps({"type": kind, "version": "1.5.2", "data_length": len(body)}).encode() + b"\n" + body)

    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock, sock.makefile("rb") as stream:
        started = time.monotonic()
        send(sock, "synthesize", {"text": text, "voice": {"name": VOICE}})
        first, samples, rate = None, 0, 1
        while True:
            header = json.loads(stream.readline())
            data = header.get("data") or {}
            if header.get("data_length"):
                data.update(json.loads(stream.read(header["data_length"])))
            payload = stream.read(header["payload_length"]) if header.get("payload_length") else b""
            if header["type"] == "audio-chunk":
                first = first if first is not None else time.monotonic() - started
                rate = data["rate"]
                samples += len(payload) // 2
            if header["type"] == "audio-stop":
                return first, time.monotonic() - started, samples / rate


SENTENCES = [
    "Your flight S B two oh four leaves from gate B twelve at nine forty in the morning.",
    "I have found three appointments with Doctor Patel next week.",
    "Is there anything else I can help you with today?",
]


def test_figures(piper):
    """Time to first audio through the hub, Piper against flite, and Piper's real-time factor."""
    # The server loads the voice on its first sentence.
    first, total, seconds = synthesize(piper, "Warming up.")
    print(f"\npiper cold: first sentence ({seconds:.2f} s of audio) in {total:.3f} s, the voice loading")
    rtf = []
    for sentence in SENTENCES:
        first, total, seconds = synthesize(piper, sentence)
        rtf.append(total / seconds)
        print(f"\npiper direct: {seconds:.2f} s of audio in {total:.3f} s (first chunk {first:.3f} s), RTF {total / seconds:.3f}")
    firsts = {}
    for name, extra in [("piper", ["--tts", f"wyoming://127.0.0.1:{piper}", "--tts-voice", VOICE]), ("flite", [])]:
        hub, port, _ = start_hub(extra)
        try:
            session = Session(port)
            session.ask(QUESTION)
            runs = []
            for _ in range(5):
                audio, first, done = session.ask(QUESTION)
                assert_speech(audio, done)
                runs.append(first)
            firsts[name] = statistics.median(runs)
            session.close()
        finally:
            stop_process(hub, 10)
    print(f"\ntime to first audio of an answer (median of 5): piper {firsts['piper'] * 1000:.0f} ms, flite {firsts['flite'] * 1000:.0f} ms")
    print(f"piper real-time factor, 1 thread: {statistics.mean(rtf):.3f} (mean of {len(rtf)} sentences)")
