"""Starts the hub for the phone bridge tests: a Twilio auth token is configured, so every
webhook and media stream must be signed, exactly as behind a real Twilio number.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "phone"
AUTH_TOKEN = "phone-test-auth-token"


@dataclass
class Hub:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_hub(tmp: Path, name: str, extra: list[str]) -> Hub:
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / f"{name}-hub.log"
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--personas", str(REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
            "--data", f"sqlite:{tmp / 'data.sqlite'}", "--twilio-auth-token", AUTH_TOKEN,
            "--public-url", f"http://127.0.0.1:{port}", *extra]
    log = open(log_path, "wb")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    hub = Hub(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while not _healthy(hub.http_base):
        if process.poll() is not None:
            raise AssertionError(f"the hub exited with {process.returncode}:\n{hub.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not become healthy within 60 s")
        time.sleep(0.2)
    return hub


def stop_hub(hub: Hub) -> None:
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            hub.process.kill()
            hub.process.wait()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    instance = start_hub(tmp_path_factory.mktemp("phone-hub"), "twilio", [])
    yield instance
    stop_hub(instance)
