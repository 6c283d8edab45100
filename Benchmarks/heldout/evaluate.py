#!/usr/bin/env python3
"""Scores the hub on the held-out set by text: each request in a fresh session of its own.

    .venv/bin/python Benchmarks/heldout/evaluate.py --pack travel [--bin .build/release/switchboard] [--limit N]

Starts `switchboard serve` on the embedded model with fresh demo data (seeded for today), sends
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
    def __init__(self, binary, pack):
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="switchboard-heldout-")
        self.process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--packs", str(ROOT / "Personas"),
             "--default-pack", pack, "--data", f"sqlite:{self.data}/data.sqlite", "--web", str(ROOT / "web-static")],
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


def run_request(port, request, router):
    url = f"ws://127.0.0.1:{port}/v1/realtime?hub_events=1&session_state_key={uuid.uuid4()}"
    with connect(url, max_size=None, open_timeout=30) as ws:
        agent = router
        while True:
            event = json.loads(ws.recv(timeout=30))
            if event["type"] == "hub.session.ready":
                agent = event.get("agent", router)
            if event["type"] == "session.created":
                break
        ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}))
        while json.loads(ws.recv(timeout=30))["type"] != "session.updated":
            pass
        for earlier in request.get("context", []):
            if earlier.get("speaker") == "caller":
                switched, _, _ = turn(ws, earlier["text"])
                if switched:
                    agent = switched[-1]
        switched, tools, answer = turn(ws, request["text"])
        if switched:
            agent = switched[-1]
        return agent, tools, answer


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
    parser.add_argument("--bin", default=str(ROOT / ".build/release/switchboard"))
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    requests = [json.loads(line) for line in open(ROOT / f"Benchmarks/heldout/{args.pack}.jsonl")]
    if args.limit:
        requests = requests[:args.limit]
    router = {"travel": "concierge", "clinic": "front_desk"}[args.pack]
    hub = Hub(args.bin, args.pack)
    today = dt.datetime.now(dt.timezone.utc).date()
    results = []
    try:
        for request in requests:
            started = time.time()
            try:
                agent, tools, answer = run_request(hub.port, request, router)
            except Exception as error:  # a failed request counts as wrong, and is reported
                agent, tools, answer = None, [], f"FAILED {error!r}"
            agent_right, tool_right = score(request, agent, tools, today)
            results.append({"id": request["id"], "category": request["category"], "text": request["text"],
                            "agent": agent, "tools": tools, "answer": answer, "agent_right": agent_right,
                            "tool_right": tool_right, "right": agent_right and tool_right,
                            "seconds": round(time.time() - started, 3)})
    finally:
        hub.stop()
    table = collections.OrderedDict()
    for result in results:
        row = table.setdefault(result["category"], [0, 0, 0, 0])
        row[0] += 1
        row[1] += result["agent_right"]
        row[2] += result["tool_right"]
        row[3] += result["right"]
    totals = [sum(row[i] for row in table.values()) for i in range(4)]
    print(f"held-out {args.pack}, by text, {len(results)} requests ({today})")
    print("| category | n | right agent | right tool and arguments | both |")
    print("|---|---:|---:|---:|---:|")
    for category, (n, a, t, b) in list(table.items()) + [("all", totals)]:
        print(f"| {category} | {n} | {a} ({100*a/n:.0f} %) | {t} ({100*t/n:.0f} %) | {b} ({100*b/n:.0f} %) |")
    out = args.out or str(ROOT / f"Benchmarks/results/heldout-{args.pack}-text-{time.strftime('%Y%m%d-%H%M%S')}.json")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=1))
    print(f"details: {out}")


if __name__ == "__main__":
    sys.exit(main())
