#!/usr/bin/env python3
"""Scores the hub on the held-out set, by text or by voice: each request in a fresh session.

    .venv/bin/python Benchmarks/heldout/evaluate.py --pack travel [--bin .build/release/switchboard] [--limit N]
    .venv/bin/python Benchmarks/heldout/evaluate.py --pack travel --voice [--whisper]

--voice speaks each request's text with espeak-ng (en-us, 150 words a minute) at 24 kHz and
streams it as PCM16 at four times real time with server_vad (context turns stay typed); the
transcript the hub heard is reported with each result. --whisper starts
scripts/whisper-server.sh on a free port and serves with --stt (the recognizer chain).

Starts `switchboard serve` on the embedded model with fresh demo data (seeded for today; again
after any request that changed it), sends
each request's caller context turns and then its text as typed user messages with
`response.create`, and reads the hub's own events: `hub.agent.switched` (the agent that
answers) and `hub.tool.result` (every tool the hub ran, with its arguments and outcome).

A request counts as right when the agent that answers is the expected one and the first tool
is the expected one (or one in `also`) with the expected arguments (README.md: date rules,
codes, dentists), or, when no tool is expected, when none ran. Prints a table per category
and writes every request's outcome as JSON to --out.
"""
import argparse
import collections
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
# The tools that change a pack's demo data: after a request ran one, the hub restarts on fresh data,
# so every request sees the caller's records as the set's README describes them.
WRITES = {"travel": {"confirm_flight_change", "confirm_reservation_change"},
          "clinic": {"book_appointment", "cancel_appointment"}}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resolve_date(rule, today):
    """A date rule of README.md ("today+N", "next:tuesday", "dom:3") as yyyy-MM-dd."""
    if rule.startswith("today+"):
        return (today + dt.timedelta(days=int(rule[6:]))).isoformat()
    if rule.startswith("next:"):
        target = WEEKDAYS.index(rule[5:].lower())
        days = (target - today.weekday()) % 7 or 7
        return (today + dt.timedelta(days=days)).isoformat()
    if rule.startswith("dom:"):
        day = int(rule[4:])
        probe = today + dt.timedelta(days=1)
        while probe.day != day:
            probe += dt.timedelta(days=1)
        return probe.isoformat()
    return rule


def surname(name):
    words = str(name).lower().replace(".", " ").split()
    return " ".join(w for w in words if w not in ("doctor", "dr"))


def arguments_match(tool, expected, actual, today):
    """Whether `actual` (the arguments the hub ran `tool` with) are the `expected` ones."""
    expected = dict(expected or {})
    actual = dict(actual or {})
    if tool == "find_open_slots" and expected.get("date") == "today+1" and "date" not in actual:
        actual["date"] = resolve_date("today+1", today)
    for name, want in expected.items():
        have = actual.get(name)
        if want == "*":
            if have in (None, ""):
                return False
            continue
        if name == "dentist":
            if have is None or surname(have) != surname(want):
                return False
            continue
        if isinstance(want, str) and (want.startswith(("today+", "next:", "dom:"))):
            want = resolve_date(want, today)
        if have != want:
            return False
    for name in actual:
        if name not in expected:
            # A date taken from the caller's own booking is fine for a flight's status.
            if tool == "check_flight_status" and name == "date":
                continue
            if tool == "find_open_slots" and name == "date" and expected.get("date") is None:
                continue
            return False
    return True


class Hub:
    def __init__(self, binary, pack, extra=()):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="switchboard-heldout-")
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--packs", str(ROOT / "Personas"),
             "--default-pack", pack, "--data", f"sqlite:{self.data}/data.sqlite", "--web", str(ROOT / "web-static"), *extra],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.data, "hub.log"), "w"))
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"the hub exited; see {self.data}/hub.log")
                time.sleep(0.2)
        raise SystemExit("the hub did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def turn(ws, text):
    """Sends one typed utterance and reads until its final response.done: the agent switches
    and tool results on the way, and the answer."""
    ws.send(json.dumps({"type": "conversation.item.create", "item": {
        "type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}}))
    ws.send(json.dumps({"type": "response.create"}))
    switched, tools, answer = [], [], ""
    while True:
        event = json.loads(ws.recv(timeout=60))
        kind = event.get("type")
        if kind == "hub.agent.switched":
            switched.append(event["to"])
        elif kind == "hub.tool.result":
            tools.append({"tool": event["tool"], "arguments": event.get("arguments"), "outcome": event.get("outcome")})
        elif kind == "error":
            answer = "ERROR " + json.dumps(event.get("error"))
            return switched, tools, answer
        elif kind == "response.done":
            response = event.get("response", {})
            texts = []
            for item in response.get("output", []):
                for part in item.get("content", []) or []:
                    texts.append(part.get("text") or part.get("transcript") or "")
            answer = " ".join(t for t in texts if t)
            # A response made only of the hub's tool calls is hidden; the answer follows it.
            if response.get("status") != "completed" or answer or not tools:
                return switched, tools, answer


def speech(text, folder, spec="espeak:en-us:150", ulaw=False):
    """`text` spoken by the voice `spec` (`espeak:VOICE:WORDS_PER_MINUTE` or
    `flite:VOICE:DURATION_STRETCH`), then a second of silence: 24 kHz mono PCM16, or with `ulaw`
    8 kHz G.711 mu-law bytes (the phone path)."""
    engine, voice, rate = spec.split(":")
    raw = os.path.join(folder, "raw.wav")
    if engine == "espeak":
        subprocess.run(["espeak-ng", "-v", voice, "-s", rate, "-w", raw, text], check=True, capture_output=True)
    elif engine == "flite":
        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={rate}", "-t", text, "-o", raw],
                       check=True, capture_output=True)
    else:
        raise SystemExit(f"unknown voice engine {engine}")
    if ulaw:
        out = os.path.join(folder, "8k.ul")
        subprocess.run(["sox", raw, "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", "-t", "raw", out],
                       check=True, capture_output=True)
        return open(out, "rb").read() + bytes([0xFF]) * 8_000
    out = os.path.join(folder, "24k.raw")
    subprocess.run(["sox", raw, "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", out],
                   check=True, capture_output=True)
    return open(out, "rb").read() + bytes(48_000)


def spoken_turn(ws, audio, ulaw=False):
    """Streams `audio` (100 ms a frame) at four times real time and reads the turn: transcript,
    switches, tools, answer, and the milliseconds from `speech_stopped` to the first audio of
    the answer."""
    import base64
    frame = 800 if ulaw else 4800
    for start in range(0, len(audio), frame):
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(audio[start:start + frame]).decode()}))
        time.sleep(0.025)
    switched, tools, answer, transcript = [], [], "", None
    stopped, first_audio = None, None
    while True:
        event = json.loads(ws.recv(timeout=120))
        kind = event.get("type")
        if kind == "input_audio_buffer.speech_stopped" and stopped is None:
            stopped = time.monotonic()
        elif kind in ("response.output_audio.delta", "response.audio.delta") and first_audio is None:
            first_audio = time.monotonic()
        elif kind == "conversation.item.input_audio_transcription.completed":
            transcript = event.get("transcript", "")
        elif kind == "conversation.item.input_audio_transcription.failed":
            transcript = ""
        elif kind == "hub.agent.switched":
            switched.append(event["to"])
        elif kind == "hub.tool.result":
            tools.append({"tool": event["tool"], "arguments": event.get("arguments"), "outcome": event.get("outcome")})
        elif kind == "response.done" and transcript is not None:
            response = event.get("response", {})
            texts = [part.get("text") or part.get("transcript") or "" for item in response.get("output", [])
                     for part in (item.get("content") or [])]
            answer = " ".join(t for t in texts if t)
            if response.get("status") != "completed" or answer or not tools:
                latency = round((first_audio - stopped) * 1000) if stopped and first_audio else None
                return switched, tools, answer, transcript, latency


def run_request(port, request, router, voice=False, folder=None, spec="espeak:en-us:150", ulaw=False):
    url = f"ws://127.0.0.1:{port}/v1/realtime?hub_events=1&session_state_key={uuid.uuid4()}"
    with connect(url, max_size=None, open_timeout=30) as ws:
        agent = router
        while True:
            event = json.loads(ws.recv(timeout=30))
            if event["type"] == "hub.session.ready":
                agent = event.get("agent", router)
            if event["type"] == "session.created":
                break
        session = {"type": "realtime", "output_modalities": ["text"]}
        if voice:
            # Spoken answers, so the time to the answer's first audio is measured.
            session["output_modalities"] = ["audio"]
            input_format = {"type": "audio/pcmu"} if ulaw else {"type": "audio/pcm", "rate": 24000}
            session["audio"] = {"input": {"format": input_format,
                                          "turn_detection": {"type": "server_vad", "silence_duration_ms": 500}},
                                "output": {"format": input_format}}
        ws.send(json.dumps({"type": "session.update", "session": session}))
        while json.loads(ws.recv(timeout=30))["type"] != "session.updated":
            pass
        for earlier in request.get("context", []):
            if earlier.get("speaker") == "caller":
                switched, _, _ = turn(ws, earlier["text"])
                if switched:
                    agent = switched[-1]
        heard, latency = None, None
        if voice:
            switched, tools, answer, heard, latency = spoken_turn(ws, speech(request["text"], folder, spec, ulaw), ulaw)
        else:
            switched, tools, answer = turn(ws, request["text"])
        if switched:
            agent = switched[-1]
        return agent, tools, answer, heard, latency


def score(request, agent, tools, today):
    expect = request["expect"]
    agent_right = agent == expect["agent"]
    want = expect.get("tool")
    if want is None:
        tool_right = not tools or (expect.get("also") and tools[0]["tool"] in expect["also"])
    elif not tools:
        tool_right = False
    else:
        first = tools[0]
        if first["tool"] == want:
            tool_right = arguments_match(want, expect.get("arguments"), first.get("arguments"), today)
        else:
            tool_right = first["tool"] in (expect.get("also") or [])
    return agent_right, bool(tool_right)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", required=True, choices=["travel", "clinic"])
    parser.add_argument("--set", default="heldout", choices=["heldout", "devset"],
                        help="heldout (the figures to report) or devset (the tuning set, Benchmarks/devset)")
    parser.add_argument("--bin", default=str(ROOT / ".build/release/switchboard"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="")
    parser.add_argument("--voice", action="store_true", help="speak each request (espeak-ng, 24 kHz) instead of typing it")
    parser.add_argument("--whisper", action="store_true", help="start scripts/whisper-server.sh and serve with --stt")
    parser.add_argument("--speaker", default="espeak:en-us:150",
                        help="the voice: espeak:VOICE:WORDS_PER_MINUTE or flite:VOICE:DURATION_STRETCH")
    parser.add_argument("--ulaw", action="store_true", help="send 8 kHz G.711 mu-law (the phone path) instead of 24 kHz PCM")
    parser.add_argument("--sample", type=int, default=1, help="every Nth request only (1: all)")
    args = parser.parse_args()
    requests = [json.loads(line) for line in open(ROOT / f"Benchmarks/{args.set}/{args.pack}.jsonl")]
    requests = requests[::max(1, args.sample)]
    if args.limit:
        requests = requests[:args.limit]
    router = {"travel": "concierge", "clinic": "front_desk"}[args.pack]
    whisper, extra = None, []
    if args.whisper:
        whisper_port = free_port()
        whisper = subprocess.Popen(["bash", str(ROOT / "scripts/whisper-server.sh"), str(whisper_port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", whisper_port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or whisper.poll() is not None:
                    raise SystemExit("the whisper server did not start")
                time.sleep(0.5)
        extra = ["--stt", f"wyoming://127.0.0.1:{whisper_port}"]
    hub = Hub(args.bin, args.pack, extra)
    folder = tempfile.mkdtemp(prefix="switchboard-heldout-voice-")
    today = dt.datetime.now(dt.timezone.utc).date()
    results = []
    try:
        for request in requests:
            started = time.time()
            try:
                agent, tools, answer, heard, latency = run_request(hub.port, request, router, voice=args.voice, folder=folder,
                                                                   spec=args.speaker, ulaw=args.ulaw)
            except Exception as error:  # a failed request counts as wrong, and is reported
                agent, tools, answer, heard, latency = None, [], f"FAILED {error!r}", None, None
            if any(tool["tool"] in WRITES[args.pack] for tool in tools):
                # The request changed the demo data: the next one starts from fresh data again.
                hub.stop()
                hub = Hub(args.bin, args.pack, extra)
            agent_right, tool_right = score(request, agent, tools, today)
            if args.voice and not (heard or "").strip():
                # Heard nothing: "Sorry, I didn't catch that" is no answer, whatever was expected.
                agent_right = tool_right = False
            results.append({"id": request["id"], "category": request["category"], "text": request["text"],
                            "heard": heard, "agent": agent, "tools": tools, "answer": answer, "agent_right": agent_right,
                            "tool_right": tool_right, "right": agent_right and tool_right, "first_audio_ms": latency,
                            "seconds": round(time.time() - started, 3)})
    finally:
        hub.stop()
        if whisper is not None:
            whisper.terminate()
    table = collections.OrderedDict()
    for result in results:
        row = table.setdefault(result["category"], [0, 0, 0, 0])
        row[0] += 1
        row[1] += result["agent_right"]
        row[2] += result["tool_right"]
        row[3] += result["right"]
    totals = [sum(row[i] for row in table.values()) for i in range(4)]
    channel = "text" if not args.voice else (f"voice {args.speaker} {'8 kHz mu-law' if args.ulaw else '24 kHz'}, "
                                             + ("grammar then Whisper" if args.whisper else "grammar only"))
    print(f"{args.set} {args.pack}, {channel}, {len(results)} requests ({today})")
    print("| category | n | right agent | right tool and arguments | both |")
    print("|---|---:|---:|---:|---:|")
    for category, (n, a, t, b) in list(table.items()) + [("all", totals)]:
        print(f"| {category} | {n} | {a} ({100*a/n:.0f} %) | {t} ({100*t/n:.0f} %) | {b} ({100*b/n:.0f} %) |")
    latencies = sorted(r["first_audio_ms"] for r in results if r.get("first_audio_ms") is not None)
    if latencies:
        def pick(q):
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print(f"speech stopped -> first audio of the answer: p50 {pick(0.5)} ms, p90 {pick(0.9)} ms ({len(latencies)} turns)")
    if args.voice:
        import re
        def words(text):
            return re.sub(r"[^a-z0-9' ]", " ", (text or "").lower()).split()
        errors = total = 0
        for result in results:
            ref, hyp = words(result["text"]), words(result["heard"])
            row = list(range(len(hyp) + 1))
            for i, r in enumerate(ref, 1):
                prev, row[0] = row[0], i
                for j, h in enumerate(hyp, 1):
                    prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
            errors += row[-1]
            total += len(ref)
        print(f"word error rate of what the hub heard: {100 * errors / max(1, total):.1f} %")
    out = args.out or str(ROOT / f"Benchmarks/results/{args.set}-{args.pack}-{'voice' + ('-whisper' if args.whisper else '') if args.voice else 'text'}-{time.strftime('%Y%m%d-%H%M%S')}.json")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=1))
    print(f"details: {out}")


if __name__ == "__main__":
    sys.exit(main())
