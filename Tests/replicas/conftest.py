"""Fixtures for the replica tests: each test starts its own set of replicas through
`scripts/replicas.sh` (state in a temporary directory of its own) and stops it, whatever happens.

Environment:
  SWITCHBOARD_BIN   hub binary (default: what the script picks, the release build if present,
                    else the debug build)

The replicas' logs (hub1.log, hub2.log, redis.log, haproxy.log, postgres.log) are kept in
test-artifacts/replicas/<test name>/ after every test.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replicas_harness import REPO_ROOT, Cluster  # noqa: E402

ARTIFACTS = REPO_ROOT / "test-artifacts" / "replicas"


@pytest.fixture
def start_replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    """`start_replicas(postgres=False)` starts replicas and returns the `Cluster`; all are stopped
    after the test."""
    clusters: List[Cluster] = []
    logs = ARTIFACTS / request.node.name.replace("/", "_")
    shutil.rmtree(logs, ignore_errors=True)

    def start(postgres: bool = False) -> Cluster:
        cluster = Cluster(
            state_dir=tmp_path / f"state{len(clusters)}",
            logs_dir=logs if not clusters else logs / f"cluster{len(clusters)}",
            postgres=postgres,
            binary=os.environ.get("SWITCHBOARD_BIN") or None,
        )
        clusters.append(cluster)
        return cluster.start()

    try:
        yield start
    finally:
        errors = []
        for cluster in clusters:
            try:
                cluster.stop()
            except Exception as e:  # keep stopping the others
                errors.append(e)
        if errors:
            raise errors[0]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when == "call":
        logs = ARTIFACTS / item.name.replace("/", "_")
        report.sections.append(("replica logs", f"kept in {logs} once the replicas are stopped"))
