"""POST /introspect (RFC 7662) and POST /revoke (RFC 7009)."""

from __future__ import annotations

import pytest

from support import Client, assert_oauth_error, jwt_parts, start_server

INACTIVE = {"active": False}
SQL = "' OR 1=1--"


# ---------------------------------------------------------------------------------------------
# Introspection


def test_own_token_introspects_active_with_its_claims(server, client):
    tok = server.access_token(client, scope="read")
    claims = jwt_parts(tok)[1]
    resp = server.introspect(client, tok)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert "no-store" in resp.headers.get("Cache-Control", "")
    body = resp.json()
    assert body["active"] is True
    assert body["client_id"] == client.id
    assert body["scope"] == "read"
    assert body["token_type"].lower() == "bearer"
    for name in ("exp", "iat", "sub", "aud", "iss", "jti"):
        assert body[name] == claims[name], name


def test_introspection_with_client_secret_post(server, client):
    tok = server.access_token(client)
    resp = server.post("/introspect", {"token": tok, "client_id": client.id, "client_secret": client.secret})
    assert resp.status_code == 200 and resp.json()["active"] is True, resp.text


def test_introspection_without_client_authentication_is_401(server, client):
    tok = server.access_token(client)
    assert_oauth_error(server.introspect(None, tok), 401, "invalid_client")


def test_introspection_with_wrong_secret_is_401(server, client):
    tok = server.access_token(client)
    assert_oauth_error(server.introspect(Client(client.id, "wrong-" + client.secret), tok), 401, "invalid_client")


def test_introspection_with_two_auth_methods_is_invalid_request(server, client):
    tok = server.access_token(client)
    resp = server.post("/introspect", {"token": tok, "client_id": client.id, "client_secret": client.secret},
                       auth=client.auth)
    assert_oauth_error(resp, 400, "invalid_request")


def test_introspection_without_token_is_invalid_request(server, client):
    assert_oauth_error(server.post("/introspect", {}, auth=client.auth), 400, "invalid_request")


@pytest.mark.parametrize("garbage", ["garbage.token.value", "x", "a.b.c", SQL, "e30.e30.", "." * 2, "A" * 8000,
                                     "a." * 5000 + "b"])
def test_garbage_introspects_exactly_inactive(server, client, garbage):
    resp = server.introspect(client, garbage)
    assert resp.status_code == 200, resp.text
    assert resp.json() == INACTIVE


def test_another_clients_token_is_inactive_for_the_caller(server, client, other_client):
    """RFC 7662 §2.2/§4: the caller learns nothing about tokens it may not see."""
    tok = server.access_token(client)
    assert server.introspect(other_client, tok).json() == INACTIVE
    assert server.introspect(client, tok).json()["active"] is True


def test_wrong_token_type_hint_still_resolves(server, client):
    """RFC 7662 §2.1: the hint is only a hint."""
    tok = server.access_token(client)
    for hint in ("refresh_token", "access_token", "urn:example:whatever"):
        resp = server.introspect(client, tok, token_type_hint=hint)
        assert resp.status_code == 200 and resp.json()["active"] is True, (hint, resp.text)


def test_resource_server_sees_tokens_for_its_audience(server, client, resource_server):
    tok = server.access_token(client, resource=resource_server.resources[0])
    resp = server.introspect(resource_server, tok)
    assert resp.status_code == 200
    body = resp.json()
    assert body["active"] is True
    assert body["aud"] == resource_server.resources[0]
    assert body["client_id"] == client.id
    # the holder still sees its own token
    assert server.introspect(client, tok).json()["active"] is True


def test_resource_server_does_not_see_tokens_for_other_audiences(server, client, resource_server):
    tok = server.access_token(client)  # aud = issuer
    assert server.introspect(resource_server, tok).json() == INACTIVE


def test_unrelated_client_does_not_see_resource_tokens(server, client, other_client, resource_server):
    tok = server.access_token(client, resource=resource_server.resources[0])
    assert server.introspect(other_client, tok).json() == INACTIVE


def test_get_on_introspect_is_405(server):
    resp = server.get("/introspect")
    assert resp.status_code == 405
    assert "POST" in resp.headers.get("Allow", "")


# ---------------------------------------------------------------------------------------------
# Revocation


def test_revoke_own_token_makes_it_inactive_at_once(server, client, resource_server):
    tok = server.access_token(client, resource=resource_server.resources[0])
    assert server.introspect(client, tok).json()["active"] is True
    resp = server.revoke(client, tok, token_type_hint="access_token")
    assert resp.status_code == 200, resp.text
    assert "no-store" in resp.headers.get("Cache-Control", "")
    assert server.introspect(client, tok).json() == INACTIVE
    assert server.introspect(resource_server, tok).json() == INACTIVE


def test_revocation_on_one_process_is_inactive_on_another_at_once(server, client, resource_server):
    """Two server processes on one store. A revocation made on A is seen by B's very
    next introspection, not after B's once-a-second reload of its in-memory list."""
    replica = start_server(server.data_dir, "--issuer", server.issuer)  # replicas share one issuer
    try:
        tokens = [server.access_token(client, resource=resource_server.resources[0]) for _ in range(5)]
        # B has loaded its revocation list once already; each token is active on B before.
        for tok in tokens:
            assert replica.introspect(client, tok).json()["active"] is True
        for tok in tokens:
            assert server.revoke(client, tok).status_code == 200
            assert replica.introspect(client, tok).json() == INACTIVE
            assert replica.introspect(resource_server, tok).json() == INACTIVE
    finally:
        replica.stop()


def test_revoke_is_idempotent(server, client):
    tok = server.access_token(client)
    assert server.revoke(client, tok).status_code == 200
    assert server.revoke(client, tok).status_code == 200
    assert server.introspect(client, tok).json() == INACTIVE


def test_revoke_with_wrong_hint_still_revokes(server, client):
    tok = server.access_token(client)
    assert server.revoke(client, tok, token_type_hint="refresh_token").status_code == 200
    assert server.introspect(client, tok).json() == INACTIVE


def test_revoke_with_client_secret_post(server, client):
    tok = server.access_token(client)
    resp = server.post("/revoke", {"token": tok, "client_id": client.id, "client_secret": client.secret})
    assert resp.status_code == 200, resp.text
    assert server.introspect(client, tok).json() == INACTIVE


@pytest.mark.parametrize("garbage", ["garbage.token.value", "x", SQL, "A" * 9000])
def test_revoke_garbage_is_200(server, client, garbage):
    """RFC 7009 §2.2: invalid tokens do not cause an error response."""
    resp = server.revoke(client, garbage)
    assert resp.status_code == 200, resp.text


def test_revoke_another_clients_token_is_refused_and_leaves_it_active(server, client, other_client):
    tok = server.access_token(client)
    assert_oauth_error(server.revoke(other_client, tok), 400, "invalid_request")
    assert server.introspect(client, tok).json()["active"] is True


def test_resource_server_cannot_revoke_a_token_it_did_not_receive_as_client(server, client, resource_server):
    tok = server.access_token(client, resource=resource_server.resources[0])
    assert_oauth_error(server.revoke(resource_server, tok), 400, "invalid_request")
    assert server.introspect(client, tok).json()["active"] is True


@pytest.mark.parametrize("hint", ["id_token", "urn:ietf:params:oauth:token-type:jwt", "ACCESS_TOKEN", "x"])
def test_unsupported_token_type_hint_is_400(server, client, hint):
    tok = server.access_token(client)
    assert_oauth_error(server.revoke(client, tok, token_type_hint=hint), 400, "unsupported_token_type")
    assert server.introspect(client, tok).json()["active"] is True


def test_revoke_without_client_authentication_is_401(server, client):
    tok = server.access_token(client)
    assert_oauth_error(server.revoke(None, tok), 401, "invalid_client")
    assert server.introspect(client, tok).json()["active"] is True


def test_revoke_with_wrong_secret_is_401(server, client):
    tok = server.access_token(client)
    assert_oauth_error(server.revoke(Client(client.id, "nope-" + client.secret), tok), 401, "invalid_client")
    assert server.introspect(client, tok).json()["active"] is True


def test_revoke_without_token_is_invalid_request(server, client):
    assert_oauth_error(server.post("/revoke", {}, auth=client.auth), 400, "invalid_request")


def test_get_on_revoke_is_405(server):
    resp = server.get("/revoke")
    assert resp.status_code == 405
    assert "POST" in resp.headers.get("Allow", "")


def test_revoking_one_token_leaves_siblings_active(server, client):
    a, b = server.access_token(client), server.access_token(client)
    assert server.revoke(client, a).status_code == 200
    assert server.introspect(client, a).json() == INACTIVE
    assert server.introspect(client, b).json()["active"] is True


SCAN_LIMIT = 1_000  # unverifiable tokens one client may present per minute (IntrospectionEndpoint.scanLimit)


def test_token_scanning_is_slowed_per_client(server):
    """Token scanning is slowed per client: past the limit, a client presenting tokens we never
    issued gets 429 for each further one; a token that verifies is still answered, and other
    clients are untouched."""
    import requests

    scanner, bystander = server.create_client(), server.create_client()
    real = server.access_token(scanner, scope="read")
    with requests.Session() as s:
        s.auth = (scanner.id, scanner.secret)
        for i in range(SCAN_LIMIT):
            r = s.post(server.url + "/introspect", data={"token": f"eyJhbGciOiJFUzI1NiJ9.e30.forged{i}"}, timeout=15)
            assert r.status_code == 200 and r.json() == {"active": False}, (i, r.text)
    late = server.introspect(scanner, "one-more-forgery")
    body = assert_oauth_error(late, 429, "temporarily_unavailable")
    assert "did not issue" in body["error_description"]
    assert 1 <= int(late.headers["Retry-After"]) <= 60
    # A real token is always answered: forgeries cannot lock a resource server out.
    assert server.introspect(scanner, real).json()["active"] is True
    # Another client is not slowed by the scanner.
    own = server.access_token(bystander, scope="read")
    assert server.introspect(bystander, own).json()["active"] is True
    assert server.introspect(bystander, "forged-by-the-bystander").json() == {"active": False}
