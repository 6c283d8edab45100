#!/usr/bin/env python3
"""Voice benchmark for the embedded (local) model: latency, WER at 24 kHz and 8 kHz, routing,
and how many concurrent real-time sessions one hub keeps up with.

    swift build -c release --product switchboard
    .venv/bin/python Benchmarks/voice/voice_bench.py                 # everything
    .venv/bin/python Benchmarks/voice/voice_bench.py --parts latency,wer8k,capacity --capacity-n 1,5,10,20

The script starts `.build/release/switchboard serve` on a free port with
`--packs Personas --web web-static --data sqlite:<tmp>`, synthesises the test set with espeak-ng
(two voices x two speaking rates), converts it with sox, and talks to `/v1/realtime?hub_events=1`.
Results go to Benchmarks/voice/results/<run id>.json and a Markdown summary is printed.

Parts:
  latency   one session at a time, fresh session per utterance, PCM16 24 kHz at real-time pace
            (40 ms frames every 40 ms), then 1 s of silence; server_vad. Measures speech_stopped ->
            first response.output_audio.delta, and end of the last speech frame sent -> first audio.
            The transcripts of this run give the 24 kHz WER, the hub events give the routing.
  wer8k     the same utterances (a) through an 8 kHz mu-law round trip (sox) sent as PCM16 24 kHz,
            and (b) sent directly as g711_ulaw (session input format audio/pcmu). Also real-time
            pace unless --pace-8k is raised (e.g. 4 = four times real time).
            (--pace-24k does the same for the latency part: a quick WER and hub CPU per
            utterance, hub_cpu_ms_per_utterance, while tuning; its latencies mean nothing then.)
  capacity  N concurrent sessions, each streaming utterances at real-time pace in a loop for
            --capacity-seconds. A session stays real time if its end-of-speech -> first-audio p95 is
            under 1.5 s and no answer's audio arrived slower than real time. Hub CPU from /proc/PID/stat.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import websockets

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RATE = 24_000
FRAME_MS = 40
CLK_TCK = os.sysconf("SC_CLK_TCK")

# (spoken for the synthesiser, expected transcript with written codes, expected agent or None
# when the router is meant to keep the current agent: yes/no/thanks, a date or a bare code).
CORPUS = [
    ("Is flight S B two oh four on time?", "Is flight SB204 on time", "flight"),
    ("What's the status of flight S B three one one?", "What's the status of flight SB311", "flight"),
    ("Which gate does my flight leave from?", "Which gate does my flight leave from", "flight"),
    ("Has my flight been delayed?", "Has my flight been delayed", "flight"),
    ("I need to change my flight to a later date.", "I need to change my flight to a later date", "flight"),
    ("Can I move my flight to next Tuesday?", "Can I move my flight to next Tuesday", "flight"),
    ("My confirmation code is B K Q four three one.", "My confirmation code is BKQ431", None),
    ("What time is check-in at the hotel?", "What time is check in at the hotel", "hotel"),
    ("Is breakfast included in my room rate?", "Is breakfast included in my room rate", "hotel"),
    ("Can I bring my dog to the hotel?", "Can I bring my dog to the hotel", "hotel"),
    ("My confirmation number is H two oh four five one eight.", "My confirmation number is H204518", None),
    ("Yes, please.", "Yes please", None),
    ("No, thanks.", "No thanks", None),
    ("Move it to March fifth.", "Move it to March fifth", None),
    ("How many bags can I check?", "How many bags can I check", "flight"),
    ("What flights do I have booked?", "What flights do I have booked", "flight"),
    ("Which hotel am I staying at in London?", "Which hotel am I staying at in London", "hotel"),
    ("Is there parking at the hotel?", "Is there parking at the hotel", "hotel"),
    ("Can I extend my stay by two nights?", "Can I extend my stay by two nights", "hotel"),
    ("Thank you very much.", "Thank you very much", None),
    ("Change booking B K R five one eight to next Friday.", "Change booking BKR518 to next Friday", "flight"),
    ("What's the address of my hotel?", "What's the address of my hotel", "hotel"),
    ("Is flight S B two oh four on time tomorrow?", "Is flight SB204 on time tomorrow", "flight"),
    ("What is the status of my hotel reservation H two oh four five one eight?",
     "What is the status of my hotel reservation H204518", "hotel"),
]
VOICES = ["en-us", "en-gb"]
SPEEDS = [150, 190]


# ---------------------------------------------------------------- test set

def synthesise(workdir: str) -> list[dict]:
    """Every sentence in every voice and rate: 24 kHz PCM16, 24 kHz after an 8 kHz mu-law round
    trip, and the raw 8 kHz mu-law bytes."""
    items = []
    for vi, voice in enumerate(VOICES):
        for speed in SPEEDS:
            for i, (spoken, expected, agent) in enumerate(CORPUS):
                base = os.path.join(workdir, f"{voice}-{speed}-{i:02d}")
                wav, pcm, ul, rt = base + ".wav", base + ".pcm", base + ".ul", base + ".rt.pcm"
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", wav, spoken], check=True)
                subprocess.run(["sox", wav, "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", pcm], check=True)
                subprocess.run(["sox", wav, "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", "-t", "raw", ul], check=True)
                subprocess.run(["sox", "-t", "raw", "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8", ul,
                                "-r", "24000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", rt], check=True)
                items.append({
                    "id": f"{voice}/{speed}/{i:02d}", "voice": voice, "speed": speed, "spoken": spoken,
                    "expected": expected, "agent": agent,
                    "pcm24": open(pcm, "rb").read(), "ulaw_rt": open(rt, "rb").read(), "ulaw8": open(ul, "rb").read(),
                })
    return items


# ---------------------------------------------------------------- hub

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_whisper() -> tuple[subprocess.Popen, int]:
    """scripts/whisper-server.sh on a free port, once it accepts connections."""
    port = free_port()
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "scripts/whisper-server.sh"), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the whisper server did not start")


def start_hub(binary: str, datadir: str, extra: list[str] = ()) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = open(os.path.join(datadir, "hub.log"), "wb")
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--packs", "Personas",
                             "--web", "web-static", "--data", f"sqlite:{os.path.join(datadir, 'bench.sqlite')}",
                             "--log-level", "warning", *extra], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"hub exited with {proc.returncode}; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, port
        except Exception:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("hub did not become healthy in 60 s")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def machine_busy() -> tuple[float, float]:
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) / CLK_TCK, idle / CLK_TCK


# ---------------------------------------------------------------- one session

class Session:
    def __init__(self, url: str, fmt: str):
        self.url, self.fmt = url, fmt
        self.ws = None
        self.events: asyncio.Queue = asyncio.Queue()
        self.agent = "concierge"

    async def open(self):
        key = str(uuid.uuid4())
        self.ws = await websockets.connect(f"{self.url}?hub_events=1&session_state_key={key}", max_size=1 << 24)
        infmt = {"type": "audio/pcm", "rate": RATE} if self.fmt == "pcm16" else {"type": "audio/pcmu"}
        await self.ws.send(json.dumps({"type": "session.update", "session": {
            "type": "realtime", "output_modalities": ["audio"],
            "audio": {"input": {"format": infmt, "turn_detection": {"type": "server_vad"}},
                      "output": {"format": {"type": "audio/pcm", "rate": RATE}}},
        }}))
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for message in self.ws:
                await self.events.put((time.monotonic(), json.loads(message)))
        except Exception:
            pass
        await self.events.put((time.monotonic(), {"type": "__closed__"}))

    async def close(self):
        try:
            await self.ws.close()
        except Exception:
            pass
        self.reader.cancel()

    async def turn(self, audio: bytes, pace: float = 1.0, timeout: float = 30.0) -> dict:
        """Streams one utterance at `pace` x real time, then 1 s of silence, and waits for the
        answer (response.done). Returns timestamps and what the hub reported."""
        bps = RATE * 2 if self.fmt == "pcm16" else 8000
        step = bps * FRAME_MS // 1000
        silence = bytes(bps) if self.fmt == "pcm16" else b"\xff" * 8000
        data = audio + silence
        t0 = time.monotonic()
        last_speech_sent = None
        n = 0
        for off in range(0, len(data), step):
            due = t0 + n * FRAME_MS / 1000 / pace
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.ws.send(json.dumps({"type": "input_audio_buffer.append",
                                           "audio": base64.b64encode(data[off:off + step]).decode()}))
            if off < len(audio) <= off + step:
                last_speech_sent = time.monotonic()
            n += 1
        if last_speech_sent is None:
            last_speech_sent = time.monotonic()
        r = {"t0": t0, "speech_end_sent": last_speech_sent, "send_done": time.monotonic(), "speech_s": len(audio) / bps,
             "stopped": None, "committed": None, "transcribed": None, "transcript": None, "switched": None,
             "tools": [], "tool_at": None, "response_created": None, "first_audio": None, "last_audio": None,
             "audio_bytes": 0, "max_underrun": 0.0, "done": None, "errors": [], "agent_before": self.agent}
        deadline = time.monotonic() + timeout
        while True:
            try:
                at, ev = await asyncio.wait_for(self.events.get(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                r["errors"].append("timeout")
                break
            kind = ev.get("type")
            if kind == "input_audio_buffer.speech_stopped":
                r["stopped"] = r["stopped"] or at
            elif kind == "input_audio_buffer.committed":
                r["committed"] = r["committed"] or at
            elif kind == "conversation.item.input_audio_transcription.completed":
                r["transcribed"], r["transcript"] = at, ev.get("transcript", "")
            elif kind == "hub.agent.switched":
                r["switched"] = at
                self.agent = ev.get("to", self.agent)
            elif kind == "hub.tool.result":
                r["tool_at"] = r["tool_at"] or at
                r["tools"].append(f"{ev.get('tool')}:{ev.get('outcome')}")
            elif kind == "response.created":
                r["response_created"] = r["response_created"] or at
            elif kind == "response.output_audio.delta":
                if r["first_audio"] is None:
                    r["first_audio"] = at
                # playback would stall if the audio so far ends before this delta arrives
                played = r["audio_bytes"] / (RATE * 2)
                r["max_underrun"] = max(r["max_underrun"], (at - r["first_audio"]) - played)
                r["audio_bytes"] += len(base64.b64decode(ev.get("delta", "")))
                r["last_audio"] = at
            elif kind == "error":
                r["errors"].append(ev.get("error", {}).get("message", str(ev)))
            elif kind == "response.done":
                if r["first_audio"] is not None or r["transcribed"] is not None:
                    r["done"] = at
                    break
            elif kind == "__closed__":
                r["errors"].append("closed")
                break
        r["agent"] = self.agent
        return r


# ---------------------------------------------------------------- metrics

def norm_words(text: str) -> list[str]:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return [w.strip("'") for w in text.split() if w.strip("'")]


def edit_distance(a: list[str], b: list[str]) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def wer(rows: list[dict]) -> dict:
    errors = words = exact = 0
    codes_ok = codes = 0
    for row in rows:
        ref, hyp = norm_words(row["expected"]), norm_words(row.get("transcript") or "")
        errors += edit_distance(ref, hyp)
        words += len(ref)
        exact += ref == hyp
        for w in ref:
            if re.search(r"\d", w):
                codes += 1
                codes_ok += w in hyp
    return {"utterances": len(rows), "words": words, "errors": errors, "wer": errors / words if words else None,
            "sentence_exact": exact / len(rows) if rows else None, "codes": codes,
            "codes_correct": codes_ok / codes if codes else None}


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def ms(x):
    return None if x is None else round(1000 * x, 1)


def summarise_turns(turns: list[dict]) -> dict:
    def gap(a, b):
        return [t[b] - t[a] for t in turns if t.get(a) is not None and t.get(b) is not None]
    out = {}
    for name, (a, b) in {
        "stopped_to_first_audio": ("stopped", "first_audio"),
        "speech_end_sent_to_first_audio": ("speech_end_sent", "first_audio"),
        "speech_end_sent_to_stopped": ("speech_end_sent", "stopped"),
        "stopped_to_transcribed": ("stopped", "transcribed"),
        "transcribed_to_response_created": ("transcribed", "response_created"),
        "response_created_to_first_audio": ("response_created", "first_audio"),
        "transcribed_to_first_audio": ("transcribed", "first_audio"),
    }.items():
        g = gap(a, b)
        out[name] = {"n": len(g), "p50_ms": ms(pct(g, 0.5)), "p95_ms": ms(pct(g, 0.95)), "max_ms": ms(max(g) if g else None)}
    return out


def routing(rows: list[dict]) -> dict:
    scored = [r for r in rows if r["expected_agent"] is not None]
    ok = sum(r["agent"] == r["expected_agent"] for r in scored)
    kept = [r for r in rows if r["expected_agent"] is None]
    return {"scored": len(scored), "correct": ok, "fraction": ok / len(scored) if scored else None,
            "kept_current_agent": sum(r["agent"] == r["agent_before"] for r in kept), "keep_cases": len(kept)}


# ---------------------------------------------------------------- parts

async def one_by_one(url: str, items: list[dict], key: str, fmt: str, pace: float, label: str) -> list[dict]:
    rows = []
    for k, item in enumerate(items):
        s = Session(url, fmt)
        await s.open()
        try:
            r = await s.turn(item[key], pace=pace)
        finally:
            await s.close()
        r.update({"id": item["id"], "expected": item["expected"], "expected_agent": item["agent"], "voice": item["voice"],
                  "speed": item["speed"], "condition": label})
        rows.append(r)
        lat = ms(r["first_audio"] - r["stopped"]) if r["first_audio"] and r["stopped"] else None
        print(f"  [{label} {k + 1}/{len(items)}] {item['id']} heard={r['transcript']!r} agent={r['agent']} "
              f"tools={r['tools']} stop->audio={lat} ms {r['errors'] or ''}", file=sys.stderr, flush=True)
    return rows


async def capacity_run(url: str, items: list[dict], n: int, seconds: float, pid: int) -> dict:
    stop_at = time.monotonic() + seconds + 3  # sessions are staggered over the first 3 s

    async def worker(idx: int) -> list[dict]:
        await asyncio.sleep(3 * idx / max(n, 1))
        s = Session(url, "pcm16")
        await s.open()
        rng = random.Random(idx)
        turns = []
        try:
            while time.monotonic() < stop_at:
                item = rng.choice(items)
                r = await s.turn(item["pcm24"], pace=1.0)
                r["cores"] = None
                turns.append(r)
        finally:
            await s.close()
        return turns

    cpu0, (tot0, idle0), w0 = cpu_seconds(pid), machine_busy(), time.monotonic()
    results = await asyncio.gather(*(worker(i) for i in range(n)))
    cpu1, (tot1, idle1), w1 = cpu_seconds(pid), machine_busy(), time.monotonic()
    wall = w1 - w0
    per_session = []
    for turns in results:
        lat = [t["first_audio"] - t["stopped"] for t in turns if t["first_audio"] and t["stopped"]]
        behind = sum(1 for t in turns if t["max_underrun"] > 0.1)
        missing = sum(1 for t in turns if t["first_audio"] is None)
        p95 = pct(lat, 0.95)
        per_session.append({"turns": len(turns), "p95": p95, "behind": behind, "missing": missing,
                            "real_time": p95 is not None and p95 < 1.5 and behind == 0 and missing == 0})
    all_turns = [t for turns in results for t in turns]
    lat = [t["first_audio"] - t["stopped"] for t in all_turns if t["first_audio"] and t["stopped"]]
    lat2 = [t["first_audio"] - t["speech_end_sent"] for t in all_turns if t["first_audio"]]
    return {"n": n, "wall_s": round(wall, 1), "turns": len(all_turns),
            "p50_ms": ms(pct(lat, 0.5)), "p95_ms": ms(pct(lat, 0.95)), "max_ms": ms(max(lat) if lat else None),
            "speech_end_sent_p95_ms": ms(pct(lat2, 0.95)),
            "sessions_real_time": sum(p["real_time"] for p in per_session),
            "turns_behind": sum(p["behind"] for p in per_session), "turns_missing": sum(p["missing"] for p in per_session),
            "worst_underrun_ms": ms(max((t["max_underrun"] for t in all_turns), default=None)),
            "hub_cores": round((cpu1 - cpu0) / wall, 3),
            "machine_busy_cores": round(((tot1 - tot0) - (idle1 - idle0)) / wall, 3),
            "all_real_time": all(p["real_time"] for p in per_session)}


def strip(rows):
    return [{k: v for k, v in r.items() if k not in ("pcm24", "ulaw_rt", "ulaw8")} for r in rows]


async def main_async(args) -> int:
    workdir = tempfile.mkdtemp(prefix="voice-bench-")
    print(f"synthesising in {workdir} ...", file=sys.stderr, flush=True)
    items = synthesise(workdir)
    if args.limit:
        items = items[:args.limit] if args.limit > 0 else items
    whisper, extra = None, []
    if args.whisper:
        whisper, whisper_port = start_whisper()
        extra = ["--stt", f"wyoming://127.0.0.1:{whisper_port}"]
    proc, port = start_hub(os.path.join(ROOT, args.binary), workdir, extra)
    url = f"ws://127.0.0.1:{port}/v1/realtime"
    parts = args.parts.split(",")
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "port": port, "utterances": len(items),
           "voices": VOICES, "speeds": SPEEDS, "sentences": len(CORPUS), "hub_pid": proc.pid, "whisper": args.whisper}
    run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    os.makedirs(os.path.join(ROOT, "Benchmarks/voice/results"), exist_ok=True)
    path = os.path.join(ROOT, "Benchmarks/voice/results", f"{run_id}.json")

    def save():
        with open(path, "w") as f:
            json.dump(out, f, indent=1, default=str)

    try:
        print("warm-up ...", file=sys.stderr, flush=True)
        await one_by_one(url, items[:3], "pcm24", "pcm16", 1.0, "warmup")
        if "latency" in parts:
            c0, w0 = cpu_seconds(proc.pid), time.monotonic()
            rows = await one_by_one(url, items, "pcm24", "pcm16", args.pace_24k, "24k")
            cpu = cpu_seconds(proc.pid) - c0
            out["latency_24k"] = {"pace": args.pace_24k, "timing": summarise_turns(rows), "wer": wer(rows), "routing": routing(rows),
                                  "hub_cores": round(cpu / (time.monotonic() - w0), 3),
                                  "hub_cpu_ms_per_utterance": round(1000 * cpu / len(rows), 1)}
            out["rows_24k"] = strip(rows)
            save()
        if "wer8k" in parts:
            for key, fmt, label in (("ulaw_rt", "pcm16", "8k_ulaw_roundtrip"), ("ulaw8", "g711_ulaw", "8k_g711_ulaw")):
                rows = await one_by_one(url, items, key, fmt, args.pace_8k, label)
                out[label] = {"pace": args.pace_8k, "timing": summarise_turns(rows), "wer": wer(rows), "routing": routing(rows)}
                out["rows_" + label] = strip(rows)
                save()
        if "capacity" in parts:
            out["capacity"] = []
            for n in [int(x) for x in args.capacity_n.split(",")]:
                print(f"capacity N={n} ...", file=sys.stderr, flush=True)
                res = await capacity_run(url, items, n, args.capacity_seconds, proc.pid)
                print("  " + json.dumps(res), file=sys.stderr, flush=True)
                out["capacity"].append(res)
                save()
                if not res["all_real_time"] and not args.capacity_all:
                    break
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if whisper is not None:
            whisper.terminate()
        save()
    print(report(out))
    print(f"\nresults: {path}", file=sys.stderr)
    return 0


def report(out: dict) -> str:
    lines = []
    for label in ("latency_24k", "8k_ulaw_roundtrip", "8k_g711_ulaw"):
        if label not in out:
            continue
        d = out[label]
        t = d["timing"]
        lines.append(f"\n### {label} ({d['wer']['utterances']} utterances)")
        lines.append("| interval | n | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|---:|")
        for name, v in t.items():
            lines.append(f"| {name} | {v['n']} | {v['p50_ms']} | {v['p95_ms']} | {v['max_ms']} |")
        w, r = d["wer"], d["routing"]
        lines.append(f"WER {w['wer']:.3f} ({w['errors']}/{w['words']} words), sentences exact {w['sentence_exact']:.2f}, "
                     f"codes right {w['codes_correct']}; routing {r['correct']}/{r['scored']} to the expected agent, "
                     f"{r['kept_current_agent']}/{r['keep_cases']} keep-cases kept the agent")
        if "hub_cpu_ms_per_utterance" in d:
            lines.append(f"hub CPU {d['hub_cpu_ms_per_utterance']} ms per utterance (pace {d.get('pace', 1.0)}x real time)")
        rows = out.get("rows_" + ("24k" if label == "latency_24k" else label))
        if rows:
            lines.append("| subset | utterances | WER | sentences exact | codes right | routed right |\n|---|---:|---:|---:|---:|---:|")
            subsets = [(f"{v} -s {sp}", lambda x, v=v, sp=sp: x["voice"] == v and x["speed"] == sp) for v in VOICES for sp in SPEEDS]
            subsets += [("sentences of RoundTripCorpus (0-21)", lambda x: int(x["id"].split("/")[-1]) < 22),
                        ("added sentences (22-23)", lambda x: int(x["id"].split("/")[-1]) >= 22)]
            for name, f in subsets:
                sub = [x for x in rows if f(x)]
                ws, rs = wer(sub), routing(sub)
                lines.append(f"| {name} | {len(sub)} | {ws['wer']:.3f} | {ws['sentence_exact']:.2f} | "
                             f"{'-' if ws['codes_correct'] is None else round(ws['codes_correct'], 2)} | {rs['correct']}/{rs['scored']} |")
    if "capacity" in out:
        lines.append("\n| N | turns | p50 ms | p95 ms | max ms | sessions real time | turns behind | no answer | hub cores | machine cores |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in out["capacity"]:
            lines.append(f"| {c['n']} | {c['turns']} | {c['p50_ms']} | {c['p95_ms']} | {c['max_ms']} | {c['sessions_real_time']}/{c['n']} | "
                         f"{c['turns_behind']} | {c['turns_missing']} | {c['hub_cores']} | {c['machine_busy_cores']} |")
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        print(report(json.load(open(sys.argv[2]))))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=".build/release/switchboard")
    p.add_argument("--parts", default="latency,wer8k,capacity")
    p.add_argument("--limit", type=int, default=0, help="use only the first N utterances (0: all)")
    p.add_argument("--pace-24k", type=float, default=1.0,
                   help="speed of the 24 kHz run, x real time (latencies are only meaningful at 1)")
    p.add_argument("--pace-8k", type=float, default=1.0, help="speed of the 8 kHz runs, x real time")
    p.add_argument("--capacity-n", default="1,5,10,20,40")
    p.add_argument("--capacity-seconds", type=float, default=20)
    # --report RESULTS.json (alone) prints the Markdown summary of an earlier run
    p.add_argument("--capacity-all", action="store_true", help="keep going past the first N that is not real time")
    p.add_argument("--whisper", action="store_true",
                   help="start scripts/whisper-server.sh and serve with --stt (the recognizer chain)")
    return asyncio.run(main_async(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
