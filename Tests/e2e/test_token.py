"""POST /token with client_credentials: client authentication, scope, resource, error shapes.
RFC 6749 §2.3, §4.4, §5.1-5.2; RFC 8707."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from support import (PEER_CHECK, Client, assert_oauth_error, basic, jwt_parts, new_secret, start_server,
                     wait_for_response)

SQL = "' OR 1=1--"


# ---------------------------------------------------------------------------------------------
# Success


def test_client_secret_basic_issues_a_bearer_token(server, client):
    resp = server.token_request(client)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert "no-store" in resp.headers.get("Cache-Control", "")
    body = resp.json()
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 300
    assert isinstance(body["access_token"], str) and body["access_token"].count(".") == 2
    # scope omitted: the client's whole registered scope, and the response says which (§5.1)
    assert sorted(body["scope"].split()) == ["read", "write"]


def test_client_secret_post_issues_a_token(server, client):
    resp = server.token_request(client, method="post")
    assert resp.status_code == 200, resp.text
    assert jwt_parts(resp.json()["access_token"])[1]["client_id"] == client.id


def test_a_client_created_while_serving_works_at_once(server):
    fresh = server.create_client(scope="read")
    resp = server.token_request(fresh)
    assert resp.status_code == 200, resp.text


def test_requested_scope_subset_is_granted_exactly(server, client):
    resp = server.token_request(client, {"grant_type": "client_credentials", "scope": "read"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["scope"] == "read"
    assert jwt_parts(resp.json()["access_token"])[1]["scope"] == "read"


def test_empty_scope_counts_as_absent(server, client):
    resp = server.token_request(client, {"grant_type": "client_credentials", "scope": ""})
    assert resp.status_code == 200, resp.text
    assert sorted(resp.json()["scope"].split()) == ["read", "write"]


def test_unknown_parameters_are_ignored(server, client):
    resp = server.token_request(client, {"grant_type": "client_credentials", "frobnicate": "1"})
    assert resp.status_code == 200, resp.text


def test_basic_credentials_are_form_urlencoded(server):
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before base64, so reserved characters
    in a secret work when encoded (and, having no '+' or '%', raw as curl -u sends them), and a
    raw '%' that is not an escape is refused."""
    secret = "p:q/r=s&t?u#v~w!-" + new_secret()
    c = server.create_client(scope="read", secret=secret)
    ok = server.post("/token", {"grant_type": "client_credentials"}, headers={"Authorization": basic(c.id, secret)})
    assert ok.status_code == 200, ok.text
    raw = "Basic " + base64.b64encode(f"{c.id}:{secret}".encode()).decode()
    as_curl_sends_it = server.post("/token", {"grant_type": "client_credentials"}, headers={"Authorization": raw})
    assert as_curl_sends_it.status_code == 200, as_curl_sends_it.text
    bad_escape = "Basic " + base64.b64encode(f"{c.id}:%zz{secret}".encode()).decode()
    bad = server.post("/token", {"grant_type": "client_credentials"}, headers={"Authorization": bad_escape})
    assert_oauth_error(bad, 400, "invalid_request")


def test_resource_parameter_sets_the_audience(server, client, resource_server):
    uri = resource_server.resources[0]
    resp = server.token_request(client, {"grant_type": "client_credentials", "resource": uri})
    assert resp.status_code == 200, resp.text
    assert jwt_parts(resp.json()["access_token"])[1]["aud"] == uri


# ---------------------------------------------------------------------------------------------
# Client authentication failures (RFC 6749 §5.2)


def test_wrong_secret_basic_is_401_invalid_client_with_basic_challenge(server, client):
    resp = server.token_request(Client(client.id, client.secret + "x"))
    assert_oauth_error(resp, 401, "invalid_client", basic_challenge=True)


def test_wrong_secret_post_is_401_invalid_client(server, client):
    resp = server.token_request(Client(client.id, client.secret + "x"), method="post")
    assert_oauth_error(resp, 401, "invalid_client", basic_challenge=False)


def test_repeated_wrong_secrets_are_throttled(tmp_path):
    """RFC 6749 §10.10: secret guessing is slowed down. A dedicated server, so the
    other tests' deliberate failures never count against this budget."""
    srv = start_server(tmp_path / "data")
    try:
        c = srv.create_client(scope="read")
        guess = Client(c.id, "guess-" + "x" * 40)
        throttled = None
        for _ in range(1000):
            resp = srv.token_request(guess)
            if resp.status_code != 401:
                throttled = resp
                break
        assert throttled is not None, "1000 wrong secrets in a row were never throttled"
        # temporarily_unavailable, not slow_down: a CIBA poller reads slow_down as "poll slower".
        body = assert_oauth_error(throttled, 429, "temporarily_unavailable", basic_challenge=False)
        assert body["error_description"].startswith("too many failed client authentications from this address")
        assert int(throttled.headers["Retry-After"]) > 0
    finally:
        srv.stop()
        srv.kill()


def test_wrong_secret_post_carries_www_authenticate(server, client):
    resp = server.token_request(Client(client.id, client.secret + "x"), method="post")
    assert_oauth_error(resp, 401, "invalid_client", basic_challenge=True)


@pytest.mark.parametrize("method", ["basic", "post"])
def test_unknown_client_and_wrong_secret_look_identical(server, client, method):
    """No oracle for which client ids exist: an unknown id and a wrong secret get the same answer."""
    unknown = server.token_request(Client("no-such-client-" + method, client.secret), method=method)
    wrong = server.token_request(Client(client.id, "x" * 43), method=method)
    assert_oauth_error(unknown, 401, "invalid_client", basic_challenge=method == "basic")
    assert_oauth_error(wrong, 401, "invalid_client", basic_challenge=method == "basic")
    assert unknown.content == wrong.content
    assert unknown.headers.get("WWW-Authenticate") == wrong.headers.get("WWW-Authenticate")


def test_no_client_authentication_is_401(server):
    assert_oauth_error(server.post("/token", {"grant_type": "client_credentials"}), 401, "invalid_client")


def test_client_id_without_secret_is_401(server, client):
    resp = server.token_request(client, method="none")
    assert_oauth_error(resp, 401, "invalid_client")


def test_empty_secret_in_basic_is_401(server, client):
    resp = server.post("/token", {"grant_type": "client_credentials"}, auth=(client.id, ""))
    assert_oauth_error(resp, 401, "invalid_client")


def test_two_authentication_methods_at_once_is_invalid_request(server, client):
    """RFC 6749 §2.3: a client MUST NOT use more than one method per request."""
    resp = server.post("/token", {"grant_type": "client_credentials", "client_id": client.id,
                                  "client_secret": client.secret}, auth=client.auth)
    assert_oauth_error(resp, 400, "invalid_request")


def test_body_client_id_different_from_basic_id_is_invalid_request(server, client, other_client):
    resp = server.post("/token", {"grant_type": "client_credentials", "client_id": other_client.id}, auth=client.auth)
    assert_oauth_error(resp, 400, "invalid_request")


@pytest.mark.parametrize("value", ["!!!not-base64", "bm9jb2xvbg=="], ids=["not-base64", "no-colon"])
def test_malformed_basic_credentials_are_invalid_request(server, value):
    resp = server.post("/token", {"grant_type": "client_credentials"}, headers={"Authorization": "Basic " + value})
    assert_oauth_error(resp, 400, "invalid_request")


def test_bearer_authorization_at_token_endpoint_is_401(server):
    resp = server.post("/token", {"grant_type": "client_credentials"}, headers={"Authorization": "Bearer abc"})
    assert_oauth_error(resp, 401, "invalid_client")


@pytest.mark.parametrize("method", ["basic", "post"])
def test_sql_metacharacters_in_client_id_are_just_an_unknown_client(server, client, method):
    """An id with SQL metacharacters gets the same answer as any unknown id, byte for byte."""
    sql = server.token_request(Client(SQL, "x"), method=method)
    unknown = server.token_request(Client("plain-unknown", "x"), method=method)
    assert_oauth_error(sql, 401, "invalid_client", basic_challenge=method == "basic")
    assert sql.content == unknown.content


def test_sql_metacharacters_in_secret_are_just_a_wrong_secret(server, client):
    assert_oauth_error(server.token_request(Client(client.id, SQL)), 401, "invalid_client")
    assert_oauth_error(server.token_request(Client(client.id, "x' OR '1'='1")), 401, "invalid_client")


def test_a_deleted_client_is_refused(server):
    c = server.create_client(scope="read")
    assert server.token_request(c).status_code == 200
    server.cli("client", "delete", c.id, check=True)
    resp = wait_for_response(lambda: server.token_request(c), lambda r: r.status_code != 200,
                             what="the deleted client to be refused")
    assert_oauth_error(resp, 401, "invalid_client")


def test_public_client_cannot_use_client_credentials(server):
    """RFC 6749 §4.4: the client credentials grant MUST only be used by confidential clients.
    Either the CLI refuses the registration, or /token refuses the unauthenticated request: a
    body with only client_id never gets a token."""
    cid = f"public-{id(server)}"
    created = server.cli("client", "create", "--id", cid, "--public", "--grant-type", "client_credentials")
    if created.returncode != 0:
        assert "confidential" in created.stderr, created.stderr
        assert cid not in server.cli("client", "list", check=True).stdout
    resp = server.post("/token", {"grant_type": "client_credentials", "client_id": cid})
    assert resp.status_code in (400, 401), f"public client got {resp.status_code}: {resp.text[:120]}"
    assert resp.json()["error"] in ("unauthorized_client", "invalid_client")


# ---------------------------------------------------------------------------------------------
# Grant, scope and resource errors (RFC 6749 §5.2, RFC 8707 §2)


def test_unknown_grant_type_is_unsupported_grant_type(server, client):
    resp = server.token_request(client, {"grant_type": "urn:example:nope"})
    assert_oauth_error(resp, 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(server, client):
    assert_oauth_error(server.token_request(client, {"scope": "read"}), 400, "invalid_request")


def test_grant_not_registered_for_client_is_unauthorized_client(server):
    cid, secret = f"ac-{id(server)}", new_secret()
    server.cli("client", "create", "--id", cid, "--secret", secret, "--grant-type", "token-exchange", check=True)
    resp = server.token_request(Client(cid, secret))
    assert_oauth_error(resp, 400, "unauthorized_client")


@pytest.mark.parametrize("scope", ["admin", "read admin", SQL.replace(" ", ""), "<script>"])
def test_scope_outside_the_clients_is_invalid_scope(server, client, scope):
    resp = server.token_request(client, {"grant_type": "client_credentials", "scope": scope})
    assert_oauth_error(resp, 400, "invalid_scope")


@pytest.mark.parametrize("scope", ['re"ad', "re\\ad", "café", "read  write", " read"])
def test_malformed_scope_is_refused_without_echoing_it(server, client, scope):
    resp = server.token_request(client, {"grant_type": "client_credentials", "scope": scope})
    assert resp.status_code == 400, resp.text
    assert_oauth_error(resp, 400, resp.json()["error"])  # description checked for CR/LF/quote/non-ASCII
    assert resp.json()["error"] in ("invalid_scope", "invalid_request")


def test_unregistered_resource_is_invalid_target(server, client):
    resp = server.token_request(client, {"grant_type": "client_credentials",
                                         "resource": "https://unregistered.example.com/"})
    assert_oauth_error(resp, 400, "invalid_target")


@pytest.mark.parametrize("resource", ["/relative/path", "https://api.example.com/#frag", "not a uri",
                                      "https://x.example/" + SQL.replace(" ", "%20")])
def test_malformed_or_unknown_resource_is_invalid_target(server, client, resource):
    resp = server.token_request(client, {"grant_type": "client_credentials", "resource": resource})
    assert_oauth_error(resp, 400, "invalid_target")


def test_get_on_token_endpoint_is_405(server):
    resp = server.get("/token")
    assert resp.status_code == 405
    assert "POST" in resp.headers.get("Allow", "")  # RFC 9110 §15.5.6


def test_error_responses_carry_no_store(server, client):
    for resp in (server.token_request(client, {"grant_type": "nope"}),
                 server.token_request(Client(client.id, "wrong")),
                 server.token_request(client, {"grant_type": "client_credentials", "scope": "admin"})):
        assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers


# ---------------------------------------------------------------------------------------------
# The optional peers' protocol probe (support.PEER_CHECK): no FAIL line, exit 0


def test_peer_probe_passes(server):
    """The peers' protocol probe reports no FAIL. It is an optional extra that lives beside the
    repository; where it is absent the test is skipped with the reason shown (scripts/test runs
    pytest with -rs), and COUNTERSIGN_SKIP_PEER_CHECK=1 skips it deliberately."""
    if os.environ.get("COUNTERSIGN_SKIP_PEER_CHECK") == "1":
        pytest.skip("COUNTERSIGN_SKIP_PEER_CHECK=1")
    if not PEER_CHECK.is_file():
        pytest.skip(f"the optional peers' protocol probe is absent ({PEER_CHECK}); skipped")
    probe = server.create_client(scope="read write")
    proc = subprocess.run([sys.executable, str(PEER_CHECK), server.url + "/.well-known/oauth-authorization-server",
                           probe.id, probe.secret, "read"], capture_output=True, text=True, timeout=60)
    fails = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert proc.returncode == 0 and not fails, proc.stdout + proc.stderr
