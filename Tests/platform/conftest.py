"""Starts hubs for the platform tests: SQLite data (where tenants are kept) and a master key.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "platform"
ADMIN_KEY = "platform-test-admin-key"
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


@dataclass
class Hub:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = ADMIN_KEY,
             content_type: str = "application/json") -> tuple[int, dict | None, dict]:
        """A request to the hub: status, JSON answer (None when empty) and headers."""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.http_base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, json.loads(text) if text else None, dict(response.headers)
        except urllib.error.HTTPError as error:
            text = error.read()
            return error.code, json.loads(text) if text else None, dict(error.headers)


def start_hub(data: Path, name: str, extra: list[str] | None = None, master_key: str | None = MASTER_KEY) -> Hub:
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / f"{name}-hub.log"
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--personas", str(REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
            "--data", f"sqlite:{data / 'data.sqlite'}", "--admin-key", ADMIN_KEY, *(extra or [])]
    if "--twilio-auth-token" in argv:
        argv += ["--public-url", f"http://127.0.0.1:{port}"]
    env = dict(os.environ)
    env.pop("SWITCHBOARD_MASTER_KEY", None)
    if master_key:
        env["SWITCHBOARD_MASTER_KEY"] = master_key
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT, cwd=data, env=env)
    hub = Hub(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while not healthy(hub.http_base):
        if process.poll() is not None:
            raise AssertionError(f"the hub exited with {process.returncode}:\n{hub.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not become healthy within 60 s")
        time.sleep(0.2)
    return hub


def stop_hub(hub: Hub) -> None:
    stop_process(hub.process, 15)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    instance = start_hub(tmp_path_factory.mktemp("platform"), "platform")
    yield instance
    stop_hub(instance)
