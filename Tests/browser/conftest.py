"""Fixtures for the browser client tests: the hub binary and headless Chromium.

Environment:
  SWITCHBOARD_BIN        hub binary (default <repo>/.build/debug/switchboard), run as
                         `switchboard serve --host 127.0.0.1 --port <free port>` with a
                         throw-away SQLite database.
  SWITCHBOARD_PERSONAS   persona directory (default <repo>/Personas).
  SWITCHBOARD_WEB        the browser client (default <repo>/web-static).
  SWITCHBOARD_SERVE_ARGS extra arguments appended to the hub's command line (shell-split).
  CHROMIUM, CHROMEDRIVER the browser and its driver (default /usr/bin/chromium, /usr/bin/chromedriver).

Screenshots, browser console logs and hub logs go to <repo>/test-artifacts/browser/.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from browser_support import ARTIFACTS, REPO_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from hub_process import free_port, healthy, stop_process  # noqa: E402

STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0
QUESTION = "Is flight S B 2 0 4 on time tomorrow"


_HUBS: List["Hub"] = []


class Hub:
    """One hub process on a fixed loopback port; it can be stopped and started again."""

    def __init__(self, name: str, workdir: Path):
        binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
        if not binary.is_file() or not os.access(binary, os.X_OK):
            pytest.fail(f"hub binary {binary} is missing or not executable (set SWITCHBOARD_BIN)")
        self.name = name
        self.port = free_port()
        self.workdir = workdir
        self.log_path = ARTIFACTS / f"hub-{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        self.argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                     "--data", f"sqlite:{workdir / 'switchboard.sqlite'}"]
        self.argv += shlex.split(os.environ.get("SWITCHBOARD_SERVE_ARGS", ""))
        self.env = dict(os.environ)
        self.env.setdefault("SWITCHBOARD_PERSONAS", str(REPO_ROOT / "Personas"))
        self.env.setdefault("SWITCHBOARD_WEB", str(REPO_ROOT / "web-static"))
        self.process: Optional[subprocess.Popen] = None
        self.log_file = None
        _HUBS.append(self)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.log_path, "ab")
        self.log_file.write(("$ " + shlex.join(self.argv) + f"\n# cwd {self.workdir}\n").encode())
        self.log_file.flush()
        self.process = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, cwd=self.workdir, env=self.env)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(self.url.rstrip("/")):
            if self.process.poll() is not None:
                pytest.fail(f"the hub exited with status {self.process.returncode}; log: {self.log_path}")
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer /healthz within {STARTUP_TIMEOUT_S:.0f} s; log: {self.log_path}")
            time.sleep(0.1)

    def stop(self, *, crash: bool = False) -> None:
        """SIGTERM and a grace period (SIGKILL after it); crash=True kills at once."""
        if self.process is not None:
            stop_process(self.process, STOP_GRACE_S, signal.SIGKILL if crash else signal.SIGTERM)
        self.process = None
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory):
    """The hub shared by the tests that do not stop it."""
    instance = Hub("shared", tmp_path_factory.mktemp("hub"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def own_hub(tmp_path_factory: pytest.TempPathFactory):
    """A hub for one test alone, which it may stop and start."""
    instance = Hub("own", tmp_path_factory.mktemp("own-hub"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spoken question as Chromium's fake microphone plays it, in a loop.

    One second of silence, the question, then four seconds of silence: the hub's VAD ends the
    turn, the answer starts playing, and the next pass of the loop asks again while the answer
    is still playing, which exercises barge-in.
    """
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to make the spoken question (Debian package {tool})")
    folder = tmp_path_factory.mktemp("audio")
    spoken, padded = folder / "spoken.wav", folder / "question.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(spoken), QUESTION], check=True)
    subprocess.run(["sox", str(spoken), "-r", "48000", "-c", "1", "-b", "16", str(padded), "pad", "1", "4"], check=True)
    return padded


class Browsers:
    """Starts headless Chromium instances and closes them at the end of the test."""

    def __init__(self, request: pytest.FixtureRequest, tmp: Path):
        self.request = request
        self.tmp = tmp
        self.drivers: List[webdriver.Chrome] = []

    def open(self, *, audio: Optional[Path] = None, allow_microphone: bool = True,
             width: int = 1100, height: int = 900, phone: bool = False) -> webdriver.Chrome:
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        chromedriver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
        for path in (chromium, chromedriver):
            if not Path(path).is_file():
                pytest.fail(f"{path} is missing (Debian packages chromium and chromium-driver)")
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        arguments = [
            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--autoplay-policy=no-user-gesture-required",
            f"--window-size={width},{height}",
            f"--user-data-dir={self.tmp / f'profile-{len(self.drivers)}'}",
            "--use-fake-device-for-media-stream",
        ]
        if allow_microphone:
            arguments.append("--use-fake-ui-for-media-stream")
        else:
            arguments.append("--deny-permission-prompts")
        if audio is not None:
            arguments.append(f"--use-file-for-fake-audio-capture={audio}")
        for argument in arguments:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        driver.set_page_load_timeout(30)
        if phone:
            # A desktop window cannot be made narrower than about 500 px; emulate the phone.
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True})
        self.drivers.append(driver)
        return driver

    def close(self, failed: bool) -> None:
        name = self.request.node.name
        for index, driver in enumerate(self.drivers):
            try:
                if failed:
                    driver.save_screenshot(str(ARTIFACTS / f"{name}-{index}-failure.png"))
                    logs = driver.get_log("browser")
                    (ARTIFACTS / f"{name}-{index}-console.log").write_text(
                        "\n".join(json.dumps(entry) for entry in logs))
            except Exception:  # noqa: BLE001 - artifacts are best effort
                pass
            finally:
                driver.quit()


@pytest.fixture
def browsers(request: pytest.FixtureRequest, tmp_path: Path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pool = Browsers(request, tmp_path)
    yield pool
    report = getattr(request.node, "rep_call", None)
    pool.close(failed=report is not None and report.failed)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed:
        for instance in _HUBS:
            if instance.log_path.exists():
                lines = instance.log_path.read_text(errors="replace").splitlines()[-60:]
                report.sections.append((f"hub log {instance.log_path}", "\n".join(lines)))
        report.sections.append(("browser artifacts", str(ARTIFACTS)))
