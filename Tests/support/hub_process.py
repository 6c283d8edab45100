"""What the Python test suites (Tests/sdk, Tests/browser, Tests/phone) share about running a hub
process: a free loopback port, the health check, and stopping the process."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port nothing listens on now (TCP by default, SOCK_DGRAM for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(base: str) -> bool:
    """Whether GET {base}/healthz answers 200."""
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_process(process: subprocess.Popen, grace: float, sig: int = signal.SIGTERM) -> None:
    """Sends `sig` (SIGTERM: a graceful shutdown) and waits `grace` seconds, then kills."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace)


def wait_port(port: int, process: subprocess.Popen, seconds: float) -> None:
    """Waits until something accepts connections on 127.0.0.1:`port`; fails when `process`
    exits first or `seconds` pass."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")
