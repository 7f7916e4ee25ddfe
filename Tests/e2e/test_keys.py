"""Signing keys: `keys list`, `keys rotate`, and what a running server publishes and signs with.
RFC 7517, RFC 8725 §3.1 (rotation)."""

from __future__ import annotations

import json
import sqlite3

from joserfc import jwt
from joserfc.jwk import KeySet

from support import jwt_parts, wait_until


def keys_list(server) -> list[dict]:
    return json.loads(server.cli("keys", "list", "--json", check=True).stdout)


def active_kid(keys: list[dict]) -> str:
    active = [k for k in keys if k["state"] == "active"]
    assert len(active) == 1, keys
    return active[0]["kid"]


def test_fresh_server_has_one_active_es256_key_published(server, client):
    keys = keys_list(server)
    kid = active_kid(keys)
    assert next(k for k in keys if k["kid"] == kid)["alg"] == "ES256"
    assert kid in {k["kid"] for k in server.jwks()["keys"]}
    assert jwt_parts(server.access_token(client))[0]["kid"] == kid


def test_keys_list_never_prints_private_material(server):
    text = server.cli("keys", "list", "--json", check=True).stdout + server.cli("keys", "list", check=True).stdout
    with sqlite3.connect(f"file:{server.data_dir / 'countersign.sqlite'}?mode=ro", uri=True) as db:
        sealed = [r[0] for r in db.execute("SELECT private_key FROM signing_keys")]
    assert sealed and not any(s in text for s in sealed)
    for k in keys_list(server):
        assert not {"d", "private_key", "private"} & set(k), sorted(k)
    server_key = (server.data_dir / "server.key").read_text().strip()
    assert server_key not in text


def test_rotation_publishes_new_key_keeps_old_and_switches_signing(server, client, resource_server):
    before = keys_list(server)
    old_kid = active_kid(before)
    old_token = server.access_token(client)
    old_rs_token = server.access_token(client, resource=resource_server.resources[0])
    assert jwt_parts(old_token)[0]["kid"] == old_kid

    rotated = server.cli("keys", "rotate", "--activate-in", "0")
    assert rotated.returncode == 0, rotated.stderr
    after = keys_list(server)
    new_kid = active_kid(after)
    assert new_kid != old_kid
    old_entry = next(k for k in after if k["kid"] == old_kid)
    assert old_entry["state"] != "active" and old_entry["retired_at"] and old_entry["published_until"]

    # the running server notices within a second or two: both keys in JWKS, new tokens use the new kid
    wait_until(lambda: {old_kid, new_kid} <= {k["kid"] for k in server.jwks()["keys"]},
               what="both keys in /jwks.json")
    new_token = wait_until(lambda: (t := server.access_token(client)) and jwt_parts(t)[0]["kid"] == new_kid and t,
                           what="tokens signed with the new key")

    # tokens signed before rotation stay valid until they expire
    assert server.introspect(client, old_token).json()["active"] is True
    assert server.introspect(resource_server, old_rs_token).json()["active"] is True
    assert server.introspect(client, new_token).json()["active"] is True

    # and an independent verifier with the published JWKS accepts both
    keyset = KeySet.import_key_set(server.jwks())
    for tok, kid in ((old_token, old_kid), (new_token, new_kid)):
        decoded = jwt.decode(tok, keyset, algorithms=["ES256"])
        assert decoded.header["kid"] == kid

    # rotation is audited, naming the new key and the retired one
    rot = [e for e in server.audit_events() if e["type"] == "key.rotated"]
    assert rot and rot[-1]["data"]["kid"] == new_kid and old_kid in rot[-1]["data"]["retired_kids"]
    assert rot[-1]["actor"] == "cli"


def test_second_rotation_keeps_every_unexpired_key_published(server, client):
    kids_before = {k["kid"] for k in server.jwks()["keys"]}
    token_before = server.access_token(client)
    assert server.cli("keys", "rotate", "--activate-in", "0").returncode == 0
    newest = active_kid(keys_list(server))
    wait_until(lambda: jwt_parts(server.access_token(client))[0]["kid"] == newest,
               what="tokens signed with the newest key")
    published = {k["kid"] for k in server.jwks()["keys"]}
    assert kids_before | {newest} <= published
    assert server.introspect(client, token_before).json()["active"] is True


def test_rotation_prepublishes_the_next_key_before_it_signs(server, client):
    """A key is in the JWKS before its first use."""
    current = active_kid(keys_list(server))
    rotated = server.cli("keys", "rotate", "--json")
    assert rotated.returncode == 0, rotated.stderr
    import json
    next_kid = json.loads(rotated.stdout)["kid"]
    listed = {k["kid"]: k for k in keys_list(server)}
    assert listed[next_kid]["state"] == "next"
    assert listed[current]["state"] == "active"
    wait_until(lambda: next_kid in {k["kid"] for k in server.jwks()["keys"]},
               what="the next key in /jwks.json")
    # published, but not yet signing: tokens still carry the current kid
    assert jwt_parts(server.access_token(client))[0]["kid"] == current
    # put things back for the rest of the module: make a fresh key sign at once
    assert server.cli("keys", "rotate", "--activate-in", "0").returncode == 0


def test_rotate_now_ends_a_compromised_key_and_its_tokens(server, client):
    import json
    compromised = active_kid(keys_list(server))
    # wait until the server signs with that key, so the token below is one of its
    token = wait_until(lambda: (t := server.access_token(client)) and jwt_parts(t)[0]["kid"] == compromised and t,
                       what="a token signed with the key about to be compromised")
    rotated = server.cli("keys", "rotate", "--now", "--json")
    assert rotated.returncode == 0, rotated.stderr
    replacement = json.loads(rotated.stdout)["kid"]
    wait_until(lambda: {k["kid"] for k in server.jwks()["keys"]} == {replacement},
               what="only the replacement key in /jwks.json")
    assert server.introspect(client, token).json() == {"active": False}
    assert jwt_parts(server.access_token(client))[0]["kid"] == replacement
