"""Secrets stay out of logs and out of what clients are told: the real binary runs at debug
level with a Redis password, a PostgreSQL password, API keys, the model's and the router's
keys (one in a URL's query) and a Twilio token, goes down the paths that quote configuration
(start-up failures, refused requests, an unreachable model, router and Twilio API, a Redis that
goes away) and none of the secret strings appears in its stdout/stderr or in any answer.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "hardening"
BINARY = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")

REDIS_PASSWORD = "redis-pw-Q7v9x2"
WRONG_REDIS_PASSWORD = "wrong-redis-pw-K3m8"
POSTGRES_PASSWORD = "pg-pw-Z4t6w1"
API_KEY = "hub-api-key-J2p5r8"
MODEL_API_KEY = "sk-model-key-N6b1c3"
MODEL_QUERY_KEY = "model-query-key-H8d2f4"
ROUTER_API_KEY = "router-key-V5g7k9"
ROUTER_QUERY_KEY = "router-query-key-L1s3u5"
TWILIO_TOKEN = "twilio-token-P9e2y6"
ADMIN_KEY = "hub-admin-key-T4w6q1"
SECRET_KEY = "hub-secret-key-M3x8z5-0123456789"
PACK_SECRET = "crm-pack-secret-R5t8w2"
PACK_ENV_SECRET = "crm-env-secret-B6y1n4"
SECRETS = [REDIS_PASSWORD, WRONG_REDIS_PASSWORD, POSTGRES_PASSWORD, API_KEY, MODEL_API_KEY, MODEL_QUERY_KEY,
           ROUTER_API_KEY, ROUTER_QUERY_KEY, TWILIO_TOKEN, ADMIN_KEY, SECRET_KEY, PACK_SECRET, PACK_ENV_SECRET]


def closed_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


def hub_argv(tmp: Path, port: int, *extra: str) -> list[str]:
    return [str(BINARY), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "debug",
            "--personas", str(REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
            "--data", f"sqlite:{tmp / 'data.sqlite'}", "--secret-key", SECRET_KEY, *extra]


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} shows the secret {secret!r}:\n{text[-4000:]}"


def run_to_exit(tmp: Path, name: str, *extra: str) -> str:
    """Runs a hub that is expected to refuse to start; returns its output."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(hub_argv(tmp, free_port(), *extra), stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=60, cwd=tmp)
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    (ARTIFACTS / f"{name}.log").write_text(output)
    assert result.returncode != 0, f"the hub started:\n{output[-3000:]}"
    return output


class RunningHub:
    def __init__(self, tmp: Path, name: str, *extra: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.log_path = ARTIFACTS / f"{name}.log"
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(hub_argv(tmp, self.port, *extra), stdin=subprocess.DEVNULL,
                                        stdout=self.log_file, stderr=subprocess.STDOUT, cwd=tmp)
        deadline = time.monotonic() + 60
        while not healthy(self.base):
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError("the hub did not become healthy within 60 s")
            time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, 15)
        self.log_file.close()


def http(method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.fixture
def redis_server(tmp_path: Path):
    """redis-server with a password, on a free port."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--requirepass", REDIS_PASSWORD, "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError("redis-server did not start")
            time.sleep(0.05)
    yield port, process
    stop_process(process, 5)


def test_start_up_failures_never_quote_a_password(tmp_path: Path):
    # Redis on a closed port, a malformed Redis URL, a scheme that is not Redis: each stops the start.
    outputs = {
        "redis-closed": run_to_exit(tmp_path, "redis-closed", "--sessions", f"redis://:{REDIS_PASSWORD}@127.0.0.1:{closed_port()}/0"),
        "redis-bad-port": run_to_exit(tmp_path, "redis-bad-port", "--sessions", f"redis://user:{REDIS_PASSWORD}@127.0.0.1:99999"),
        "redis-bad-scheme": run_to_exit(tmp_path, "redis-bad-scheme", "--sessions", f"rediss://:{REDIS_PASSWORD}@127.0.0.1:6379"),
        "postgres-closed": run_to_exit(tmp_path, "postgres-closed", "--data",
                                       f"postgres://app:{POSTGRES_PASSWORD}@127.0.0.1:{closed_port()}/switchboard?sslmode=disable"),
        "postgres-bad": run_to_exit(tmp_path, "postgres-bad", "--data", f"postgres://app:{POSTGRES_PASSWORD}@127.0.0.1:5432/a/b"),
        "model-url-bad": run_to_exit(tmp_path, "model-url-bad", "--model", f"wss://models.example.com:99999/v1?api-key={MODEL_QUERY_KEY}",
                                     "--model-api-key", MODEL_API_KEY),
        "router-url-bad": run_to_exit(tmp_path, "router-url-bad", "--router-url", f"ftp://r.example.com/v1?api_key={ROUTER_QUERY_KEY}",
                                      "--router-api-key", ROUTER_API_KEY),
        "public-beyond-loopback": run_to_exit(tmp_path, "public-beyond-loopback", "--public-url", f"ftp://u:{TWILIO_TOKEN}@hub",
                                              "--twilio-auth-token", TWILIO_TOKEN),
    }
    for name, output in outputs.items():
        assert_no_secret(output, name)
    # The failures still say what is wrong, and where.
    assert "127.0.0.1" in outputs["redis-closed"], outputs["redis-closed"]
    assert "***" in outputs["redis-bad-port"], outputs["redis-bad-port"]
    assert "127.0.0.1" in outputs["postgres-closed"], outputs["postgres-closed"]


def test_a_wrong_redis_password_is_refused_without_being_shown(tmp_path: Path, redis_server):
    port, _ = redis_server
    output = run_to_exit(tmp_path, "redis-wrong-password", "--sessions", f"redis://:{WRONG_REDIS_PASSWORD}@127.0.0.1:{port}")
    assert_no_secret(output, "a refused Redis password")
    assert "Redis" in output


def test_a_running_hub_with_every_secret_never_logs_or_answers_one(tmp_path: Path, redis_server):
    redis_port, redis_process = redis_server
    twilio_api = closed_port()
    hub = RunningHub(
        tmp_path, "every-secret",
        "--sessions", f"redis://:{REDIS_PASSWORD}@127.0.0.1:{redis_port}/0",
        "--api-key", API_KEY,
        "--admin-key", ADMIN_KEY,
        "--model-api-key", MODEL_API_KEY,
        "--router-url", f"http://127.0.0.1:{closed_port()}/v1?api_key={ROUTER_QUERY_KEY}",
        "--router-api-key", ROUTER_API_KEY,
        "--twilio-auth-token", TWILIO_TOKEN,
        "--twilio-account-sid", "AC" + "1" * 32, "--twilio-from", "+15550199999",
        "--twilio-api-url", f"http://127.0.0.1:{twilio_api}",
        "--public-url", "http://127.0.0.1:1",
    )
    answers: list[str] = []
    try:
        auth = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
        # Twilio's API cannot be reached: the call fails with a reason and no credentials.
        status, body = http("POST", f"{hub.base}/calls", json.dumps({"to": "+15551230000", "agent": "flight"}).encode(), auth)
        assert status in (502, 503), body
        answers.append(body)
        # Wrong keys and signatures are refused.
        status, body = http("POST", f"{hub.base}/calls", b"{}", {"Authorization": "Bearer wrong"})
        assert status == 401
        answers.append(body)
        status, body = http("POST", f"{hub.base}/twilio/voice", b"CallSid=CA1&From=%2B15550100001",
                            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "bad"})
        assert status == 403
        answers.append(body)
        status, body = http("GET", f"{hub.base}/readyz")
        answers.append(body)

        # A client with the key: a text turn makes the router ask its (unreachable) endpoint.
        async def converse() -> list[str]:
            import websockets
            received: list[str] = []
            url = f"ws://127.0.0.1:{hub.port}/realtime"
            async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {API_KEY}"}) as ws:
                await ws.send(json.dumps({"type": "conversation.item.create", "item": {
                    "type": "message", "role": "user", "content": [{"type": "input_text", "text": "is my hotel booking confirmed"}]}}))
                await ws.send(json.dumps({"type": "response.create"}))
                await ws.send(json.dumps({"type": "session.update", "session": {"instructions": 5}}))
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    try:
                        message = await asyncio.wait_for(ws.recv(), 2)
                    except asyncio.TimeoutError:
                        break
                    received.append(message if isinstance(message, str) else message.decode(errors="replace"))
                    if '"response.done"' in received[-1]:
                        break
            # Without the key: refused.
            try:
                async with websockets.connect(url, additional_headers={"Authorization": "Bearer nope"}) as ws:
                    received.append(str(await asyncio.wait_for(ws.recv(), 5)))
            except Exception as error:  # noqa: BLE001 - the refusal's form does not matter here
                received.append(str(error))
            return received

        answers += asyncio.run(converse())

        # Redis goes away: readiness fails, reconnects are logged.
        stop_process(redis_process, 5)
        status, body = http("GET", f"{hub.base}/readyz")
        assert status == 503, body
        answers.append(body)
        time.sleep(1.5)
    finally:
        hub.stop()
    log = hub.log()
    assert_no_secret(log, "the hub's log")
    assert_no_secret("\n".join(answers), "the answers")
    # The paths were taken, at debug level.
    assert "debug" in log.lower() or "trace" in log.lower(), log[-2000:]
    assert "Twilio could not be reached" in "\n".join(answers)


def test_a_model_url_with_a_key_in_its_query_is_never_shown(tmp_path: Path):
    model_port = closed_port()
    hub = RunningHub(tmp_path, "model-url",
                     "--model", f"ws://127.0.0.1:{model_port}/v1/realtime?api-key={MODEL_QUERY_KEY}",
                     "--model-api-key", MODEL_API_KEY)
    received: list[str] = []
    try:
        async def connect():
            import websockets
            try:
                async with websockets.connect(f"ws://127.0.0.1:{hub.port}/realtime") as ws:
                    deadline = time.monotonic() + 15
                    while time.monotonic() < deadline:
                        received.append(str(await asyncio.wait_for(ws.recv(), 10)))
            except Exception as error:  # noqa: BLE001 - the model is unreachable: the session ends
                received.append(str(error))
        asyncio.run(connect())
    finally:
        hub.stop()
    assert_no_secret(hub.log(), "the hub's log")
    assert_no_secret("\n".join(received), "what the client was told")


def crm_packs(tmp: Path) -> Path:
    """The repository's packs plus a small one whose http tool sends {{secret.crm_token}}."""
    packs = tmp / "packs"
    shutil.copytree(REPO_ROOT / "Personas", packs)
    files = {
        "crm/pack.yaml": "name: crm\ntitle: CRM\nrouter: desk\n",
        "crm/agents/desk.yaml": "name: desk\nrole: router\ndescription: Greets callers.\ninstructions: You greet callers.\n",
        "crm/agents/contacts.yaml": ("name: contacts\nrole: agent\ndescription: Contacts.\ninstructions: You look up contacts.\n"
                                     "routing:\n  examples: [Find my contact record, What tier am I, Is my email on file]\n"
                                     "tools: [lookup_contact]\n"),
        "crm/tools/lookup_contact.yaml": ("name: lookup_contact\ndescription: Finds the caller's contact record.\n"
                                          "parameters: {type: object, properties: {email: {type: string}}, required: [email]}\n"
                                          "kind: http\nhttp:\n  url: \"http://127.0.0.1:9/api/contacts?email={{email}}\"\n"
                                          "  headers:\n    Authorization: \"Bearer {{secret.crm_token}}\"\n"
                                          "    X-Other: \"{{secret.other}}\"\n"),
    }
    for name, text in files.items():
        path = packs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return packs


def test_pack_secrets_are_required_at_start_up_and_never_shown(tmp_path: Path, monkeypatch):
    packs = crm_packs(tmp_path)
    # Missing: the hub refuses, naming the tool, its file and the secret, showing no value.
    monkeypatch.setenv("SWITCHBOARD_SECRET_OTHER", PACK_ENV_SECRET)
    output = run_to_exit(tmp_path, "pack-secret-missing", "--packs", str(packs), "--secret", f"unused={PACK_SECRET}")
    assert_no_secret(output, "a refused start-up")
    assert "crm/tools/lookup_contact.yaml:" in output, output
    assert "tool 'lookup_contact' needs the secret 'crm_token'" in output, output
    assert "SWITCHBOARD_SECRET_CRM_TOKEN" in output, output
    # Given (one by --secret, one from the environment): the hub starts and logs neither.
    hub = RunningHub(tmp_path, "pack-secret", "--packs", str(packs), "--secret", f"crm_token={PACK_SECRET}")
    hub.stop()
    assert_no_secret(hub.log(), "the hub's log")



MASTER_KEY = base64.b64encode(bytes(range(100, 132))).decode()
TENANT_SECRET = "tenant-secret-Q2v7k9-abcdef"


def test_the_master_key_and_tenants_secrets_stay_out_of_logs_and_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_MASTER_KEY", MASTER_KEY)
    hub = RunningHub(tmp_path, "platform-secrets", "--admin-key", ADMIN_KEY)
    answers = []
    try:
        def call(method: str, path: str, body: dict | None = None) -> dict:
            request = urllib.request.Request(hub.base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                             headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    text = response.read().decode()
            except urllib.error.HTTPError as error:
                text = error.read().decode()
            answers.append(text)
            return json.loads(text) if text else {}
        tenant = call("POST", "/admin/v1/tenants", {"name": "Logged", "packs": ["travel"], "default_agent": "concierge"})["id"]
        call("PUT", f"/admin/v1/tenants/{tenant}/secrets/crm_token", {"value": TENANT_SECRET})
        call("PUT", f"/admin/v1/tenants/{tenant}/secrets/Bad-Name", {"value": TENANT_SECRET})
        call("GET", f"/admin/v1/tenants/{tenant}/secrets")
    finally:
        hub.stop()
    for text, where in [(hub.log(), "the hub's log"), ("\n".join(answers), "an admin answer")]:
        assert MASTER_KEY not in text and TENANT_SECRET not in text, f"{where} shows a secret"
    # A master key that is not 32 bytes: the hub refuses to start, and does not echo it.
    bad = base64.b64encode(b"sixteen-byte-key").decode()
    monkeypatch.setenv("SWITCHBOARD_MASTER_KEY", bad)
    (tmp_path / "bad").mkdir()
    output = run_to_exit(tmp_path / "bad", "platform-bad-master-key")
    assert "32 random bytes" in output and bad not in output, output[-2000:]
