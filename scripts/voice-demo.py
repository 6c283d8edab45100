#!/usr/bin/env python3
"""Speaks to the hub offline: sends a spoken question (a WAV file, or text spoken by espeak-ng)
to /v1/realtime as PCM16 at 24 kHz with server VAD, prints both sides' transcripts, the agent and
the tools the hub used, and writes the spoken answer to a WAV file.

    .venv/bin/python scripts/voice-demo.py "Is flight SB204 on time tomorrow?"
    .venv/bin/python scripts/voice-demo.py --wav question.wav --out answer.wav

Needs the hub running (bash scripts/run.sh) and, for text, espeak-ng and sox (Debian packages).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time
import uuid
import wave

import websockets

RATE = 24_000
CHUNK_MS = 40


def pcm16_from_text(text: str) -> bytes:
    """espeak-ng speaks the text; sox makes it 24 kHz mono PCM16."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as spoken, tempfile.NamedTemporaryFile(suffix=".raw") as raw:
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", spoken.name, text], check=True)
        subprocess.run(["sox", spoken.name, "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw.name],
                       check=True)
        return open(raw.name, "rb").read()


def pcm16_from_wav(path: str) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".raw") as raw:
        subprocess.run(["sox", path, "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", raw.name], check=True)
        return open(raw.name, "rb").read()


async def talk(url: str, audio: bytes, out: str, key: str) -> int:
    async with websockets.connect(f"{url}?hub_events=1&session_state_key={key}", max_size=1 << 24) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": {
            "type": "realtime", "output_modalities": ["audio"],
            "audio": {"input": {"format": {"type": "audio/pcm", "rate": RATE}, "turn_detection": {"type": "server_vad"}},
                      "output": {"format": {"type": "audio/pcm", "rate": RATE}}},
        }}))
        step = RATE * 2 * CHUNK_MS // 1000
        silence = bytes(RATE * 2)  # one second, so the VAD ends the turn
        sent_at = time.monotonic()
        for offset in range(0, len(audio) + len(silence), step):
            chunk = (audio + silence)[offset:offset + step]
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}))
        answer = bytearray()
        stopped_at = first_audio_at = None
        async for message in ws:
            event = json.loads(message)
            kind = event["type"]
            if kind == "input_audio_buffer.speech_stopped":
                stopped_at = time.monotonic()
            elif kind == "conversation.item.input_audio_transcription.completed":
                print(f"you said:  {event['transcript']!r}")
            elif kind == "hub.agent.switched":
                print(f"agent:     {event['from']} -> {event['to']} ({event['reason']})")
            elif kind == "hub.tool.result":
                print(f"tool:      {event['tool']} {json.dumps(event['arguments'])} -> {event['outcome']}")
            elif kind == "response.output_audio.delta":
                first_audio_at = first_audio_at or time.monotonic()
                answer += base64.b64decode(event["delta"])
            elif kind == "response.output_audio_transcript.done":
                print(f"agent said: {event['transcript']!r}")
            elif kind == "error":
                print(f"error:     {event['error']}", file=sys.stderr)
            elif kind == "response.done":
                break
        with wave.open(out, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(bytes(answer))
        print(f"answer:    {len(answer) / (2 * RATE):.1f} s of audio in {out}")
        if stopped_at and first_audio_at:
            print(f"latency:   end of speech -> first audio {1000 * (first_audio_at - stopped_at):.0f} ms "
                  f"(sent {time.monotonic() - sent_at:.1f} s ago)")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text", nargs="?", default="Is flight SB204 on time tomorrow?")
    parser.add_argument("--wav", help="a recorded question instead of text")
    parser.add_argument("--url", default="ws://127.0.0.1:8080/v1/realtime")
    parser.add_argument("--out", default="answer.wav")
    parser.add_argument("--key", default=str(uuid.uuid4()), help="session key (reuse it to continue a conversation)")
    args = parser.parse_args()
    audio = pcm16_from_wav(args.wav) if args.wav else pcm16_from_text(args.text)
    return asyncio.run(talk(args.url, audio, args.out, args.key))


if __name__ == "__main__":
    sys.exit(main())
