"""A client's maximum token lifetime (`client create --max-token-lifetime SECONDS`): no token
issued to the client lives longer, whatever the server's default or a policy rule's TTL says
(`exp` comes from the rule's TTL, never above the client's maximum: docs/ACTION-TOKENS.md)."""
from __future__ import annotations

import json

import pytest

from support import jwt_parts, new_secret, start_server, uid

# The resource server the action tokens are for (an action token is always addressed to one).
API = "https://api.example.com"
POLICY = """\
version: 1
actions:
  ping: { description: A harmless action a rule allows for ten minutes }
rules:
  - name: anyone-pings
    action: ping
    effect: allow
    grant: { ttl: 10m }
default: deny
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("lifetime")
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    srv = start_server(root / "data", "--policy", str(policy))
    srv.create_client(scope=None, resources=(API,))
    yield srv
    srv.stop()
    srv.kill()


def _client(srv, max_lifetime: int | None):
    cid, secret = uid(), new_secret()
    args = ["client", "create", "--id", cid, f"--secret={secret}", "--grant-type", "client_credentials",
            "--scope", "read ping"]
    if max_lifetime is not None:
        args += ["--max-token-lifetime", str(max_lifetime)]
    srv.cli(*args, check=True)
    return cid, secret


def _token(srv, cid, secret, scope):
    form = {"grant_type": "client_credentials", "scope": scope}
    if scope == "ping":  # an action
        form["resource"] = API
    resp = srv.post("/token", form, auth=(cid, secret))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    claims = jwt_parts(body["access_token"])[1]
    return body, claims


@pytest.mark.parametrize("scope, uncapped", [("read", 300), ("ping", 600)])
def test_the_clients_maximum_caps_every_token(world, scope, uncapped):
    cid, secret = _client(world, 90)
    body, claims = _token(world, cid, secret, scope)
    assert claims["exp"] - claims["iat"] == 90
    assert body["expires_in"] == 90
    # A client without a maximum gets the server's default or the rule's TTL.
    cid, secret = _client(world, None)
    body, claims = _token(world, cid, secret, scope)
    assert claims["exp"] - claims["iat"] == uncapped
    assert body["expires_in"] == uncapped


def test_a_maximum_above_the_rule_leaves_the_rules_ttl(world):
    cid, secret = _client(world, 3600)
    _, claims = _token(world, cid, secret, "ping")
    assert claims["exp"] - claims["iat"] == 600


def test_the_maximum_is_listed_and_audited(world):
    cid, _ = _client(world, 120)
    listed = json.loads(world.cli("client", "list", "--json", check=True).stdout)
    mine = [c for c in listed if c["client_id"] == cid]
    assert mine and mine[0]["max_token_lifetime"] == 120
    events = [json.loads(line) for line in world.cli("audit", "export", check=True).stdout.splitlines()]
    created = [e for e in events if e["type"] == "client.created" and e["data"]["client_id"] == cid]
    assert created and created[0]["data"]["max_token_lifetime"] == 120


@pytest.mark.parametrize("value", ["59", "3601", "0", "-5", "ten", "1e3"])
def test_a_maximum_out_of_range_is_refused(world, value):
    result = world.cli("client", "create", "--id", uid(), f"--secret={new_secret()}", "--grant-type",
                       "client_credentials", f"--max-token-lifetime={value}")
    assert result.returncode != 0
    if value.lstrip("-").isdigit():
        assert "--max-token-lifetime must be between 60 and 3600 seconds" in result.stderr, result.stderr
    else:
        assert "max-token-lifetime" in result.stderr, result.stderr
