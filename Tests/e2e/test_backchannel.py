"""Backchannel authentication (OpenID CIBA Core 1.0, docs/APPROVALS.md): POST /bc-authorize with a hint
naming the user, the decision at once, then poll, ping or push. The notification endpoint is a
real HTTP server on loopback that records what reaches it."""

from __future__ import annotations

import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from notifications import EventStream, Receiver
from support import (EVENTUALLY, Client, assert_oauth_error, new_secret, run_cli, start_server, uid, wait_for_response,
                     wait_until)

CIBA = "urn:openid:params:grant-type:ciba"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"
# Notifications on loopback need the operator's permission; this module's server has it.
SERVER_ARGS = ("--allow-private-callbacks",)
# Heartbeats (and the re-check of a listener's user) every second instead of fifteen.
SERVER_ENV = {"COUNTERSIGN_SSE_HEARTBEAT": "1"}


@pytest.fixture(scope="module")
def world(server, idp):
    """Users bob (the requester) and two finance leads with personal tokens, the IdP trusted,
    a poll client, and the payments API as a resource server."""
    server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign",
               "--claim", "roles=realm_access.roles", check=True)
    tokens = {}
    for name, args in {"bob": ["--role", "employee", "--claim", "email=bob@example.com"],
                       "fiona": ["--group", "finance-leads"], "gita": ["--group", "finance-leads"],
                       "mallory": [], "dora": ["--role", "employee"]}.items():
        server.cli("user", "create", name, *args, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    server.cli("user", "disable", "dora", check=True)
    poller = server.create_client(scope="read", grant_types=("ciba",), extra=("--asserts-users",))
    api = server.create_client(scope=None, resources=(API,))
    wait_for_response(lambda: server.token_request(api, {"grant_type": "client_credentials", "resource": API}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    return poller, api, tokens


def notifying_client(server, mode: str, endpoint: str) -> Client:
    cid, secret = uid("ciba"), new_secret()
    server.cli("client", "create", "--id", cid, f"--secret={secret}", "--grant-type", "ciba", "--asserts-users", "--scope", "read",
               "--ciba-mode", mode, "--notification-endpoint", endpoint, check=True)
    client = Client(cid, secret, "read", ())
    # The running server picks up new clients within about a second; a denied request (no
    # notification) tells when.
    wait_for_response(lambda: authorize(server, client, currency="JPY", client_notification_token="warm-up"),
                      lambda r: r.status_code == 403, what="the new client to be known")
    return client


def refund(amount=25, currency="EUR"):
    return json.dumps([{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": amount,
                        "currency": currency}])


def authorize(server, client, *, amount=25, currency="EUR", **form):
    body = {"login_hint": "bob", "resource": API, "authorization_details": refund(amount, currency), **form}
    body = {k: v for k, v in body.items() if v is not None}
    return server.post("/bc-authorize", body, auth=(client.id, client.secret))


def poll(server, client, auth_req_id):
    return server.token_request(client, {"grant_type": CIBA, "auth_req_id": auth_req_id})


def approve_all(server, tokens, rid, approvers=("fiona", "gita")):
    for name in approvers:
        resp = server.post(f"{BASE}/{rid}/approve", body=json.dumps({"reason": "ok"}).encode(),
                           content_type="application/json", headers={"Authorization": f"Bearer {tokens[name]}"})
        assert resp.status_code == 200, resp.text
    return resp.json()


def newest_request(server, tokens, approver="fiona"):
    resp = server.get(BASE, headers={"Authorization": f"Bearer {tokens[approver]}"})
    assert resp.status_code == 200, resp.text
    return resp.json()["approval_requests"][0]


def claims_of(server, token):
    return jwt.decode(token, KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims


def test_discovery_names_the_endpoint_and_the_delivery_modes(server):
    meta = server.metadata()
    assert meta["backchannel_authentication_endpoint"] == server.issuer + "/bc-authorize"
    assert meta["backchannel_token_delivery_modes_supported"] == ["poll", "ping", "push"]
    assert meta["backchannel_user_code_parameter_supported"] is False
    assert CIBA in meta["grant_types_supported"]


def test_an_allowed_action_is_redeemed_by_the_first_poll_once(server, world):
    poller, _, _ = world
    resp = authorize(server, poller, scope="openid")
    assert resp.status_code == 200, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert set(body) == {"auth_req_id", "expires_in", "interval"}
    assert len(body["auth_req_id"]) >= 27 and body["interval"] == 5  # 160 random bits, base64url
    token = poll(server, poller, body["auth_req_id"])
    assert token.status_code == 200, token.text
    claims = claims_of(server, token.json()["access_token"])
    assert claims["sub"] == "bob" and claims["aud"] == API and claims["client_id"] == poller.id
    assert "approval" not in claims  # nobody had to approve it
    assert_oauth_error(poll(server, poller, body["auth_req_id"]), 400, "invalid_grant")


def test_without_resource_the_token_is_for_the_resource_server_covering_the_locations(server, world):
    """Fails against 503d0c1: the redeemed token's aud was the issuer, which the payments API
    can never accept (docs/ACTION-TOKENS.md, "The audience")."""
    poller, api, _ = world
    resp = authorize(server, poller, resource=None)
    assert resp.status_code == 200, resp.text
    token = poll(server, poller, resp.json()["auth_req_id"])
    assert claims_of(server, token.json()["access_token"])["aud"] == API
    assert server.introspect(api, token.json()["access_token"]).json()["active"] is True
    details = json.dumps([{"type": "change_payout_account", "iban": "DE89370400440532013000"}])
    bare = server.post("/bc-authorize", {"login_hint": "bob", "authorization_details": details},
                       auth=(poller.id, poller.secret))
    body = assert_oauth_error(bare, 400, "invalid_target")
    assert body["error_description"] == (
        "resource is required: name the resource server that will act on this action token (RFC 8707); "
        "the request has no locations to find it by")


def test_an_approval_is_pending_then_redeemed_with_the_approval_claim(server, world):
    poller, _, tokens = world
    resp = authorize(server, poller, amount=250, binding_message="Refund 4711")
    assert resp.status_code == 200, resp.text
    auth_req_id = resp.json()["auth_req_id"]
    assert resp.json()["expires_in"] == 900  # the rule's expires_in
    assert_oauth_error(poll(server, poller, auth_req_id), 400, "authorization_pending")
    shown = newest_request(server, tokens)
    assert shown["binding_message"] == "Refund 4711" and shown["subject"] == "bob"
    approve_all(server, tokens, shown["id"])
    token = poll(server, poller, auth_req_id)
    assert token.status_code == 200, token.text
    claims = claims_of(server, token.json()["access_token"])
    assert claims["approval"]["approvers"] == ["fiona", "gita"] and claims["sub"] == "bob"


def test_the_requester_cannot_approve_and_the_owner_confirms_their_own(server, world):
    poller, _, tokens = world
    details = json.dumps([{"type": "change_payout_account", "iban": "DE89370400440532013000"}])
    resp = server.post("/bc-authorize", {"login_hint": "bob", "resource": API, "authorization_details": details},
                       auth=(poller.id, poller.secret))
    assert resp.status_code == 200, resp.text
    rid = newest_request(server, tokens, "bob")["id"]
    other = server.post(f"{BASE}/{rid}/approve", body=b"", headers={"Authorization": f"Bearer {tokens['fiona']}"})
    assert other.status_code in (403, 404), other.text
    own = server.post(f"{BASE}/{rid}/approve", body=b"", headers={"Authorization": f"Bearer {tokens['bob']}"})
    assert own.status_code == 200 and own.json()["state"] == "approved", own.text
    assert poll(server, poller, resp.json()["auth_req_id"]).status_code == 200


def test_the_owners_confirmation_is_by_exact_name_and_erin_is_not_erin(server, world):
    """User names are case-sensitive: user Erin is someone other than user erin, and may not give
    erin's own confirmation of a payout change (docs/APPROVALS.md, "Who is who")."""
    poller, _, tokens = world
    for name in ("erin", "Erin"):
        server.cli("user", "create", name, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    details = json.dumps([{"type": "change_payout_account", "iban": "DE89370400440532013000"}])
    resp = server.post("/bc-authorize", {"login_hint": "erin", "resource": API, "authorization_details": details},
                       auth=(poller.id, poller.secret))
    assert resp.status_code == 200, resp.text
    rid = newest_request(server, tokens, "erin")["id"]
    listed = server.get(BASE, headers={"Authorization": f"Bearer {tokens['Erin']}"}).json()["approval_requests"]
    assert rid not in [r["id"] for r in listed]
    other = server.post(f"{BASE}/{rid}/approve", body=b"", headers={"Authorization": f"Bearer {tokens['Erin']}"})
    assert other.status_code == 403, other.text
    assert other.json() == {"error": "forbidden", "error_description": "only erin, who asked for this action, can confirm it"}
    assert_oauth_error(poll(server, poller, resp.json()["auth_req_id"]), 400, "authorization_pending")
    own = server.post(f"{BASE}/{rid}/approve", body=b"", headers={"Authorization": f"Bearer {tokens['erin']}"})
    assert own.status_code == 200 and own.json()["state"] == "approved", own.text
    time.sleep(5)  # the poll interval
    token = poll(server, poller, resp.json()["auth_req_id"])
    assert token.status_code == 200, token.text
    claims = claims_of(server, token.json()["access_token"])
    assert claims["sub"] == "erin" and claims["approval"]["approvers"] == ["erin"]


def test_a_denied_action_is_403_access_denied_with_the_policys_reason(server, world):
    poller, _, _ = world
    body = assert_oauth_error(authorize(server, poller, currency="JPY"), 403, "access_denied")
    assert body["error_description"] == "Refunds are possible in EUR, USD and GBP only."


@pytest.mark.parametrize("form, error, description", [
    ({"login_hint": None}, "invalid_request",
     "name the user with exactly one of login_hint, login_hint_token or id_token_hint"),
    ({"id_token_hint": "x.y.z"}, "invalid_request",
     "send exactly one of login_hint, login_hint_token or id_token_hint, not login_hint and id_token_hint"),
    ({"login_hint": "nobody"}, "unknown_user_id", "login_hint names no user of this server"),
    ({"login_hint": "dora"}, "unknown_user_id", "login_hint names no user of this server"),
    ({"login_hint": "../../etc"}, "unknown_user_id", "login_hint names no user of this server"),
    ({"binding_message": "x" * 101}, "invalid_binding_message", None),
    ({"binding_message": "line\nbreak"}, "invalid_binding_message", None),
    ({"binding_message": "   "}, "invalid_binding_message", None),
    ({"requested_expiry": "0"}, "invalid_request", None),
    ({"requested_expiry": "-5"}, "invalid_request", None),
    ({"requested_expiry": "1e3"}, "invalid_request", None),
    ({"requested_expiry": "99999999999999999999"}, "invalid_request", None),
    ({"requested_expiry": " 60"}, "invalid_request", None),
    ({"authorization_details": None}, "invalid_request",
     "name the action: authorization_details, or a scope equal to an action name"),
])
def test_bad_requests_get_the_ciba_error(server, world, form, error, description):
    poller, _, _ = world
    body = assert_oauth_error(authorize(server, poller, **form), 400, error)
    if description:
        assert body["error_description"] == description


def test_a_client_not_registered_for_ciba_is_refused_and_a_stranger_is_401(server, world, client):
    poller, _, _ = world
    assert_oauth_error(authorize(server, client), 400, "unauthorized_client")
    stranger = Client(poller.id, new_secret(), "read", ())
    assert_oauth_error(authorize(server, stranger), 401, "invalid_client")
    resp = server.get("/bc-authorize")
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"


def test_requested_expiry_shortens_never_lengthens_and_expiry_is_expired_token(server, world):
    poller, _, _ = world
    longer = authorize(server, poller, amount=250, requested_expiry="86400")
    assert longer.status_code == 200 and longer.json()["expires_in"] == 900  # capped by the rule
    short = authorize(server, poller, amount=250, requested_expiry="1")
    assert short.status_code == 200 and short.json()["expires_in"] == 1
    time.sleep(1.5)
    assert_oauth_error(poll(server, poller, short.json()["auth_req_id"]), 400, "expired_token")


def test_a_trusted_issuers_token_names_the_subject(server, world, idp):
    poller, _, _ = world
    hint = idp.token("alice", realm_access={"roles": ["employee"]})
    resp = authorize(server, poller, login_hint=None, id_token_hint=hint)
    assert resp.status_code == 200, resp.text
    token = poll(server, poller, resp.json()["auth_req_id"])
    assert claims_of(server, token.json()["access_token"])["sub"] == "alice"
    expired = idp.token("alice", exp=int(time.time()) - 3600)
    assert_oauth_error(authorize(server, poller, login_hint=None, login_hint_token=expired), 400,
                       "expired_login_hint_token")
    assert_oauth_error(authorize(server, poller, login_hint=None, login_hint_token="not-a-jwt"), 400, "invalid_request")


def test_another_clients_auth_req_id_is_unknown_to_it(server, world, other_client):
    poller, _, _ = world
    auth_req_id = authorize(server, poller).json()["auth_req_id"]
    thief = server.create_client(scope="read", grant_types=("ciba",), extra=("--asserts-users",))
    body = assert_oauth_error(poll(server, thief, auth_req_id), 400, "invalid_grant")
    assert body["error_description"] == "auth_req_id is unknown, or was issued to another client"
    assert poll(server, poller, auth_req_id).status_code == 200  # still the owner's


def test_ping_tells_the_client_then_it_polls(server, world):
    _, _, tokens = world
    receiver = Receiver()
    try:
        pinged = notifying_client(server, "ping", receiver.url + "/cb")
        assert_oauth_error(authorize(server, pinged), 400, "invalid_request")  # no client_notification_token
        assert_oauth_error(authorize(server, pinged, client_notification_token="x" * 1025), 400, "invalid_request")
        assert_oauth_error(authorize(server, pinged, client_notification_token="has space"), 400, "invalid_request")
        count = len(receiver.received)
        resp = authorize(server, pinged, amount=250, client_notification_token="ping-token-1")
        assert resp.status_code == 200, resp.text
        auth_req_id = resp.json()["auth_req_id"]
        approve_all(server, tokens, newest_request(server, tokens)["id"])
        ping = receiver.wait(count + 1)[-1]
        assert ping["path"] == "/cb" and ping["body"] == {"auth_req_id": auth_req_id}
        assert ping["headers"]["Authorization"] == "Bearer ping-token-1"
        assert ping["headers"]["Content-Type"] == "application/json"
        assert poll(server, pinged, auth_req_id).status_code == 200
        # A denial is pinged too.
        denied = authorize(server, pinged, amount=250, client_notification_token="ping-token-2").json()["auth_req_id"]
        rid = newest_request(server, tokens)["id"]
        server.post(f"{BASE}/{rid}/deny", body=json.dumps({"reason": "no"}).encode(),
                    headers={"Authorization": f"Bearer {tokens['fiona']}"})
        ping = receiver.wait(count + 2)[-1]
        assert ping["body"] == {"auth_req_id": denied} and ping["headers"]["Authorization"] == "Bearer ping-token-2"
        assert_oauth_error(poll(server, pinged, denied), 400, "access_denied")
    finally:
        receiver.stop()


def test_push_delivers_the_token_itself_and_refuses_polling(server, world):
    _, api, tokens = world
    receiver = Receiver(status=200)
    try:
        pushed = notifying_client(server, "push", receiver.url + "/push")
        count = len(receiver.received)
        resp = authorize(server, pushed, amount=250, client_notification_token="push-token")
        auth_req_id = resp.json()["auth_req_id"]
        assert_oauth_error(poll(server, pushed, auth_req_id), 400, "unauthorized_client")
        approve_all(server, tokens, newest_request(server, tokens)["id"])
        push = receiver.wait(count + 1)[-1]
        assert push["headers"]["Authorization"] == "Bearer push-token"
        body = push["body"]
        assert body["auth_req_id"] == auth_req_id and body["token_type"] == "Bearer" and body["expires_in"] == 300
        claims = claims_of(server, body["access_token"])
        assert claims["approval"]["approvers"] == ["fiona", "gita"] and claims["client_id"] == pushed.id
        # The pushed token is real: the payments API's first introspection says active.
        assert server.introspect(api, body["access_token"]).json()["active"] is True
        # A denial is pushed as the CIBA error (section 12).
        denied = authorize(server, pushed, amount=250, client_notification_token="push-token").json()["auth_req_id"]
        rid = newest_request(server, tokens)["id"]
        server.post(f"{BASE}/{rid}/deny", body=json.dumps({"reason": "no"}).encode(),
                    headers={"Authorization": f"Bearer {tokens['gita']}"})
        push = receiver.wait(count + 2)[-1]
        assert push["body"]["auth_req_id"] == denied and push["body"]["error"] == "access_denied"
        exported = json.dumps(server.audit_events())
        logs = server.stderr_text()
        for secret in ("push-token", body["access_token"], auth_req_id, denied):
            assert secret not in exported and secret not in logs
    finally:
        receiver.stop()


@pytest.mark.parametrize("status, attempts", [(401, 1), (307, 1), (503, 2)])
def test_an_endpoint_that_refuses_is_not_retried_and_one_that_fails_is(server, world, status, attempts):
    _, _, tokens = world
    receiver = Receiver(status=status)
    try:
        pinged = notifying_client(server, "ping", receiver.url + "/cb")
        count = len(receiver.received)
        auth_req_id = authorize(server, pinged, client_notification_token="t").json()["auth_req_id"]
        receiver.wait(count + attempts)
        time.sleep(1.0)  # time for a retry that must not come (the first retry waits 0.5 s)
        got = [r for r in receiver.received[count:] if r["body"] == {"auth_req_id": auth_req_id}]
        assert len(got) == attempts if status != 503 else len(got) >= 2
        # A redirect is never followed: nothing ever arrives at its Location.
        assert all(r["path"] == "/cb" and r["method"] == "POST" for r in receiver.received[count:])
        assert poll(server, pinged, auth_req_id).status_code == 200  # polling still works
    finally:
        receiver.stop()


@pytest.mark.parametrize("kind", ["refusing", "silent"])
def test_a_dead_or_silent_endpoint_delays_no_vote_and_polling_still_works(server, world, kind):
    import socket

    _, _, tokens = world
    # "refusing": nothing listens; "silent": connections are accepted and never answered.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    if kind == "silent":
        sock.listen(16)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if kind == "refusing":
        sock.close()
    try:
        pinged = notifying_client(server, "ping", url + "/cb")
        auth_req_id = authorize(server, pinged, amount=250, client_notification_token="t").json()["auth_req_id"]
        rid = newest_request(server, tokens)["id"]
        approve_all(server, tokens, rid, approvers=("fiona",))

        def failures():
            return [line for line in server.stderr_text().splitlines()
                    if "client notification failed" in line and rid in line]

        approve_all(server, tokens, rid, approvers=("gita",))
        # The deciding vote never waits for the endpoint: it is answered while the first attempt
        # is still under way, which against a dead or silent endpoint ends only at the attempt's
        # 5-second deadline, with a failure logged. A vote that waited would come after that.
        assert not failures()
        wait_until(failures, what="the first attempt to fail")
        assert poll(server, pinged, auth_req_id).status_code == 200
    finally:
        if kind == "silent":
            sock.close()


def test_without_permission_no_private_or_plain_http_endpoint_is_called_and_no_push_token_minted(tmp_path, world):
    receiver = Receiver()
    port = receiver.httpd.server_address[1]
    strict = start_server(tmp_path / "strict")
    endpoints = {
        "http": (receiver.url + "/cb", "plain http is refused"),
        "v4": (f"https://127.0.0.1:{port}/cb", "127.0.0.1 is not a public address"),
        "v6": (f"https://[::1]:{port}/cb", "::1 is not a public address"),
        "mapped": (f"https://[::ffff:127.0.0.1]:{port}/cb", "is not a public address"),
        "name": (f"https://localhost:{port}/cb", "localhost is not a public address"),
        "short": (f"https://127.1:{port}/cb", "127.1 resolves to 127.0.0.1, which is not a public address"),
        "decimal": (f"https://2130706433:{port}/cb", "resolves to 127.0.0.1, which is not a public address"),
        "metadata": ("https://169.254.169.254/cb", "169.254.169.254 is not a public address"),
    }
    try:
        strict.cli("user", "create", "bob", check=True)
        strict.create_client(scope=None, resources=(API,))
        answers = {}
        for name, (url, _) in endpoints.items():
            mode = "push" if name in ("v4", "metadata") else "ping"
            cid, secret = uid(name), new_secret()
            strict.cli("client", "create", "--id", cid, f"--secret={secret}", "--grant-type", "ciba", "--asserts-users", "--ciba-mode", mode,
                       "--notification-endpoint", url, check=True)
            client = Client(cid, secret, "", ())
            answers[name] = (client, wait_for_response(lambda: authorize(strict, client, client_notification_token="t"),
                                                       lambda r: r.status_code == 200, what="the client"))
        # Each attempt ends in its refusal, logged, without a connection being made.
        wait_until(lambda: all(why in strict.stderr_text() for _, why in endpoints.values()),
                   what="a refusal logged for every endpoint")
        assert receiver.received == []
        logs = strict.stderr_text()
        for name, (_, why) in endpoints.items():
            assert why in logs, (name, why)
        # A push that cannot be sent never redeems the request: no token was minted for it.
        assert not [e for e in strict.audit_events() if e["type"] in ("approval.redeemed", "token.issued")]
        client, resp = answers["short"]
        assert poll(strict, client, resp.json()["auth_req_id"]).status_code == 200  # a ping client can still poll
    finally:
        strict.stop()
        receiver.stop()


@pytest.mark.parametrize("args, message", [
    (["--ciba-mode", "ping"], "--ciba-mode ping needs --notification-endpoint URL"),
    (["--ciba-mode", "push", "--notification-endpoint", "ftp://x"], "must be an absolute http(s) URI"),
    (["--notification-endpoint", "https://c.example/cb"], "--notification-endpoint is only used with --ciba-mode ping or push"),
])
def test_client_registration_checks_the_delivery_settings(server, args, message):
    result = server.cli("client", "create", "--id", uid(), "--grant-type", "ciba", *args)
    assert result.returncode != 0 and message in result.stderr


def test_server_sent_events_show_new_and_decided_requests_to_those_who_may_see_them(server, world):
    poller, _, tokens = world
    resp = server.get("/api/v1/events")
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token"
    fiona, mallory = EventStream(server, tokens["fiona"]), EventStream(server, tokens["mallory"])
    try:
        assert fiona.resp.status == 200
        assert fiona.resp.getheader("Content-Type") == "text/event-stream"
        assert fiona.listening.wait(EVENTUALLY) and mallory.listening.wait(EVENTUALLY)
        authorize(server, poller, amount=250, binding_message="SSE 1")
        new = fiona.wait(lambda e: e["event"] == "approval.requested")
        request = json.loads(new["data"])
        assert request["state"] == "pending" and request["binding_message"] == "SSE 1"
        approve_all(server, tokens, request["id"])
        voted = fiona.wait(lambda e: e["event"] == "approval.voted" and json.loads(e["data"])["id"] == request["id"])
        decided = fiona.wait(lambda e: e["event"] == "approval.decided")
        assert json.loads(decided["data"])["state"] == "approved" and int(decided["id"]) > int(voted["id"])
        time.sleep(0.3)
        assert mallory.events == []  # not a finance lead: sees nothing of it
    finally:
        fiona.close()
        mallory.close()


def test_operators_list_show_and_cancel_and_approvers_vote_from_the_command_line(server, world):
    poller, _, tokens = world
    auth_req_id = authorize(server, poller, amount=250, binding_message="CLI refund").json()["auth_req_id"]
    listed = [json.loads(line) for line in server.cli("request", "list", "--json", check=True).stdout.splitlines()]
    mine = next(r for r in listed if r.get("binding_message") == "CLI refund")
    rid = mine["id"]
    assert mine["state"] == "pending" and mine["subject"] == "bob"
    assert rid in server.cli("request", "list", check=True).stdout
    shown = json.loads(server.cli("request", "show", rid, "--json", check=True).stdout)
    assert shown["id"] == rid and shown["approvals"][0]["group"] == "finance-leads"
    missing = server.cli("request", "show", "no-such-id")
    assert missing.returncode != 0 and "there is no approval request no-such-id" in missing.stderr
    bad = server.cli("request", "list", "--state", "bogus")
    assert bad.returncode != 0 and "--state must be pending" in bad.stderr

    def vote(verb, who, *extra):
        return run_cli(verb, rid, "--server", server.url, "--token", tokens[who], *extra)

    first = vote("approve", "fiona", "--reason", "checked")
    assert first.returncode == 0 and first.stdout.strip() == f"approved {rid}; the request is now pending", first.stderr
    again = vote("approve", "fiona", "--reason", "checked")
    assert again.returncode != 0 and "approve refused (409): you already approved at " in again.stderr
    outsider = vote("deny", "mallory", "--reason", "no")
    assert outsider.returncode != 0 and "deny refused (403): you are not in group finance-leads" in outsider.stderr
    no_reason = vote("approve", "gita")
    assert no_reason.returncode != 0 and "a reason is required to decide this request" in no_reason.stderr
    no_token = run_cli("approve", rid, "--server", server.url)
    assert no_token.returncode != 0 and "--token or COUNTERSIGN_TOKEN" in no_token.stderr

    cancelled = server.cli("request", "cancel", rid, check=True)
    assert cancelled.stdout.strip() == f"{rid} cancelled"
    body = assert_oauth_error(poll(server, poller, auth_req_id), 400, "access_denied")
    assert body["error_description"] == "the approval request was cancelled"
    twice = server.cli("request", "cancel", rid)
    assert twice.returncode != 0 and "this request was cancelled at " in twice.stderr
    late = vote("approve", "gita", "--reason", "late")
    assert late.returncode != 0 and "approve refused (409): this request was cancelled at " in late.stderr


def test_webhooks_announce_a_groups_requests_signed_and_retried_with_a_delivery_log(server, world):
    import hashlib
    import hmac

    poller, _, tokens = world
    plain, slack, failing, other = Receiver(status=200), Receiver(status=200), Receiver(status=503), Receiver(status=200)
    try:
        def add(url, group="finance-leads", fmt="json"):
            out = json.loads(server.cli("webhook", "add", "--group", group, "--url", url, "--format", fmt, "--json",
                                        check=True).stdout)
            return out["id"], out["secret"]

        hook_id, secret = add(plain.url + "/hook")
        add(slack.url + "/slack", fmt="slack")
        failing_id, _ = add(failing.url + "/down")
        add(other.url + "/security", group="security")
        listed = server.cli("webhook", "list", check=True).stdout
        assert hook_id in listed and secret not in listed
        bad = server.cli("webhook", "add", "--group", "finance-leads", "--url", "ftp://x")
        assert bad.returncode != 0 and "must be an absolute http(s) URI" in bad.stderr

        authorize(server, poller, amount=250, binding_message="Hook 1")
        got = plain.wait()[-1]
        signature = got["headers"]["Countersign-Signature"]
        timestamp, mac = signature.split(",")[0][2:], signature.split(",")[1][3:]
        assert abs(int(timestamp) - time.time()) < 60
        raw = got["raw"]
        assert hmac.compare_digest(mac, hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest())
        assert got["headers"]["Countersign-Event"] == "approval.requested"
        assert got["body"]["type"] == "approval.requested" and got["body"]["data"]["binding_message"] == "Hook 1"
        assert got["headers"]["Countersign-Delivery"] == got["body"]["id"]
        text = slack.wait()[-1]["body"]["text"]
        assert text.startswith("Approval needed from group finance-leads: refund amount=250 currency=EUR")
        assert "countersign approve " in text and "(Hook 1)" in text
        failing.wait(2)  # retried after a second
        time.sleep(0.3)
        assert other.received == []  # the security group's hook hears nothing of refunds
        log = [json.loads(line) for line in server.cli("webhook", "deliveries", "--json", check=True).stdout.splitlines()]
        attempts = [d for d in log if d["webhook"] == failing_id]
        assert {d["attempt"] for d in attempts} >= {1, 2} and all(d["status"] == 503 for d in attempts)
        assert any(d["webhook"] == hook_id and d["status"] == 200 and d["error"] is None for d in log)
        assert server.cli("webhook", "delete", failing_id, check=True).returncode == 0
        missing = server.cli("webhook", "delete", failing_id)
        assert missing.returncode != 0 and "there is no webhook" in missing.stderr
        assert secret not in server.stderr_text()
    finally:
        for r in (plain, slack, failing, other):
            r.stop()


def test_an_auth_req_id_is_no_credential_and_a_disabled_approver_cannot_vote(server, world):
    poller, _, tokens = world
    server.cli("user", "create", "hanna", "--group", "finance-leads", check=True)
    hanna = server.cli("user", "token", "hanna", check=True).stdout.strip()
    auth_req_id = authorize(server, poller, amount=250).json()["auth_req_id"]
    rid = newest_request(server, tokens)["id"]
    # The client's auth_req_id approves nothing.
    stolen = server.post(f"{BASE}/{rid}/approve", body=b"{}", headers={"Authorization": f"Bearer {auth_req_id}"})
    assert stolen.status_code == 401 and stolen.json()["error"] == "invalid_token"
    # Disabled after the request was made, so refused at vote time.
    server.cli("user", "disable", "hanna", check=True)
    late = server.post(f"{BASE}/{rid}/approve", body=json.dumps({"reason": "ok"}).encode(),
                       headers={"Authorization": f"Bearer {hanna}"})
    assert late.status_code == 401
    assert_oauth_error(poll(server, poller, auth_req_id), 400, "authorization_pending")
    assert newest_request(server, tokens)["votes"] == []
    server.cli("user", "enable", "hanna", check=True)
    again = server.post(f"{BASE}/{rid}/approve", body=json.dumps({"reason": "ok"}).encode(),
                        headers={"Authorization": f"Bearer {hanna}"})
    assert again.status_code == 200, again.text


def test_a_listener_disabled_while_connected_is_cut_off(server, world):
    poller, _, _ = world
    server.cli("user", "create", "ines", "--group", "finance-leads", check=True)
    token = server.cli("user", "token", "ines", check=True).stdout.strip()
    ines = EventStream(server, token)
    try:
        assert ines.listening.wait(EVENTUALLY)
        authorize(server, poller, amount=250, binding_message="before")
        ines.wait(lambda e: json.loads(e["data"]).get("binding_message") == "before")
        server.cli("user", "disable", "ines", check=True)
        assert ines.ended.wait(EVENTUALLY), "the disabled listener's stream stayed open"
        authorize(server, poller, amount=250, binding_message="after")
        assert not any(json.loads(e["data"]).get("binding_message") == "after" for e in ines.events)
    finally:
        ines.close()


def test_ping_and_push_tell_the_client_when_a_request_expires(server, world):
    """CIBA §10.2 and §12: a request that expires undecided is announced like any other outcome.
    Ping says only the auth_req_id and the poll then answers expired_token; push sends the
    error itself, and no token."""
    receiver = Receiver(status=200)
    try:
        pinged = notifying_client(server, "ping", receiver.url + "/ping")
        pushed = notifying_client(server, "push", receiver.url + "/push")
        count = len(receiver.received)
        ping_id = authorize(server, pinged, amount=250, requested_expiry="2",
                            client_notification_token="expiry-ping").json()["auth_req_id"]
        push_id = authorize(server, pushed, amount=250, requested_expiry="2",
                            client_notification_token="expiry-push").json()["auth_req_id"]
        arrived = receiver.wait(count + 2)[count:]
        ping = next(r for r in arrived if r["path"] == "/ping")
        push = next(r for r in arrived if r["path"] == "/push")
        assert ping["body"] == {"auth_req_id": ping_id}
        assert ping["headers"]["Authorization"] == "Bearer expiry-ping"
        assert_oauth_error(poll(server, pinged, ping_id), 400, "expired_token")
        assert push["body"] == {"auth_req_id": push_id, "error": "expired_token",
                                "error_description": "the approval request expired before it was approved"}
        assert push["headers"]["Authorization"] == "Bearer expiry-push"
        time.sleep(1.5)
        assert len(receiver.received) == count + 2  # each expiry is told once
    finally:
        receiver.stop()


def test_webhooks_send_the_decision_and_slack_text_cannot_ping_a_channel(server, world):
    """The `approval.decided` event carries the request as the API shows it, with its votes and
    outcome; in Slack text a binding_message's `<!channel>`, `<url|label>` and `&` arrive as
    literal text (Slack's &lt; &gt; &amp;), never as a mention or a link."""
    poller, _, tokens = world
    plain, slack = Receiver(status=200), Receiver(status=200)
    hooks = []
    try:
        for url, fmt in ((plain.url + "/decided", "json"), (slack.url + "/slack", "slack")):
            out = json.loads(server.cli("webhook", "add", "--group", "finance-leads", "--url", url, "--format", fmt,
                                        "--json", check=True).stdout)
            hooks.append(out["id"])
        message = "<!channel> Tom & Jerry <https://evil.example|click>"
        resp = authorize(server, poller, amount=250, binding_message=message)
        assert resp.status_code == 200, resp.text
        # Only this request's messages: another test's request may expire meanwhile.
        def mine(receiver, count, mark):
            return wait_until(lambda: (got := [r for r in list(receiver.received) if mark(r["body"])])[count - 1:] and got,
                              what=f"{count} webhook messages")

        requested = mine(slack, 1, lambda b: "Tom &amp; Jerry" in b["text"])[0]["body"]["text"]
        assert "(&lt;!channel&gt; Tom &amp; Jerry &lt;https://evil.example|click&gt;)" in requested
        assert "<!channel>" not in requested and "<https://" not in requested
        assert "&" not in requested.replace("&lt;", "").replace("&gt;", "").replace("&amp;", "")
        rid = mine(plain, 1, lambda b: b["data"].get("binding_message") == message)[0]["body"]["data"]["id"]
        approve_all(server, tokens, rid)
        decided = mine(plain, 2, lambda b: b["data"]["id"] == rid)[1]
        body = decided["body"]
        assert decided["headers"]["Countersign-Event"] == "approval.decided"
        assert body["type"] == "approval.decided" and body["id"] == decided["headers"]["Countersign-Delivery"]
        data = body["data"]
        assert data["id"] == rid and data["state"] == "approved" and data["subject"] == "bob"
        assert data["binding_message"] == message  # JSON carries it as it was sent
        assert [(v["approver"], v["verdict"], v["reason"]) for v in data["votes"]] == [
            ("fiona", "approve", "ok"), ("gita", "approve", "ok")]
        assert "decided_at" in data and data["authorization_details"][0]["amount"] == 250
        text = mine(slack, 1, lambda b: b["text"].startswith(f"Request {rid} "))[0]["body"]["text"]
        assert text.startswith(f"Request {rid} (refund amount=250 currency=EUR at {API}/payments/")
        assert text.endswith(" for bob) is approved by gita.")
    finally:
        for hook in hooks:
            server.cli("webhook", "delete", hook)
        plain.stop()
        slack.stop()


def test_a_hint_names_the_user_and_the_user_confirms_before_any_token(server, world):
    """A login_hint is a name anyone can type: without the client being trusted to assert its
    users, even an action the policy allows waits for the user's own confirmation."""
    _, _, tokens = world
    plain = server.create_client(scope="read", grant_types=("ciba",))
    resp = wait_for_response(lambda: authorize(server, plain), lambda r: r.status_code == 200,
                             what="the new client to be known")
    auth_req_id = resp.json()["auth_req_id"]
    assert_oauth_error(poll(server, plain, auth_req_id), 400, "authorization_pending")
    request = newest_request(server, tokens, approver="bob")
    assert request["subject"] == "bob" and request["approvals"] == [
        {"subject": True, "quorum": 1, "deny_quorum": 1, "expires_in": 900}]
    headers = {"Authorization": f"Bearer {tokens['mallory']}"}
    refused = server.post(f"{BASE}/{request['id']}/approve", body=b'{"reason": "me"}', content_type="application/json",
                          headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error_description"] == "only bob, who asked for this action, can confirm it"
    confirmed = server.post(f"{BASE}/{request['id']}/approve", body=b'{"reason": "yes, that is me"}',
                            content_type="application/json", headers={"Authorization": f"Bearer {tokens['bob']}"})
    assert confirmed.status_code == 200, confirmed.text
    time.sleep(5.2)  # the poll interval (CIBA section 7.3): an earlier poll would be told slow_down
    token = poll(server, plain, auth_req_id)
    assert token.status_code == 200, token.text
    assert claims_of(server, token.json()["access_token"])["sub"] == "bob"
    assert not [e for e in server.audit_events() if e["type"] == "ciba.user_asserted"
                and e["data"]["client_id"] == plain.id]


def test_a_client_trusted_to_assert_its_users_is_listed_and_each_use_audited(server, world):
    poller, _, _ = world
    listed = server.cli("client", "list", check=True).stdout
    line = next(line for line in listed.splitlines() if line.startswith(poller.id + " "))
    assert "asserts users" in line
    as_json = json.loads(server.cli("client", "list", "--json", check=True).stdout)
    assert next(c for c in as_json if c["client_id"] == poller.id)["asserts_users"] is True
    auth_req_id = authorize(server, poller).json()["auth_req_id"]
    assert poll(server, poller, auth_req_id).status_code == 200
    asserted = [e for e in server.audit_events() if e["type"] == "ciba.user_asserted"
                and e["data"]["client_id"] == poller.id]
    assert asserted and asserted[-1]["actor"] == f"client:{poller.id}" and asserted[-1]["data"]["sub"] == "bob"


def test_asserting_users_needs_the_ciba_grant(server):
    result = server.cli("client", "create", "--id", uid(), "--grant-type", "client_credentials", "--asserts-users")
    assert result.returncode != 0 and "--asserts-users is about CIBA requests: it needs --grant-type ciba" in result.stderr
