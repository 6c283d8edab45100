#!/usr/bin/env python3
"""Resume time and Redis cost of Switchboard replicas.

Starts two replicas, redis-server and haproxy with `scripts/replicas.sh` (release binary unless
--bin), then measures:

1. Resume time: from the start of a reconnect (TCP connect, WebSocket upgrade) to the arrival of
   `hub.session.ready`, for N sessions that each have 3 saved turns:
     (i)   directly to the replica the sessions were made on (hub1);
     (ii)  through haproxy to the other replica (hub1 drained in haproxy, so every connection
           lands on hub2);
     (iii) takeover: the session is still open on hub1 and a second connection comes in through
           haproxy on hub2 (hub2 tells hub1 over Redis pub/sub, hub1 saves and closes, hub2 loads);
     (iv)  a fresh session (a key with no state) on hub1, for comparison.
   Each measurement is one connection at a time; p50/p90/p99/max over N.
2. Redis round trips, counted with `redis-cli MONITOR` (commands a client sent; the commands a
   Lua script runs inside Redis are listed by MONITOR as "lua" and are not round trips): for a
   fresh open, each turn of a scripted 5-turn conversation, 500 `input_audio_buffer.append`
   frames, a control event alone, a close, and a resume on the other replica. Phases are
   delimited by ECHO markers sent on a separate connection (Redis runs commands one at a time,
   so MONITOR's order is execution order). haproxy's health checks are paused during the count
   (both servers in maintenance) so that their /readyz PINGs do not mix in.

    .venv/bin/python Benchmarks/resume/resume.py [--n 200] [--bin PATH] [--out FILE]

Prints a Markdown report and writes the figures as JSON (default
test-artifacts/resume/latest.json). Everything started is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import math
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "replicas"))

from replicas_harness import Cluster, Session, new_key  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

QUESTIONS = [
    "Is flight SB204 on time tomorrow?",
    "What is the status of my hotel reservation H204518?",
    "And which gate does flight SB204 leave from tomorrow?",
]
CONVERSATION = [
    "Is flight SB204 on time tomorrow?",
    "What is the status of my hotel reservation H204518?",
    "I need to change my flight BKQ431 to the day after tomorrow",
    "yes",
    "What flights do I have booked?",
]
READY_TIMEOUT_S = 15.0
PHASE_TIMEOUT_S = 30.0


# ---------------------------------------------------------------------------------------------
# Small Redis client for markers (RESP over a socket)


class Resp:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def command(self, *args: str) -> Any:
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a.encode()
            out.append(f"${len(b)}\r\n".encode() + b + b"\r\n")
        self.sock.sendall(b"".join(out))
        return self._read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("redis closed the connection")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2 :]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._read() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# Statistics


def percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(ms: List[float]) -> Dict[str, float]:
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 2),
        "p90": round(percentile(ms, 90), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
        "mean": round(sum(ms) / len(ms), 2),
    }


# ---------------------------------------------------------------------------------------------
# How busy the machine is (all processes), from /proc/stat


def cpu_times() -> Tuple[float, float]:
    fields = [float(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields), idle


def busy_cores(before: Tuple[float, float], after: Tuple[float, float]) -> float:
    total, idle = after[0] - before[0], after[1] - before[1]
    return round((1 - idle / total) * (os.cpu_count() or 1), 2) if total > 0 else 0.0


OWN_PIDS: List[int] = []


def own_cpu_seconds() -> float:
    """CPU time (user + system) of this run's processes: the replicas, haproxy, redis-server, us."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in OWN_PIDS:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Busy:
    """Cores used by the whole machine, and by processes other than this run's, over a window."""

    def __init__(self) -> None:
        self.machine = cpu_times()
        self.own = own_cpu_seconds()
        self.wall = time.monotonic()

    def done(self) -> Dict[str, float]:
        wall = time.monotonic() - self.wall
        machine = busy_cores(self.machine, cpu_times())
        own = (own_cpu_seconds() - self.own) / wall if wall > 0 else 0.0
        return {"machine_busy_cores": machine, "run_cores": round(own, 2), "others_cores": round(max(0.0, machine - own), 2)}


def wait_quiet(limit_s: float, threshold: float = 0.5) -> float:
    """Waits (at most `limit_s`) for a second in which the machine uses under `threshold` cores;
    returns the last second's figure."""
    deadline = time.monotonic() + limit_s
    while True:
        before = cpu_times()
        time.sleep(1)
        busy = busy_cores(before, cpu_times())
        if busy < threshold or time.monotonic() > deadline:
            return busy


# ---------------------------------------------------------------------------------------------
# Resume time


async def time_ready(url: str, expect_turns: Optional[int]) -> float:
    """Milliseconds from the start of the connect to `hub.session.ready`; then closes."""
    started = time.perf_counter()
    ws = await connect(url, open_timeout=READY_TIMEOUT_S, close_timeout=5, proxy=None, ping_interval=None)
    try:
        ready = json.loads(await asyncio.wait_for(ws.recv(), READY_TIMEOUT_S))
        elapsed = (time.perf_counter() - started) * 1000
        if ready.get("type") != "hub.session.ready":
            raise RuntimeError(f"first event {ready.get('type')}")
        if expect_turns is not None:
            if ready.get("resumed") is not True or len(ready.get("history", [])) != expect_turns:
                raise RuntimeError(f"not resumed with {expect_turns} turns: {ready}")
        elif ready.get("resumed") is not False:
            raise RuntimeError(f"a fresh key resumed: {ready}")
        return elapsed
    finally:
        await asyncio.wait_for(ws.close(), 10)


async def prepare(cluster: Cluster, keys: List[str], concurrency: int) -> None:
    """Gives every key 3 saved turns, directly on hub1."""
    queue = list(keys)

    async def worker() -> None:
        while queue:
            key = queue.pop()
            session = await Session.open(cluster.ws_url("hub1", key))
            for text in QUESTIONS:
                turn = await session.say(text)
                if not turn.tool_results or turn.tool_results[0]["output"].get("outcome") != "found":
                    raise RuntimeError(f"{text!r}: {turn.describe()}")
            await session.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def wait_no_leases(cluster: Cluster, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = cluster.redis("--scan", "--pattern", "switchboard:lease:*").split()
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(left)} leases still held after {timeout:.0f} s")
        time.sleep(0.05)


def sessions_total(cluster: Cluster, name: str) -> float:
    text = cluster.http_get(name, "/metrics")
    match = re.search(r"^switchboard_sessions_total(?:\{[^}]*\})?\s+(\S+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


async def measure_resume(cluster: Cluster, warm: List[str], keys: List[str]) -> Dict[str, Any]:
    """`warm` keys are reconnected first and not counted; then each of `keys` once."""
    results: Dict[str, Any] = {}

    async def series(label: str, url_of, expect_turns: Optional[int], items: List[str], warm_items: List[str]) -> None:
        for key in warm_items:
            await time_ready(url_of(key), expect_turns)
        busy = Busy()
        values = [await time_ready(url_of(key), expect_turns) for key in items]
        results[label] = {**summary(values), **busy.done()}
        print(f"  {label}: {results[label]}", file=sys.stderr)

    # (i) straight to hub1, where the sessions were made.
    wait_no_leases(cluster)
    await series("direct to the same replica (hub1)", lambda k: cluster.ws_url("hub1", k), 3, keys, warm)

    # (ii) through haproxy, hub1 drained: every connection lands on hub2.
    wait_no_leases(cluster)
    cluster.lb_set("hub1", "drain")
    cluster.wait_lb("hub1", "DRAIN")
    before = {name: sessions_total(cluster, name) for name in ("hub1", "hub2")}
    await series("through haproxy to the other replica (hub2)", lambda k: cluster.ws_url("lb", k), 3, keys, warm)
    after = {name: sessions_total(cluster, name) for name in ("hub1", "hub2")}
    landed = {name: int(after[name] - before[name]) for name in after}
    if landed["hub1"] != 0:
        raise RuntimeError(f"connections through haproxy reached hub1: {landed}")
    results["through haproxy to the other replica (hub2)"]["landed"] = landed

    # (iii) takeover: the session is open on hub1 while the new connection arrives on hub2.
    wait_no_leases(cluster)
    takeover: List[float] = []
    busy = Busy()
    for index, key in enumerate(warm + keys):
        holder = await Session.open(cluster.ws_url("hub1", key), text_only=False)
        try:
            elapsed = await time_ready(cluster.ws_url("lb", key), 3)
        finally:
            await holder.close()
        if index >= len(warm):
            takeover.append(elapsed)
    results["takeover from a live connection on hub1, through haproxy to hub2"] = {**summary(takeover), **busy.done()}
    print(f"  takeover: {summary(takeover)}", file=sys.stderr)
    cluster.lb_set("hub1", "ready")
    cluster.wait_lb("hub1", "UP")

    # (iv) fresh keys on hub1.
    await series("fresh session (no saved state), hub1", lambda k: cluster.ws_url("hub1", k), None,
                 [new_key() for _ in keys], [new_key() for _ in warm])
    return results


# ---------------------------------------------------------------------------------------------
# Redis round trips


MONITOR_LINE = re.compile(r'^(\d+\.\d+) \[(\d+) ([^\]]+)\] (.*)$')


def parse_args_of(rest: str) -> List[str]:
    return [bytes(m, "utf-8").decode("unicode_escape") for m in re.findall(r'"((?:[^"\\]|\\.)*)"', rest)]


def classify(args: List[str]) -> str:
    name = args[0].upper() if args else "?"
    if name in ("EVALSHA", "EVAL") and len(args) >= 4:
        nkeys = int(args[2]) if args[2].isdigit() else 0
        keys = args[3 : 3 + nkeys]
        extra = args[3 + nkeys :]
        first = keys[0] if keys else ""
        if ":session:" in first:
            what = "save"
        elif ":lease:" in first and nkeys == 2 and len(extra) == 5:
            what = "acquire lease"
        elif ":lease:" in first and nkeys == 2 and len(extra) == 4:
            what = "renew lease"
        elif ":lease:" in first and nkeys == 1:
            what = "release lease"
        else:
            what = "script"
        return f"{name} ({what})"
    return name


def count_phases(lines: List[str], markers: List[str]) -> Dict[str, Dict[str, Any]]:
    """Round trips between consecutive ECHO markers, by command."""
    phases: Dict[str, Dict[str, Any]] = {}
    current: Optional[str] = None
    for line in lines:
        m = MONITOR_LINE.match(line.strip())
        if not m:
            continue
        _, _, client, rest = m.groups()
        args = parse_args_of(rest)
        if not args:
            continue
        if args[0].upper() == "ECHO" and len(args) > 1 and args[1].startswith("bench:"):
            label = args[1][len("bench:") :]
            current = label if label in markers else None
            if current is not None:
                phases.setdefault(current, {"round_trips": 0, "commands": {}, "inside_lua": 0})
            continue
        if current is None:
            continue
        phase = phases[current]
        if client == "lua":
            phase["inside_lua"] += 1
            continue
        kind = classify(args)
        phase["round_trips"] += 1
        phase["commands"][kind] = phase["commands"].get(kind, 0) + 1
    return phases


async def measure_redis(cluster: Cluster, frames: int) -> Dict[str, Any]:
    # No health checks meanwhile: each one makes the replica PING Redis.
    for name in ("hub1", "hub2"):
        cluster.lb_set(name, "maint")
        cluster.wait_lb(name, "MAINT")
    time.sleep(1.5)  # a check in flight finishes
    monitor_file = tempfile.NamedTemporaryFile("w+", prefix="switchboard-monitor-", suffix=".txt", delete=False)
    monitor = subprocess.Popen(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(cluster.port("redis")), "MONITOR"],
        stdout=monitor_file, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )
    marker = Resp(cluster.port("redis"))
    order: List[str] = []
    events_in_audio: List[str] = []

    def mark(label: str) -> None:
        order.append(label)
        marker.command("ECHO", f"bench:{label}")

    try:
        # MONITOR is attached once it echoes something back.
        deadline = time.monotonic() + 10
        while True:
            marker.command("ECHO", "bench:attach")
            monitor_file.flush()
            if "bench:attach" in Path(monitor_file.name).read_text(errors="replace"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-cli MONITOR did not attach")
            time.sleep(0.05)

        key = new_key()
        mark("open (fresh key)")
        session = await Session.open(cluster.ws_url("hub1", key))
        for i, text in enumerate(CONVERSATION, 1):
            mark(f"turn {i}: {text}")
            turn = await session.say(text, timeout=PHASE_TIMEOUT_S)
            if not turn.tool_results:
                raise RuntimeError(f"{text!r}: no tool ran ({turn.describe()})")

        # Audio: N appends of 20 ms of 24 kHz PCM16, then a control event that round-trips
        # through the model (its answer comes after every append, since order holds).
        chunk = base64.b64encode(bytes(960)).decode()
        mark(f"{frames} input_audio_buffer.append frames")
        for i in range(frames):
            await session.send({"type": "input_audio_buffer.append", "event_id": f"bench_{i}", "audio": chunk})
        await session.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
        events_in_audio = [e.get("type", "?") for e in await session.until("session.updated", timeout=PHASE_TIMEOUT_S)]
        mark("control event alone (session.update round trip)")
        await session.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
        await session.until("session.updated", timeout=PHASE_TIMEOUT_S)
        mark("close")
        await session.close()
        cluster.wait_sessions_total(0)
        mark("resume on the other replica (hub2)")
        session = await Session.open(cluster.ws_url("hub2", key))
        mark("close after the resume (no new turn)")
        await session.close()
        cluster.wait_sessions_total(0)
        mark("after")
        # Wait for the last marker to reach the file.
        deadline = time.monotonic() + 10
        while "bench:after" not in Path(monitor_file.name).read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError("MONITOR output did not catch up")
            time.sleep(0.05)
    finally:
        marker.close()
        monitor.terminate()
        try:
            monitor.wait(10)
        except subprocess.TimeoutExpired:
            monitor.kill()
            monitor.wait(10)
        for name in ("hub1", "hub2"):
            cluster.lb_set(name, "ready")
    lines = Path(monitor_file.name).read_text(errors="replace").splitlines()
    os.unlink(monitor_file.name)
    phases = count_phases(lines, order)
    ordered = {label: phases.get(label, {"round_trips": 0, "commands": {}, "inside_lua": 0}) for label in order if label not in ("after",)}
    ordered[f"{frames} input_audio_buffer.append frames"]["client_events_seen"] = sorted(set(events_in_audio))
    ordered[f"{frames} input_audio_buffer.append frames"]["frames_sent"] = frames
    return ordered


# ---------------------------------------------------------------------------------------------
# Report


def machine() -> Dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def version(argv: List[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.splitlines()[0].strip()
        except Exception:
            return "?"

    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except Exception:
        pass
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "redis": version(["redis-server", "--version"]),
        "haproxy": version(["haproxy", "-v"]),
        "python": platform.python_version(),
        "commit": version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
    }


def built_at(binary: str) -> str:
    return dt.datetime.fromtimestamp(Path(binary).stat().st_mtime, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def markdown(report: Dict[str, Any]) -> str:
    out = []
    m = report["machine"]
    out.append(f"{m['cpus']} cores ({m['cpu']}), {m['memory']}, kernel {m['kernel']}; {m['redis']}; {m['haproxy']}; "
               f"hub `{report['binary']}` built {report['binary_built']} (HEAD {m['commit']}); N = {report['n']} per row, after {report['warmup']} warm-up "
               f"connections; one connection at a time; everything on 127.0.0.1.")
    out.append("")
    out.append("| reconnect → `hub.session.ready` | n | p50 ms | p90 ms | p99 ms | max ms | cores used by this run | by other processes |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, s in report["resume"].items():
        out.append(f"| {label} | {s['n']} | {s['p50']} | {s['p90']} | {s['p99']} | {s['max']} | {s.get('run_cores', '–')} | {s.get('others_cores', '–')} |")
    out.append("")
    out.append("| phase | Redis round trips | which | commands run inside Lua |")
    out.append("|---|---:|---|---:|")
    for label, p in report["redis"].items():
        which = ", ".join(f"{v}× {k}" for k, v in sorted(p["commands"].items())) or "–"
        out.append(f"| {label} | {p['round_trips']} | {which} | {p['inside_lua']} |")
        if "client_events_seen" in p:
            audio = (label, p["client_events_seen"])
    out.append("")
    out.append(f"During \"{audio[0]}\" the client received only: {', '.join(audio[1])} (the answer to the "
               "session.update sent after the last append).")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="reconnects per row (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted reconnects before each row (default 10)")
    parser.add_argument("--frames", type=int, default=500, help="audio appends in the Redis count (default 500)")
    parser.add_argument("--concurrency", type=int, default=4, help="sessions prepared at once (default 4)")
    parser.add_argument("--bin", default=None, help="hub binary (default: the release build)")
    parser.add_argument("--serve-args", default="", help="extra `switchboard serve` arguments for both replicas")
    parser.add_argument("--out", default=str(REPO / "test-artifacts" / "resume" / "latest.json"))
    parser.add_argument("--timeout", type=float, default=1800, help="the whole run's limit in seconds (default 1800)")
    parser.add_argument("--quiet-wait", type=float, default=120,
                        help="seconds to wait for the machine to go idle before measuring (default 120)")
    args = parser.parse_args()

    binary = args.bin or str(REPO / ".build" / "release" / "switchboard")
    if not Path(binary).is_file():
        print(f"{binary} is missing: swift build -c release --product switchboard (or --bin)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="switchboard-resume-") as tmp:
        cluster = Cluster(state_dir=Path(tmp) / "state", binary=binary, serve_args=args.serve_args,
                          logs_dir=Path(args.out).parent / "logs")
        try:
            cluster.start()
            print(f"replicas up behind {cluster.state['LB_URL']}", file=sys.stderr)
            OWN_PIDS[:] = [os.getpid()] + [int(cluster.state[k]) for k in ("HUB1_PID", "HUB2_PID", "HAPROXY_PID", "REDIS_PID")]

            async def run() -> Dict[str, Any]:
                keys = [new_key() for _ in range(args.n + args.warmup)]
                t0 = time.monotonic()
                await prepare(cluster, keys, args.concurrency)
                print(f"prepared {len(keys)} sessions with 3 turns in {time.monotonic() - t0:.1f} s", file=sys.stderr)
                quiet = wait_quiet(args.quiet_wait)
                print(f"machine busy before measuring: {quiet} cores", file=sys.stderr)
                resume = await measure_resume(cluster, keys[: args.warmup], keys[args.warmup :])
                redis = await measure_redis(cluster, args.frames)
                return {"resume": resume, "redis": redis}

            figures = asyncio.run(asyncio.wait_for(run(), args.timeout))
        finally:
            cluster.stop()
    report = {
        "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "binary": os.path.relpath(binary, REPO) if binary.startswith(str(REPO)) else binary,
        "binary_built": built_at(binary),
        "n": args.n,
        "warmup": args.warmup,
        "frames": args.frames,
        "machine": machine(),
        **figures,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"\n(JSON: {args.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
