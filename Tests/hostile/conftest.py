"""The hostile-input suite: one real hub per test module, fed each class of hostile input; after
every input (or small batch) the hub must still answer GET /healthz and a fresh session must still
complete a text turn. A crashed hub fails the case with its stderr tail (and the fatal error line
and source location) and is restarted, so one crash does not hide the next.

What the hub answered to each input (error codes, close codes, SIP statuses) is recorded and
written to test-artifacts/hostile/summary.md (and summary.json) at the end of the run.

Environment: SWITCHBOARD_BIN (default .build/debug/switchboard).
"""

from __future__ import annotations

import asyncio
import collections
import errno
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "support"))
sys.path.insert(0, str(HERE))
from hub_process import free_port, healthy, stop_process  # noqa: E402

import hostile_ws  # noqa: E402

REPO_ROOT = HERE.parents[1]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "hostile"
HEALTH_TIMEOUT_S = 5.0
TURN_TIMEOUT_S = 20.0
STARTUP_TIMEOUT_S = 60.0


# ---------------------------------------------------------------------------------------------
# Recording what the hub answered


@dataclass
class Row:
    cls: str
    case: str
    answer: str
    outcome: str  # "survived" | "crashed" | "unhealthy"
    detail: str = ""


@dataclass
class Crash:
    cls: str
    case: str
    reproducer: str
    exit: str
    fatal: str
    location: str


@dataclass
class Recorder:
    rows: list[Row] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def add(self, row: Row) -> None:
        self.rows.append(row)

    def write(self) -> None:
        if not self.rows:
            return
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        by_class: dict[str, list[Row]] = collections.OrderedDict()
        for row in self.rows:
            by_class.setdefault(row.cls, []).append(row)
        lines = [
            "# Hostile input against the running hub",
            "",
            f"{len(self.rows)} inputs in {len(by_class)} classes, {time.monotonic() - self.started:.0f} s. "
            "After each input (each batch for random mutations): GET /healthz and a fresh session's text turn.",
            "",
            "| Class | Inputs | Survived | Crashed | Unhealthy | What the hub answered (most frequent) |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for cls, rows in sorted(by_class.items()):
            counts = collections.Counter(r.outcome for r in rows)
            answers = collections.Counter(kind(r.answer) for r in rows)
            shown = "; ".join(f"{a} ×{n}" for a, n in answers.most_common(6))
            if len(answers) > 6:
                shown += f"; … ({len(answers) - 6} more kinds)"
            lines.append(f"| {cls} | {len(rows)} | {counts['survived']} | {counts['crashed']} | {counts['unhealthy']} | "
                         f"{shown.replace('|', '/')} |")
        lines += ["", "## Crashes", ""]
        if not self.crashes:
            lines.append("None.")
        else:
            lines += ["| Class | Case | Exit | Fatal error | Where |", "|---|---|---|---|---|"]
            for c in self.crashes:
                lines.append(f"| {c.cls} | `{c.case}` | {c.exit} | {c.fatal.replace('|', '/')} | {c.location} |")
            lines += ["", "Reproducers:", ""]
            for c in self.crashes:
                lines.append(f"- {c.cls} / `{c.case}`: {c.reproducer}")
        accepted: dict[str, list[str]] = collections.OrderedDict()
        for r in by_class.get(EXTREME_CLASS, []):
            if r.answer.startswith("accepted") and "=" in r.case:
                where, value = r.case.rsplit("=", 1)
                accepted.setdefault(where, []).append(value)
        if accepted:
            lines += ["", "## Extreme values taken without an error (class 2)", ""]
            lines += [f"- `{where}`: {', '.join(values)}" for where, values in accepted.items()]
        lines += ["", "## Every kind of answer, per class", ""]
        for cls, rows in sorted(by_class.items()):
            answers = collections.Counter(kind(r.answer) for r in rows)
            lines.append(f"- {cls}: " + "; ".join(f"{a} ×{n}" for a, n in answers.most_common()))
        unhealthy = [r for r in self.rows if r.outcome == "unhealthy"]
        if unhealthy:
            lines += ["", "## Alive but unhealthy afterwards", ""]
            for r in unhealthy:
                lines.append(f"- {r.cls} / `{r.case}`: {r.detail}")
        (ARTIFACTS / "summary.md").write_text("\n".join(lines) + "\n")
        (ARTIFACTS / "summary.json").write_text(json.dumps(
            {"rows": [r.__dict__ for r in self.rows], "crashes": [c.__dict__ for c in self.crashes]}, indent=1))


RECORDER = Recorder()
EXTREME_CLASS = "2 extreme numbers"


def kind(answer: str) -> str:
    """An answer without its details (reason phrases, close reasons), for counting."""
    return re.sub(r" \(.*$", "", answer) or "(none)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    RECORDER.write()
    if RECORDER.rows:
        sys.stderr.write(f"\nhostile summary: {ARTIFACTS / 'summary.md'}\n")


# ---------------------------------------------------------------------------------------------
# The hub process

_FATAL = re.compile(r"Fatal error|fatal error|Precondition failed|Assertion failed|Program crashed|"
                    r"Segmentation fault|Illegal instruction|Trace/breakpoint|Aborted|Unexpectedly found nil")
_CRASH_MARK = re.compile(r"Fatal error|\*\*\* Signal \d+|Program crashed|Precondition failed|Assertion failed")
_SOURCE = re.compile(r"(/\S*?Sources/[^\s:]+\.swift:\d+(?::\d+)?)")


class HostileHub:
    """The module's hub: started once, restarted only after a crash or a failed check."""

    def __init__(self, name: str, tmp: Path, sip: bool = False, extra: Optional[list[str]] = None):
        self.name = name
        self.extra = list(extra or [])
        self.tmp = tmp
        self.sip_port: Optional[int] = free_port(socket.SOCK_DGRAM) if sip else None
        self.process: Optional[subprocess.Popen] = None
        self.generation = 0
        self.start()

    # Where things are

    @property
    def http_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = Path(os.environ.get("SWITCHBOARD_BIN") or REPO_ROOT / ".build" / "debug" / "switchboard")
        if not binary.is_file() or not os.access(binary, os.X_OK):
            pytest.fail(f"hub binary {binary} is missing or not executable (set SWITCHBOARD_BIN)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.generation += 1
        self.port = free_port()
        stem = ARTIFACTS / f"{self.name}-hub{'' if self.generation == 1 else f'-restart{self.generation - 1}'}"
        self.out_path, self.err_path = Path(f"{stem}.out.log"), Path(f"{stem}.err.log")
        argv = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--personas", str(REPO_ROOT / "Personas"), "--web", str(REPO_ROOT / "web-static"),
                "--data", f"sqlite:{self.tmp / 'data.sqlite'}"]
        if self.sip_port is not None:
            argv += ["--sip-port", str(self.sip_port)]
        argv += self.extra
        env = dict(os.environ)
        # A crash prints the crashing thread's frames with file:line (a debug build has them).
        # (symbolicate=fast: about 2 s instead of 10 before the process exits.)
        env.setdefault("SWIFT_BACKTRACE", "enable=yes,interactive=no,color=no,threads=crashed,registers=none,"
                                          "images=none,symbolicate=fast")
        self.err_checked = 0
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        # Someone may be relinking the binary right now (ETXTBSY): wait for the build to finish.
        busy_until = time.monotonic() + 600
        while True:
            try:
                self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err,
                                                cwd=self.tmp, env=env)
                break
            except OSError as error:
                if error.errno != errno.ETXTBSY or time.monotonic() > busy_until:
                    raise
                time.sleep(2)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(self.http_base):
            if self.process.poll() is not None:
                pytest.fail(f"the hub exited with {self.process.returncode} at start:\n{self.stderr_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the hub did not answer /healthz within {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(0.1)

    def stop(self, grace: float = 10) -> None:
        if self.process is not None:
            stop_process(self.process, grace)
        for f in (getattr(self, "out", None), getattr(self, "err", None)):
            if f:
                f.close()

    def restart(self) -> None:
        """After a crash or a failed check (a stalled hub may not honour SIGTERM soon: short
        grace). The SIP port stays the same; it is free again."""
        self.stop(grace=3)
        self.start()

    # What it said

    def crashing(self) -> bool:
        """Whether the runtime has started reporting a crash (the process lives on while the
        backtracer symbolicates)."""
        try:
            with open(self.err_path, "rb") as f:
                f.seek(self.err_checked)
                fresh = f.read()
        except OSError:
            return False
        if _CRASH_MARK.search(fresh.decode(errors="replace")):
            return True
        self.err_checked += max(0, len(fresh) - 200)  # keep a margin for a marker cut in half
        return False

    def down(self) -> bool:
        """Dead, or dying (checked after each input of a batch)."""
        return not self.alive() or self.crashing()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stderr_tail(self, lines: int = 40) -> str:
        """From a little before the fatal error line when there is one (the backtrace follows it),
        else the last lines without the routine session start/end notes."""
        text = self.err_path.read_text(errors="replace").splitlines() if self.err_path.exists() else []
        if not text:  # the logger may write to stdout
            text = self.out_path.read_text(errors="replace").splitlines() if self.out_path.exists() else []
        fatal = next((i for i, l in enumerate(text) if _FATAL.search(l)), None)
        if fatal is not None:
            return "\n".join(text[max(0, fatal - 5):fatal + 60])
        text = [l for l in text if not re.search(r"\] session (started|ended)$", l)]
        return "\n".join(text[-lines:])

    def fatal(self) -> tuple[str, str]:
        """The fatal error line and the first frame in the hub's own sources."""
        text = ""
        for path in (self.err_path, self.out_path):
            if path.exists():
                text += path.read_text(errors="replace")
        lines = text.splitlines()
        fatal = next((l.strip() for l in lines if _FATAL.search(l)), "(no fatal error line)")
        location = ""
        # Frames after the crash marker that point into Sources/ (skip the crash handler's own).
        start = next((i for i, l in enumerate(lines) if _FATAL.search(l)), 0)
        frames = [m.group(1) for l in lines[start:] for m in [_SOURCE.search(l)] if m]
        # The hub's own sources first (not a dependency's under .build/checkouts).
        own = [f for f in frames if "/.build/" not in f] or frames
        if own:
            location = own[0][own[0].index("Sources/"):] if "/.build/" not in own[0] else own[0]
        if not location:
            m = re.search(r"(\S+\.swift:\d+)", fatal)
            location = m.group(1) if m else "?"
        return fatal[:300], location

    def exit_text(self) -> str:
        rc = self.process.returncode if self.process else None
        if rc is None:
            return "running"
        if rc < 0:
            import signal as sig
            try:
                return f"signal {sig.Signals(-rc).name}"
            except ValueError:
                return f"signal {-rc}"
        return f"exit {rc}"

    # The check after each input

    def wait_dead(self, timeout: float) -> bool:
        """Whether the process exits within `timeout` (it may still be writing its backtrace)."""
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def note(self, cls: str, case: str, answer: str) -> None:
        """Records the answer to one input of a batch that is checked as a whole."""
        RECORDER.add(Row(cls, case, answer, "survived" if self.alive() else "crashed"))

    def survives(self, cls: str, case: str, answer: str, reproducer: str = "", record: bool = True,
                 stalled: bool = False, problem: Optional[str] = None) -> None:
        """Records `answer`; then /healthz must answer 200 and a fresh session complete a text turn.
        Fails the test (and restarts the hub) otherwise. `record=False`: a batch's check, whose
        inputs were recorded one by one with `note`. `stalled`: the session never answered the
        input (its sentinel timed out), which fails the case even if the hub recovers. `problem`:
        another check of the caller's that failed (recorded and failed the same way)."""
        if self.alive():
            deadline = time.monotonic() + HEALTH_TIMEOUT_S
            while not healthy(self.http_base):
                if not self.alive() or time.monotonic() > deadline:
                    problem = "GET /healthz did not answer 200 within 5 s" + (f"; {problem}" if problem else "")
                    break
                time.sleep(0.1)
            if self.alive():
                try:
                    asyncio.run(hostile_ws.text_turn(self.ws_base, timeout=TURN_TIMEOUT_S))
                except Exception as error:  # noqa: BLE001 (any failure of the turn counts)
                    turn = f"a fresh session's text turn failed: {type(error).__name__}: {str(error)[:300]}"
                    problem = f"{problem}; {turn}" if problem else turn
        if problem is None and stalled:
            problem = "the session did not answer within the probe's timeout: the hub stalled on this input"
        crashed = not self.alive() or self.crashing()
        if crashed and self.alive():
            # A crash in progress: the backtracer writes the crashing thread's frames, then the
            # process exits. Wait for it (a hung backtracer is killed by the restart).
            self.wait_dead(30)
        if crashed:
            fatal, location = self.fatal()
            exit_text = self.exit_text()
            tail = self.stderr_tail()
            if record:
                RECORDER.add(Row(cls, case, answer, "crashed", f"{exit_text}: {fatal} at {location}"))
            RECORDER.crashes.append(Crash(cls, case, reproducer or case, exit_text, fatal, location))
            log = self.err_path
            self.restart()
            pytest.fail(f"the hub crashed on {cls} / {case} ({exit_text})\nfatal: {fatal}\nat: {location}\n"
                        f"log: {log}\n--- stderr tail ---\n{tail}", pytrace=False)
        if problem is not None:
            RECORDER.add(Row(cls, case, answer, "unhealthy", problem))
            tail = self.stderr_tail()
            self.restart()
            pytest.fail(f"after {cls} / {case}: {problem}\n--- stderr tail ---\n{tail}", pytrace=False)
        if record:
            RECORDER.add(Row(cls, case, answer, "survived"))


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    sip = bool(getattr(request.module, "NEEDS_SIP", False))
    extra = list(getattr(request.module, "HUB_ARGS", []))
    instance = HostileHub(name, tmp_path_factory.mktemp(f"hostile-{name}"), sip=sip, extra=extra)
    yield instance
    instance.stop()
