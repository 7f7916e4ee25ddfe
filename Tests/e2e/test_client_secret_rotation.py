"""`countersign client rotate-secret`: a new secret at once, the previous one accepted for a
grace period and refused after it (a rotated-out secret is 401 invalid_client, RFC 6749 §5.2)."""
from __future__ import annotations

import json
import time

import pytest

from support import EVENTUALLY, assert_oauth_error, new_secret, uid


def _status(server, client_id, secret):
    return server.post("/token", {"grant_type": "client_credentials", "scope": "read"}, auth=(client_id, secret))


def _eventually(check, seconds=EVENTUALLY):
    """Whether CHECK comes to hold. The running server sees a change made by the CLI within about
    a second; the wait allows far longer, so that only a change never seen fails."""
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _rotate(server, client_id, *args):
    return server.cli("client", "rotate-secret", client_id, "--json", *args)


def test_a_rotation_without_grace_ends_the_old_secret(server):
    client = server.create_client(scope="read")
    result = _rotate(server, client.id)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    new = out["client_secret"]
    assert out["previous_valid_until"] is None and len(new) >= 43
    assert _eventually(lambda: _status(server, client.id, new).status_code == 200)
    assert _eventually(lambda: _status(server, client.id, client.secret).status_code == 401)
    assert_oauth_error(_status(server, client.id, client.secret), 401, "invalid_client", basic_challenge=True)
    events = [json.loads(line) for line in server.cli("audit", "export", check=True).stdout.splitlines()]
    rotated = [e for e in events if e["type"] == "client.secret_rotated" and e["data"]["client_id"] == client.id]
    assert rotated and rotated[0]["data"] == {"client_id": client.id, "previous_valid_until": None}
    assert new not in server.cli("audit", "export", check=True).stdout
    assert new.encode() not in (server.data_dir / "countersign.sqlite").read_bytes()


def test_during_the_grace_period_both_secrets_work_then_only_the_new(server):
    client = server.create_client(scope="read")
    second = new_secret()
    # A grace period no test run outlasts, so both secrets surely work during it.
    result = _rotate(server, client.id, f"--secret={second}", "--grace", "600")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert "client_secret" not in out, "a supplied secret is never printed"
    assert out["previous_valid_until"].endswith("Z")
    assert _eventually(lambda: _status(server, client.id, second).status_code == 200)
    assert _status(server, client.id, client.secret).status_code == 200
    # Past its grace period (a second long, on another client) the old secret is refused, the
    # new one still works.
    brief, third = server.create_client(scope="read"), new_secret()
    assert _rotate(server, brief.id, f"--secret={third}", "--grace", "1").returncode == 0
    assert _eventually(lambda: _status(server, brief.id, brief.secret).status_code == 401)
    assert _status(server, brief.id, third).status_code == 200


def test_a_second_rotation_drops_the_secret_before_the_last(server):
    client = server.create_client(scope="read")
    second, third = new_secret(), new_secret()
    assert _rotate(server, client.id, f"--secret={second}", "--grace", "600").returncode == 0
    assert _rotate(server, client.id, f"--secret={third}", "--grace", "600").returncode == 0
    assert _eventually(lambda: _status(server, client.id, third).status_code == 200)
    assert _eventually(lambda: _status(server, client.id, client.secret).status_code == 401)
    assert _status(server, client.id, second).status_code == 200


@pytest.mark.parametrize("args, message", [
    (["--grace", "604801"], "--grace must be between 0 and 604800 seconds"),
    (["--grace=-1"], "--grace must be between 0 and 604800 seconds"),
    (["--secret=short"], "at least 32 characters"),
])
def test_bad_rotation_options_are_refused(server, args, message):
    client = server.create_client(scope="read")
    result = server.cli("client", "rotate-secret", client.id, *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert _status(server, client.id, client.secret).status_code == 200, "a refused rotation changes nothing"


def test_rotating_an_unknown_or_public_client_is_refused(server):
    result = server.cli("client", "rotate-secret", "no-such-" + uid())
    assert result.returncode != 0 and "no confidential client with id" in result.stderr, result.stderr
    public_id = uid()
    server.cli("client", "create", "--id", public_id, "--public", "--grant-type", "token-exchange", check=True)
    result = server.cli("client", "rotate-secret", public_id)
    assert result.returncode != 0 and "no confidential client with id" in result.stderr, result.stderr
