"""Drives `scripts/replicas.sh` (two hub replicas, redis-server, haproxy and optionally
PostgreSQL on loopback) and talks to the hub over raw WebSockets.

Used by the tests in this folder and by `Benchmarks/resume/resume.py`. Everything here is
bounded in time: every wait has a deadline and every socket operation a timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "replicas.sh"
REPLICAS = ("hub1", "hub2")

SCRIPT_TIMEOUT_S = 120.0
EVENT_TIMEOUT_S = 20.0
CONNECT_TIMEOUT_S = 10.0
MAX_EVENTS_PER_TURN = 2000


class ClusterError(AssertionError):
    pass


def _parse_state(text: str) -> Dict[str, str]:
    state: Dict[str, str] = {}
    for line in text.splitlines():
        if "=" not in line or line.startswith("#"):
            continue
        key, _, raw = line.partition("=")
        words = shlex.split(raw) if raw else [""]
        state[key] = words[0] if words else ""
    return state


def process_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, which an unreaped daemon becomes, does not count)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
    except OSError:
        return False
    # The state is the field after the parenthesised command name.
    return stat[stat.rfind(")") + 2 :][:1] not in ("Z", "X", "")


@dataclass
class Cluster:
    """One set of replicas started by the script, with its own state directory."""

    state_dir: Path
    logs_dir: Optional[Path] = None
    postgres: bool = False
    binary: Optional[str] = None
    serve_args: str = ""
    state: Dict[str, str] = field(default_factory=dict)
    started: bool = False

    # -- the script ----------------------------------------------------------------------------

    def _env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env["SWITCHBOARD_REPLICAS_DIR"] = str(self.state_dir)
        if self.binary:
            env["SWITCHBOARD_BIN"] = self.binary
        env["SWITCHBOARD_REPLICAS_ARGS"] = self.serve_args
        if self.logs_dir is not None:
            env["SWITCHBOARD_REPLICAS_KEEP_LOGS"] = str(self.logs_dir)
        return env

    def script(self, *args: str, timeout: float = SCRIPT_TIMEOUT_S) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                ["bash", str(SCRIPT), *args],
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as e:
            raise ClusterError(f"scripts/replicas.sh {' '.join(args)} did not finish within {timeout:.0f} s: {e.stderr}") from None

    def start(self) -> "Cluster":
        for tool in ("redis-server", "haproxy", "curl"):
            if shutil.which(tool) is None:
                raise ClusterError(f"{tool} is not installed; the replica tests need it (apt-get install {tool})")
        if self.postgres and not any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not os.environ.get("POSTGRES_BIN_DIR"):
            raise ClusterError("the PostgreSQL tests need the server binaries: apt-get install postgresql (or set POSTGRES_BIN_DIR)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        args = ["start"] + (["--postgres"] if self.postgres else [])
        result = self.script(*args)
        self.started = True
        if result.returncode != 0:
            raise ClusterError(f"scripts/replicas.sh {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        self.reload()
        if result.stdout.strip() != self.state.get("LB_URL"):
            raise ClusterError(f"start printed {result.stdout!r}, state says {self.state.get('LB_URL')!r}")
        return self

    def stop(self) -> None:
        """Stops everything through the script, then checks that nothing it started is left:
        no process, no temp dir, no state file."""
        if not self.started:
            return
        result = self.script("stop")
        self.started = False
        if result.returncode != 0:
            raise ClusterError(f"scripts/replicas.sh stop failed ({result.returncode}):\n{result.stderr}")
        left = []
        for key in ("REDIS_PID", "PG_PID", "HUB1_PID", "HUB2_PID", "HAPROXY_PID"):
            if self.state.get(key) and process_alive(int(self.state[key])):
                left.append(f"{key}={self.state[key]}")
        for key in ("RUN_DIR", "PG_DIR"):
            if self.state.get(key) and Path(self.state[key]).exists():
                left.append(f"{key}={self.state[key]}")
        if (self.state_dir / "state.env").exists():
            left.append(str(self.state_dir / "state.env"))
        if left:
            raise ClusterError(f"scripts/replicas.sh stop left these behind: {', '.join(left)}")

    def reload(self) -> Dict[str, str]:
        path = self.state_dir / "state.env"
        self.state = _parse_state(path.read_text())
        return self.state

    def restart(self, name: str) -> None:
        result = self.script("restart", name)
        if result.returncode != 0:
            raise ClusterError(f"scripts/replicas.sh restart {name} failed:\n{result.stderr}")
        self.reload()

    def kill9(self, name: str, timeout: float = 10.0) -> int:
        """SIGKILL a replica (a crash) and wait until it is gone."""
        pid = self.pid(name)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        if f"--replica-id {name}" not in cmdline:
            raise ClusterError(f"pid {pid} is not {name}: {cmdline}")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while process_alive(pid):
            if time.monotonic() > deadline:
                raise ClusterError(f"{name} (pid {pid}) still runs {timeout:.0f} s after SIGKILL")
            time.sleep(0.02)
        return pid

    # -- addresses -----------------------------------------------------------------------------

    def port(self, name: str) -> int:
        key = {"lb": "LB_PORT", "redis": "REDIS_PORT", "postgres": "PG_PORT"}.get(name, f"{name.upper()}_PORT")
        return int(self.state[key])

    def pid(self, name: str) -> int:
        return int(self.state[f"{name.upper()}_PID"])

    def ws_url(self, target: str, key: str, extra: str = "") -> str:
        return f"ws://127.0.0.1:{self.port(target)}/v1/realtime?session_state_key={key}&hub_events=1{extra}"

    def log(self, name: str) -> str:
        path = Path(self.state.get("RUN_DIR", "/nonexistent")) / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- probes --------------------------------------------------------------------------------

    def http_get(self, target: str, path: str, timeout: float = 3.0) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port(target)}{path}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as response:
            return response.read().decode()

    def sessions_open(self, name: str) -> float:
        text = self.http_get(name, "/metrics")
        match = re.search(r"^switchboard_sessions_open(?:\{[^}]*\})?\s+(\S+)$", text, re.M)
        if not match:
            raise ClusterError(f"{name}'s /metrics has no switchboard_sessions_open")
        return float(match.group(1))

    def running(self) -> List[str]:
        return [name for name in REPLICAS if process_alive(self.pid(name))]

    def serving(self, timeout: float = 10.0, expect_total: int = 1) -> str:
        """The replica that holds the (only) open session, waiting until the open-session
        gauges of the running replicas add up to `expect_total`."""
        deadline = time.monotonic() + timeout
        counts: Dict[str, float] = {}
        while True:
            counts = {name: self.sessions_open(name) for name in self.running()}
            holders = [name for name, count in counts.items() if count > 0]
            if sum(counts.values()) == expect_total and len(holders) == 1:
                return holders[0]
            if time.monotonic() > deadline:
                raise ClusterError(f"open sessions per replica: {counts} (expected {expect_total} on one replica)")
            time.sleep(0.02)

    def wait_sessions_total(self, total: int, timeout: float = 10.0) -> Dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            counts = {name: self.sessions_open(name) for name in self.running()}
            if sum(counts.values()) == total:
                return counts
            if time.monotonic() > deadline:
                raise ClusterError(f"open sessions per replica: {counts} (expected {total} in all)")
            time.sleep(0.02)

    # -- haproxy's admin socket ----------------------------------------------------------------

    def haproxy(self, command: str, timeout: float = 3.0) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.state["HAPROXY_SOCK"])
            s.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode()

    def lb_status(self) -> Dict[str, str]:
        """haproxy's view of each replica: UP, DOWN, DRAIN, MAINT..."""
        lines = self.haproxy("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "hubs" and row.get("svname") in REPLICAS:
                out[row["svname"]] = row.get("status", "")
        return out

    def wait_lb(self, name: str, status: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            seen = self.lb_status().get(name, "")
            if seen.startswith(status):
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"haproxy still reports {name} as {seen!r}, not {status}, after {timeout:.0f} s")
            time.sleep(0.05)

    def lb_set(self, name: str, state: str) -> None:
        """`ready`, `drain` (no new connections) or `maint` for one replica behind haproxy."""
        reply = self.haproxy(f"set server hubs/{name} state {state}").strip()
        if reply:
            raise ClusterError(f"haproxy: set server hubs/{name} state {state}: {reply}")

    # -- redis ---------------------------------------------------------------------------------

    def redis(self, *args: str, timeout: float = 5.0) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port("redis")), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )
        if result.returncode != 0:
            raise ClusterError(f"redis-cli {' '.join(args)}: {result.stderr}")
        return result.stdout

    # -- postgres ------------------------------------------------------------------------------

    def psql(self, sql: str, timeout: float = 10.0) -> str:
        url = self.state["PG_URL"]
        match = re.match(r"postgres://([^:]+):([^@]+)@([^:/]+):(\d+)/([^?]+)", url)
        if not match:
            raise ClusterError(f"unexpected PG_URL {url}")
        user, password, host, port, db = match.groups()
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
        result = subprocess.run(
            [str(Path(self.state["PG_BIN"]) / "psql"), "-X", "-A", "-t", "-h", host, "-p", port, "-U", user, "-d", db, "-c", sql],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env,
        )
        if result.returncode != 0:
            raise ClusterError(f"psql {sql!r}: {result.stderr}")
        return result.stdout.strip()


# ---------------------------------------------------------------------------------------------
# The realtime protocol over a raw WebSocket


def user_item(text: str) -> Dict[str, Any]:
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
    }


def message_text(item: Dict[str, Any]) -> str:
    parts = item.get("content") or []
    texts = [p.get("text") or p.get("transcript") or "" for p in parts if isinstance(p, dict)]
    return " ".join(t for t in texts if t)


@dataclass
class Turn:
    user: str
    events: List[Dict[str, Any]]

    @property
    def done(self) -> Dict[str, Any]:
        return self.events[-1]

    @property
    def answer(self) -> str:
        output = self.done.get("response", {}).get("output") or []
        return " ".join(message_text(i) for i in output if i.get("role") == "assistant")

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [e for e in self.events if e.get("type") == kind]

    @property
    def tool_results(self) -> List[Dict[str, Any]]:
        return self.of_type("hub.tool.result")

    @property
    def switched(self) -> List[Dict[str, Any]]:
        return self.of_type("hub.agent.switched")

    def describe(self) -> str:
        return ", ".join(e.get("type", "?") for e in self.events)


class Session:
    """One realtime connection with hub events on."""

    def __init__(self, ws: ClientConnection, ready: Dict[str, Any]):
        self.ws = ws
        self.ready = ready

    @classmethod
    async def open(cls, url: str, text_only: bool = True, timeout: float = CONNECT_TIMEOUT_S) -> "Session":
        ws = await connect(url, open_timeout=timeout, close_timeout=2, proxy=None, max_size=16 * 1024 * 1024,
                           ping_interval=None)
        try:
            ready = await cls._recv(ws, timeout)
            if ready.get("type") != "hub.session.ready":
                raise AssertionError(f"first event is {ready.get('type')!r}, not hub.session.ready: {ready}")
            session = cls(ws, ready)
            await session.until("session.created", timeout=timeout)
            if text_only:
                await session.send({"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}})
                await session.until("session.updated", timeout=timeout)
            return session
        except BaseException:
            await ws.close()
            raise

    @staticmethod
    async def _recv(ws: ClientConnection, timeout: float) -> Dict[str, Any]:
        message = await asyncio.wait_for(ws.recv(), timeout)
        return json.loads(message)

    async def recv(self, timeout: float = EVENT_TIMEOUT_S) -> Dict[str, Any]:
        return await self._recv(self.ws, timeout)

    async def send(self, event: Dict[str, Any]) -> None:
        await asyncio.wait_for(self.ws.send(json.dumps(event)), EVENT_TIMEOUT_S)

    async def until(self, kind: str, timeout: float = EVENT_TIMEOUT_S) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(events) < MAX_EVENTS_PER_TURN:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                event = await self.recv(left)
            except asyncio.TimeoutError:
                break
            events.append(event)
            if event.get("type") == kind:
                return events
            if event.get("type") == "error":
                raise AssertionError(f"error event while waiting for {kind}: {event}")
        raise AssertionError(f"no {kind} within {timeout:.0f} s; got: {', '.join(e.get('type', '?') for e in events)}")

    async def say(self, text: str, timeout: float = EVENT_TIMEOUT_S) -> Turn:
        await self.send(user_item(text))
        await self.send({"type": "response.create"})
        return Turn(text, await self.until("response.done", timeout=timeout))

    async def closed(self, timeout: float = EVENT_TIMEOUT_S) -> tuple:
        """Reads until the server closes; returns (events read, close code)."""
        events = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the server did not close the connection within {timeout:.0f} s; got {events}")
            try:
                events.append(await self.recv(left))
            except ConnectionClosed as e:
                return events, (e.rcvd.code if e.rcvd else None)
            except asyncio.TimeoutError:
                continue

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.ws.close(), 5)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass


async def open_with_retry(url: str, deadline_s: float = 30.0, text_only: bool = True) -> tuple:
    """Reconnects with backoff (50 ms doubling to 1 s) until a session opens to
    `hub.session.ready`; returns (session, attempts, seconds)."""
    started = time.monotonic()
    delay = 0.05
    attempts = 0
    last: Optional[BaseException] = None
    while time.monotonic() - started < deadline_s:
        attempts += 1
        try:
            session = await Session.open(url, text_only=text_only, timeout=min(CONNECT_TIMEOUT_S, deadline_s))
            return session, attempts, time.monotonic() - started
        except (OSError, InvalidHandshake, InvalidStatus, ConnectionClosed, asyncio.TimeoutError, AssertionError) as e:
            last = e
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
    raise AssertionError(f"could not reopen {url} within {deadline_s:.0f} s ({attempts} attempts); last error: {last!r}")


def new_key() -> str:
    return str(uuid.uuid4())
