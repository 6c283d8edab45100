"""Starts the hub for the phone bridge tests: a Twilio auth token is configured, so every
webhook and media stream must be signed, exactly as behind a real Twilio number.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402,F401 (free_port: for the tests)

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "phone"
AUTH_TOKEN = "phone-test-auth-token"
# Reading a caller's saved history over /realtime and placing calls need an admin key.
ADMIN_KEY = "phone-test-admin-key"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_KEY}"}


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


def start_hub(tmp: Path, name: str, extra: list[str], twilio_token: bool = True, packs: Path | None = None) -> Hub:
    """`twilio_token=False`: a loopback dev hub with no Twilio auth token (nor --public-url);
    `packs`: another packs folder than the repository's."""
    binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / f"{name}-hub.log"
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--personas", str(packs or REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
            "--data", f"sqlite:{tmp / 'data.sqlite'}", "--admin-key", ADMIN_KEY,
            *(["--twilio-auth-token", AUTH_TOKEN, "--public-url", f"http://127.0.0.1:{port}"] if twilio_token else []), *extra]
    log = open(log_path, "wb")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    hub = Hub(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + 60
    while not healthy(hub.http_base):
        if process.poll() is not None:
            raise AssertionError(f"the hub exited with {process.returncode}:\n{hub.log()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the hub did not become healthy within 60 s")
        time.sleep(0.2)
    return hub


def session_ready(hub: Hub, key: str) -> dict:
    """What the hub holds for `key` (`hub.session.ready`), read the way a resuming client sees it."""
    import asyncio
    import websockets

    async def read():
        url = f"{hub.ws_base}/realtime?session_state_key={urllib.parse.quote(key)}&hub_events=1"
        async with websockets.connect(url, additional_headers=ADMIN_HEADERS) as ws:
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if event["type"] == "hub.session.ready":
                    return event
    return asyncio.run(read())


def stop_hub(hub: Hub) -> None:
    stop_process(hub.process, 15)


class TwilioAPIStandIn:
    """Stands in for Twilio's REST API (which cannot be reached from here): records each call
    request and answers as Twilio does, 201 with the new call's sid."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.requests: list[dict] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                recorded.append({"path": self.path, "headers": dict(self.headers), "form": urllib.parse.parse_qs(body)})
                answer = json.dumps({"sid": f"CA{len(recorded):032d}", "status": "queued"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()


TWILIO_ACCOUNT = "AC" + "1" * 32
TWILIO_FROM = "+15550199999"


@pytest.fixture(scope="module")
def twilio_api():
    stand_in = TwilioAPIStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, twilio_api: TwilioAPIStandIn):
    instance = start_hub(tmp_path_factory.mktemp("phone-hub"), "twilio", [
        "--twilio-account-sid", TWILIO_ACCOUNT, "--twilio-from", TWILIO_FROM, "--twilio-api-url", twilio_api.url])
    yield instance
    stop_hub(instance)
