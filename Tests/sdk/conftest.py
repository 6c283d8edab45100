"""Starts the Switchboard hub for the SDK compatibility tests.

Environment:
  SWITCHBOARD_BIN           hub binary (default /work/main/.build/debug/switchboard),
                            run as `switchboard serve --host 127.0.0.1 --port <free port>`.
  SWITCHBOARD_SERVE_ARGS    extra arguments appended to that command line (shell-split).
  SWITCHBOARD_SDK_TEST_URL  base URL of a hub that is already running
                            (e.g. http://127.0.0.1:8080); nothing is started then.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "switchboard"
ARTIFACTS = REPO_ROOT / "test-artifacts"
STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 300


@dataclass
class Hub:
    host: str
    port: int
    log_path: Optional[Path]
    process: Optional[subprocess.Popen]

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_base(self) -> str:
        """What an SDK client passes as `websocket_base_url`."""
        return f"ws://{self.host}:{self.port}/v1"

    def assert_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the hub exited with status {self.process.returncode}; log: {self.log_path}")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        head = f"[{self.log_path}, last {min(lines, len(text))} of {len(text)} lines]"
        return "\n".join([head, *text[-lines:]])


def _hub_from_url(url: str) -> Hub:
    parsed = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    host = parsed.hostname or "127.0.0.1"
    port = parsed.port or (443 if parsed.scheme in ("https", "wss") else 80)
    hub = Hub(host=host, port=port, log_path=None, process=None)
    if not healthy(hub.http_base):
        pytest.fail(f"SWITCHBOARD_SDK_TEST_URL={url}: GET {hub.http_base}/healthz did not answer 200")
    return hub


@pytest.fixture(scope="session")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    url = os.environ.get("SWITCHBOARD_SDK_TEST_URL")
    if url:
        instance = _hub_from_url(url)
        request.config.stash[_HUB_KEY] = instance
        yield instance
        return

    binary = Path(os.environ.get("SWITCHBOARD_BIN") or DEFAULT_BIN)
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(f"hub binary {binary} is missing or not executable (set SWITCHBOARD_BIN)")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"sdk-hub-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    port = free_port()
    argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += shlex.split(os.environ.get("SWITCHBOARD_SERVE_ARGS", ""))
    workdir = tmp_path_factory.mktemp("hub")

    log_file = open(log_path, "wb")
    log_file.write(("$ " + shlex.join(argv) + f"\n# cwd {workdir}\n").encode())
    log_file.flush()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=workdir,
    )
    instance = Hub(host="127.0.0.1", port=port, log_path=log_path, process=process)
    request.config.stash[_HUB_KEY] = instance
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(instance.http_base):
            if process.poll() is not None:
                pytest.fail(f"the hub exited with status {process.returncode} before answering /healthz")
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer GET /healthz with 200 within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield instance
    finally:
        stop_process(process, STOP_GRACE_S)
        log_file.close()


_HUB_KEY = pytest.StashKey[Hub]()
_LOG_SHOWN_KEY = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    instance = item.config.stash.get(_HUB_KEY, None)
    if instance is None:
        return
    if instance.log_path is not None:
        # The whole tail once; later failures point back to it.
        if item.config.stash.get(_LOG_SHOWN_KEY, False):
            report.sections.append(("switchboard hub log", f"(see above; full log: {instance.log_path})"))
        else:
            item.config.stash[_LOG_SHOWN_KEY] = True
            report.sections.append(("switchboard hub log", instance.log_tail()))
    else:
        report.sections.append(("switchboard hub log", f"(external hub at {instance.http_base}; no log kept here)"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    instance = session.config.stash.get(_HUB_KEY, None)
    if instance is not None and instance.log_path is not None and exitstatus not in (0, 5):
        sys.stderr.write(f"\nswitchboard hub log kept at {instance.log_path}\n")
