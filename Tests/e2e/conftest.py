"""Fixtures for the end-to-end suite.

Each test module gets its own `countersign serve` (module-scoped `server`) on a fresh data
directory and a free loopback port; tests that need a server in a particular state start their
own with `start_server`. The binary is $COUNTERSIGN_BIN, else <repo>/.build/debug/countersign.
"""

from __future__ import annotations

import pytest

from support import BIN, Server, start_server, wait_for_response


def pytest_configure(config):
    if not BIN.is_file():
        raise pytest.UsageError(f"countersign binary not found at {BIN}; build it or set COUNTERSIGN_BIN")


@pytest.fixture(scope="module")
def server(tmp_path_factory, request) -> Server:
    """A running server for the whole module. A module may set SERVER_ARGS (extra `serve`
    flags) and SERVER_LOG_LEVEL."""
    args = tuple(getattr(request.module, "SERVER_ARGS", ()))
    level = getattr(request.module, "SERVER_LOG_LEVEL", None)
    srv = start_server(tmp_path_factory.mktemp("countersign") / "data", *args, log_level=level)
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
        lambda r: r.status_code == 200, timeout=3, what="the new resource server to be known")
    return rs
