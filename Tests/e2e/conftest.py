"""Fixtures for the end-to-end suite.

Each test module gets its own `countersign serve` (module-scoped `server`) on a fresh data
directory and a free loopback port; tests that need a server in a particular state start their
own with `start_server`. The binary is $COUNTERSIGN_BIN, else <repo>/.build/debug/countersign.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import support
from support import Server, start_server, wait_for_response


def pytest_configure(config):
    """Runs a private copy of the binary, so that a rebuild of the working tree during the run
    (the linker rewriting .build/debug/countersign) can neither fail an exec with ETXTBSY nor
    mix two builds in one run."""
    source = support.BIN
    if not source.is_file():
        raise pytest.UsageError(f"countersign binary not found at {source}; build it or set COUNTERSIGN_BIN")
    snapshot_dir = Path(tempfile.mkdtemp(prefix="countersign-e2e-bin-"))
    snapshot = snapshot_dir / "countersign"
    for attempt in range(20):
        try:
            shutil.copy2(source, snapshot)
            if subprocess.run([str(snapshot), "--help"], capture_output=True, timeout=30).returncode == 0:
                break
        except OSError:
            pass
        time.sleep(0.5)  # the binary is being rewritten right now
    else:
        raise pytest.UsageError(f"could not take a working copy of {source}")
    config._countersign_snapshot_dir = snapshot_dir
    support.SOURCE_BIN, support.BIN = source, snapshot


def pytest_unconfigure(config):
    snapshot_dir = getattr(config, "_countersign_snapshot_dir", None)
    if snapshot_dir:
        shutil.rmtree(snapshot_dir, ignore_errors=True)


def pytest_report_header(config):
    return f"countersign binary: {support.SOURCE_BIN} (run from a private copy {support.BIN})"


@pytest.fixture(scope="module")
def server(tmp_path_factory, request) -> Server:
    """A running server for the whole module. A module may set SERVER_ARGS (extra `serve`
    flags), SERVER_ENV (extra environment) and SERVER_LOG_LEVEL."""
    args = tuple(getattr(request.module, "SERVER_ARGS", ()))
    level = getattr(request.module, "SERVER_LOG_LEVEL", None)
    env = dict(getattr(request.module, "SERVER_ENV", {}))
    srv = start_server(tmp_path_factory.mktemp("countersign") / "data", *args, log_level=level, env=env)
    yield srv
    srv.stop()
    srv.kill()


@pytest.fixture(scope="module")
def client(server):
    """A confidential client_credentials client with scopes "read write"."""
    return server.create_client(scope="read write")


@pytest.fixture(scope="module")
def other_client(server):
    return server.create_client(scope="read")


@pytest.fixture(scope="module")
def resource_server(server):
    """A client registered with --resource: it may introspect tokens whose aud is its URI.
    A new resource URI reaches the running server's cache within about a second; wait for it."""
    rs = server.create_client(scope=None, resources=(f"https://rs-{id(server)}.example.com/api",))
    wait_for_response(
        lambda: server.token_request(rs, {"grant_type": "client_credentials", "resource": rs.resources[0]}),
        lambda r: r.status_code == 200, what="the new resource server to be known")
    return rs


@pytest.fixture(scope="module")
def idp():
    """A real identity provider on loopback (idp.py): discovery, JWKS, RSA/EC/Ed25519-signed tokens."""
    from idp import IdP

    provider = IdP().start()
    yield provider
    provider.stop()
