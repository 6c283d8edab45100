"""Starts hubs for the call record tests, with a real HTTP server receiving their webhooks.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "calls"
ADMIN_KEY = "calls-test-admin-key"
CLIENT_KEY = "calls-test-client-key"
SECRET = "whsec-calls-test-secret-0123456789"


@dataclass
class Delivery:
    headers: dict
    body: bytes
    at: float

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint: records every POST; answers `status` (a list is used up in order)."""

    port: int
    deliveries: list = field(default_factory=list)
    statuses: list = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.deliveries.append(Delivery({k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self) -> list:
        """Events answered 2xx (the ones that count as delivered), in arrival order."""
        return [d for d in self.deliveries if verify(d)]

    def wait_for(self, predicate, seconds: float = 20) -> list:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate(self.deliveries):
                return self.deliveries
            time.sleep(0.1)
        raise AssertionError(f"webhooks not as expected after {seconds} s: {[d.event.get('type') for d in self.deliveries]}")


def verify(delivery: Delivery, secret: str = SECRET, tolerance: float = 300) -> bool:
    """Checks `Switchboard-Signature: t=…,v1=…` the way a receiver would (Stripe's scheme)."""
    header = delivery.headers.get("switchboard-signature", "")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + delivery.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance


@dataclass
class Hub:
    port: int
    process: subprocess.Popen
    log_path: Path
    data: Path

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, key: str | None = ADMIN_KEY) -> tuple[int, dict]:
        request = urllib.request.Request(self.http_base + path, headers={"Authorization": f"Bearer {key}"} if key else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def start_hub(data: Path, name: str, extra: list[str], port: int | None = None) -> Hub:
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = ARTIFACTS / f"{name}-hub.log"
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--personas", str(REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
            "--data", f"sqlite:{data / 'data.sqlite'}", "--admin-key", ADMIN_KEY, "--api-key", CLIENT_KEY, *extra]
    log = open(log_path, "ab")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    hub = Hub(port=port, process=process, log_path=log_path, data=data)
    deadline = time.monotonic() + 60
    while not healthy(hub.http_base):
        if process.poll() is not None:
            raise AssertionError(f"the hub exited with {process.returncode}:\n{hub.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not become healthy within 60 s")
        time.sleep(0.2)
    return hub


def stop_hub(hub: Hub, grace: float = 15) -> None:
    stop_process(hub.process, grace)


@pytest.fixture
def receiver():
    instance = Receiver(free_port()).start()
    yield instance
    instance.stop()
