"""Just-in-time action tokens: token exchange (RFC 8693) with subject tokens from a trusted
identity provider, actions as RFC 9396 authorization_details or action scopes, the policy's
decision at the token endpoint, one-time tokens, decision reuse and the audit trail.
The IdP is a real HTTP server in this process (idp.py) that
signs with real RSA, EC and Ed25519 keys; tokens are verified independently with joserfc."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import IdP, Key, b64url
from support import assert_oauth_error, b64url_decode, jwt_parts, start_server, uid, wait_for_response, wait_until

# The module's server refetches an IdP's keys on an unknown kid at most every 2 s.
SERVER_ARGS = ("--jwks-refresh-cooldown", "2")

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT = "urn:ietf:params:oauth:token-type:jwt"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
API = "https://api.example.com"
PAYMENT = "https://api.example.com/payments/p-17"
L = '"locations":["https://api.example.com/payments/1"],'  # for raw authorization_details texts


@pytest.fixture(scope="module")
def fed(server, idp):
    """The IdP trusted (roles mapped from Keycloak's realm_access.roles), an agent client allowed
    to exchange tokens, and the payments API as a resource server."""
    server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign",
               "--claim", "roles=realm_access.roles", check=True)
    agent = server.create_client(scope="read", grant_types=("token-exchange", "client_credentials"))
    api = server.create_client(scope=None, resources=(API,))
    wait_for_response(lambda: server.token_request(api, {"grant_type": "client_credentials", "resource": API}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    return agent, api


def exchange(server, agent, subject_token, details=None, **extra):
    form = {"grant_type": TE, "subject_token": subject_token, "subject_token_type": JWT, "resource": API}
    if details is not None:
        form["authorization_details"] = details if isinstance(details, str) else json.dumps(details)
    form.update({k: v for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        form.pop(k, None)
    return server.token_request(agent, form)


def user(idp, sub="alice", roles=("employee",), **claims):
    return idp.token(sub, realm_access={"roles": list(roles)}, **claims)


def refund(amount, currency="EUR", location=PAYMENT):
    d = {"type": "refund", "amount": amount, "currency": currency}
    if location:
        d["locations"] = [location]
    return [d]


@contextmanager
def trusted_idp(server, *issuer_args, mode="ok"):
    """A fresh IdP on loopback (in MODE), trusted by the server, stopped and no longer trusted
    afterwards: a later IdP may get the same loopback port, hence the same issuer URL."""
    provider = IdP()
    provider.mode = mode
    provider.slow_seconds = 8
    provider.start()
    try:
        server.cli("issuer", "add", "--issuer", provider.issuer, "--audience", "countersign", *issuer_args, check=True)
        yield provider
    finally:
        provider.stop()
        server.cli("issuer", "delete", provider.issuer)  # already gone when the test deleted it


def verify(server, token):
    return jwt.decode(token, KeySet.import_key_set(server.jwks()), algorithms=["ES256"])


# ---------------------------------------------------------------------------------------------
# The four outcomes

def test_allow_issues_a_token_bound_to_exactly_the_action(server, idp, fed):
    agent, _ = fed
    details = refund(25)
    now = int(time.time())
    resp = exchange(server, agent, user(idp, acr="mfa", auth_time=now - 10), details)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 60  # small-refunds: ttl 60s
    assert body["authorization_details"] == details
    token = verify(server, body["access_token"])
    assert token.header["typ"] == "at+jwt"
    c = token.claims
    assert c["iss"] == server.issuer and c["sub"] == "alice" and c["aud"] == API and c["client_id"] == agent.id
    assert c["authorization_details"] == details
    assert c["exp"] - c["iat"] == 60 and c["one_time"] is True
    assert c["acr"] == "mfa" and c["auth_time"] == now - 10
    assert len(c["jti"]) >= 22


def test_deny_carries_the_policy_reason(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), refund(10, "eur")), 400, "access_denied")
    assert body["error_description"] == "Refunds are possible in EUR, USD and GBP only."


def test_deny_from_a_mapped_claim(server, idp, fed):
    agent, _ = fed
    tok = user(idp, "mallory", roles=("contractor",))
    resp = exchange(server, agent, tok, [{"type": "delete_user", "locations": ["https://api.example.com/users/u1"]}])
    body = assert_oauth_error(resp, 400, "access_denied")
    assert body["error_description"] == "Contractors and guests may never delete users."


def test_step_up_answers_acr_values_and_max_age(server, idp, fed):
    agent, _ = fed
    resp = exchange(server, agent, user(idp, acr="pwd", auth_time=int(time.time())), refund(20000))
    body = assert_oauth_error(resp, 400, "insufficient_user_authentication")
    assert body["acr_values"] == "mfa" and body["max_age"] == 300


def test_step_up_for_a_stale_authentication(server, idp, fed):
    agent, _ = fed
    resp = exchange(server, agent, user(idp, acr="mfa", auth_time=int(time.time()) - 3600), refund(20000))
    assert_oauth_error(resp, 400, "insufficient_user_authentication")


def test_approval_creates_a_pending_request(server, idp, fed):
    agent, _ = fed
    resp = exchange(server, agent, user(idp, "bob"), refund(250))
    body = assert_oauth_error(resp, 400, "approval_required")
    auth_req_id = body["auth_req_id"]
    assert len(auth_req_id) >= 27  # at least 160 random bits, base64url (CIBA §7.3)
    assert body["expires_in"] == 900 and body["interval"] == 5
    db = sqlite3.connect(server.data_dir / "countersign.sqlite")
    try:
        rows = db.execute("SELECT state, client_id, details, auth_req_hash FROM approval_requests").fetchall()
    finally:
        db.close()
    mine = [r for r in rows if r[3] == hashlib.sha256(auth_req_id.encode()).hexdigest()]
    assert len(mine) == 1, "the request is stored under the hash of its auth_req_id"
    state, client_id, details, _ = mine[0]
    assert state == "pending" and client_id == agent.id
    stored = json.loads(details)
    assert stored["subject"] == "bob" and stored["authorization_details"] == refund(250)
    assert stored["approvals"] == [{"group": "finance-leads", "quorum": 2, "deny_quorum": 1, "expires_in": 900,
                                    "reason_required": True}]
    assert auth_req_id not in (server.data_dir / "countersign.sqlite").read_bytes().decode("latin-1")


def test_an_action_scope_is_an_action(server, idp, fed):
    agent, _ = fed
    admin = user(idp, roles=("admin",), acr="mfa", auth_time=int(time.time()) - 5)
    resp = exchange(server, agent, admin, None, scope="rotate_api_key")
    assert resp.status_code == 200, resp.text
    claims = jwt_parts(resp.json()["access_token"])[1]
    assert claims["authorization_details"] == [{"type": "rotate_api_key"}]
    assert claims["scope"] == "rotate_api_key"


def test_an_action_on_a_resource_cannot_be_a_bare_scope(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), None, scope="read_transaction"), 400, "invalid_scope")
    assert body["error_description"] == ("the action read_transaction acts on a resource "
                                         "(https://api.example.com/transactions/*); request it as authorization_details with locations")


def test_locations_must_lie_under_the_audience(server, idp, fed):
    agent, _ = fed
    other_api = server.create_client(scope=None, resources=("https://api.example.com/admin",))
    wait_for_response(lambda: server.token_request(other_api, {"grant_type": "client_credentials", "resource": other_api.resources[0]}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    resp = exchange(server, agent, user(idp), refund(5), resource="https://api.example.com/admin")
    body = assert_oauth_error(resp, 400, "invalid_authorization_details")
    assert body["error_description"] == ("authorization_details[0].locations: https://api.example.com/payments/p-17 "
                                         "is not a resource of the audience https://api.example.com/admin")


def test_an_action_scope_with_required_fields_is_refused(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), None, scope="refund"), 400, "invalid_scope")
    assert "request it as authorization_details" in body["error_description"]


def test_no_action_is_refused(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), None), 400, "invalid_request")
    assert body["error_description"] == "name the action: authorization_details, or a scope equal to an action name"


def test_discovery_lists_the_actions_and_the_grant(server):
    meta = server.metadata()
    assert meta["authorization_details_types_supported"] == [
        "refund", "delete_user", "read_transaction", "export_data", "change_payout_account", "rotate_api_key"]
    assert TE in meta["grant_types_supported"]


def test_client_credentials_with_an_action_decides_for_the_client(server, fed):
    agent, _ = fed
    resp = server.token_request(agent, {"grant_type": "client_credentials",
                                        "authorization_details": json.dumps(refund(30)), "resource": API})
    assert resp.status_code == 200, resp.text
    claims = jwt_parts(resp.json()["access_token"])[1]
    assert claims["sub"] == agent.id and claims["authorization_details"] == refund(30)
    denied = server.token_request(agent, {"grant_type": "client_credentials", "scope": "rotate_api_key", "resource": API})
    body = assert_oauth_error(denied, 400, "access_denied")
    assert body["error_description"]


def test_actor_token_is_recorded_as_act(server, idp, fed):
    agent, _ = fed
    actor = idp.token("agent-7", kid="ec-1")
    resp = exchange(server, agent, user(idp), refund(5), actor_token=actor, actor_token_type=JWT)
    assert resp.status_code == 200, resp.text
    assert jwt_parts(resp.json()["access_token"])[1]["act"] == {"sub": "agent-7", "iss": idp.issuer}


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1", "ed-1"])
def test_every_key_type_of_the_idp_verifies(server, idp, fed, kid):
    agent, _ = fed
    resp = exchange(server, agent, idp.token("alice", kid=kid, realm_access={"roles": ["employee"]}), refund(5))
    assert resp.status_code == 200, resp.text


def test_ps256_is_accepted_only_when_the_key_says_so(server, idp, fed):
    """The RSA JWK states no alg, so it is pinned to RS256; a PS256 token with it is refused."""
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, idp.token("alice", kid="rsa-1", alg="PS256"), refund(5)),
                              400, "invalid_request")
    assert body["error_description"] == "subject_token is signed with PS256, but its key is for RS256"


# ---------------------------------------------------------------------------------------------
# One-time tokens and decision reuse

def one_time_token(server, idp, agent):
    resp = exchange(server, agent, user(idp), refund(20))
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def test_one_time_token_is_spent_by_the_first_resource_server_introspection(server, idp, fed):
    agent, api = fed
    token = one_time_token(server, idp, agent)
    for _ in range(2):  # the holder's own introspection never spends it
        assert server.introspect(agent, token).json()["active"] is True
    first = server.introspect(api, token).json()
    assert first["active"] is True and first["authorization_details"] == refund(20) and first["one_time"] is True
    assert server.introspect(api, token).json() == {"active": False}
    assert server.introspect(agent, token).json() == {"active": False}
    jti = jwt_parts(token)[1]["jti"]
    consumed = [e for e in server.audit_events() if e["type"] == "token.consumed" and e["data"]["jti"] == jti]
    assert len(consumed) == 1 and consumed[0]["data"]["consumer"] == api.id


def test_concurrent_first_introspections_spend_it_once(server, idp, fed):
    agent, api = fed
    token = one_time_token(server, idp, agent)
    barrier = threading.Barrier(20)
    answers = []

    def introspect():
        barrier.wait()
        answers.append(server.introspect(api, token).json()["active"])

    threads = [threading.Thread(target=introspect) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [False] * 19 + [True]


def test_another_resource_server_does_not_spend_it(server, idp, fed):
    agent, api = fed
    other = server.create_client(scope=None, resources=("https://other.example.com",))
    token = one_time_token(server, idp, agent)
    assert server.introspect(other, token).json() == {"active": False}
    assert server.introspect(api, token).json()["active"] is True


def test_an_identical_request_reuses_the_decision(server, idp, fed):
    agent, _ = fed
    details = [{"type": "read_transaction", "locations": ["https://api.example.com/transactions/t-9"]}]
    sub = uid("reuser")
    tok = user(idp, sub)
    for _ in range(2):
        assert exchange(server, agent, tok, details).status_code == 200
    events = [e for e in server.audit_events() if e["actor"] == f"{idp.issuer}#{sub}"]
    kinds = [e["type"] for e in events if e["type"].startswith("decision")]
    assert kinds == ["decision", "decision.reused"]
    other = [{"type": "read_transaction", "locations": ["https://api.example.com/transactions/t-10"]}]
    assert exchange(server, agent, tok, other).status_code == 200
    kinds = [e["type"] for e in server.audit_events() if e["actor"] == f"{idp.issuer}#{sub}" and e["type"].startswith("decision")]
    assert kinds == ["decision", "decision.reused", "decision"], "another resource is another decision"


def decision_kinds(server, idp, sub, client=None):
    return [e["type"] for e in server.audit_events()
            if e["actor"] == f"{idp.issuer}#{sub}" and e["type"].startswith("decision")
            and (client is None or e["data"]["client_id"] == client.id)]


READ_T9 = [{"type": "read_transaction", "locations": ["https://api.example.com/transactions/t-9"]}]


def test_one_time_outcomes_are_never_reused(server, idp, fed):
    """read_transaction alone is reused (its rule sets reuse: 60s); asked for together with a
    small refund (a one_time rule) the same request is decided afresh every time."""
    agent, _ = fed
    sub = uid("once")
    tok = user(idp, sub)
    for _ in range(2):
        assert exchange(server, agent, tok, READ_T9).status_code == 200
    assert decision_kinds(server, idp, sub) == ["decision", "decision.reused"], "reuse is live for this subject"
    both = READ_T9 + refund(7)
    for _ in range(2):
        resp = exchange(server, agent, tok, both)
        assert resp.status_code == 200, resp.text
        assert jwt_parts(resp.json()["access_token"])[1]["one_time"] is True
    assert decision_kinds(server, idp, sub) == ["decision", "decision.reused", "decision", "decision"]


def test_a_new_idp_token_for_the_same_sign_in_reuses_the_decision(server, idp, fed):
    """The IdP's per-token claims (iat, exp, nbf, jti, nonce, at_hash) are not part of the reuse
    key: a fresh token for the same user and claims hits the recorded decision."""
    agent, _ = fed
    sub = uid("fresh-token")
    now = int(time.time())
    first = user(idp, sub, acr="mfa", auth_time=now - 30, iat=now - 20, exp=now + 280, nbf=now - 20,
                 jti=uid("jti"), nonce="n-1", at_hash="aaaaaaaaaaaaaaaaaaaaaa")
    second = user(idp, sub, acr="mfa", auth_time=now - 30, iat=now, exp=now + 300, nbf=now,
                  jti=uid("jti"), nonce="n-2", at_hash="bbbbbbbbbbbbbbbbbbbbbb")
    assert first != second
    assert exchange(server, agent, first, READ_T9).status_code == 200
    assert exchange(server, agent, second, READ_T9).status_code == 200
    assert decision_kinds(server, idp, sub) == ["decision", "decision.reused"]
    # A claim the policy may read (roles here) is still part of the key.
    other_roles = user(idp, sub, roles=("employee", "auditor"), acr="mfa", auth_time=now - 30)
    assert exchange(server, agent, other_roles, READ_T9).status_code == 200
    assert decision_kinds(server, idp, sub) == ["decision", "decision.reused", "decision"]


def test_reuse_is_not_shared_across_clients_or_subjects(server, idp, fed):
    agent, _ = fed
    other_agent = server.create_client(scope="read", grant_types=("token-exchange",))
    sub, neighbour = uid("owner"), uid("neighbour")
    assert exchange(server, agent, user(idp, sub), READ_T9).status_code == 200
    assert exchange(server, other_agent, user(idp, sub), READ_T9).status_code == 200
    assert decision_kinds(server, idp, sub, other_agent) == ["decision"], "another client is another decision"
    assert exchange(server, agent, user(idp, neighbour), READ_T9).status_code == 200
    assert decision_kinds(server, idp, neighbour) == ["decision"], "another subject is another decision"
    assert exchange(server, agent, user(idp, sub), READ_T9).status_code == 200
    assert decision_kinds(server, idp, sub, agent) == ["decision", "decision.reused"]


# ---------------------------------------------------------------------------------------------
# The request's address and step-up decisions, under a policy written for these tests

OWN_POLICY = """version: 1
description: Rules the example policy does not have, for the token-exchange tests.
acr_levels: [pwd, mfa]
actions:
  export_data:
    fields: { dataset: string }
  read_transaction:
    resource: "https://api.example.com/transactions/*"
rules:
  - name: exports-from-loopback
    action: export_data
    when: { request.ip: { cidr: [127.0.0.0/8, "::1/128"] } }
    effect: allow
    grant: { ttl: 60s }
  - name: reads-need-recent-mfa
    action: read_transaction
    effect: step_up
    step_up: { acr: mfa, max_age: 10m }
    grant: { ttl: 5m, reuse: 60s }
default: deny
"""

EXPORT = [{"type": "export_data", "dataset": "customers"}]


@pytest.fixture(scope="module")
def own(tmp_path_factory, idp):
    """A second server whose policy allows exports from loopback and asks for recent MFA (with
    grant.reuse) before reading a transaction; the module's IdP trusted, an agent client, the
    payments API as a resource server."""
    base = tmp_path_factory.mktemp("own-policy")
    (base / "policy.yaml").write_text(OWN_POLICY)
    srv = start_server(base / "data", "--policy", str(base / "policy.yaml"))
    try:
        srv.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign",
                "--claim", "roles=realm_access.roles", check=True)
        agent = srv.create_client(scope="read", grant_types=("token-exchange",))
        srv.create_client(scope=None, resources=(API,))
        wait_for_response(lambda: exchange(srv, agent, user(idp), EXPORT), lambda r: r.status_code == 200,
                          what="the issuer to reach the server")
        yield srv, agent
    finally:
        srv.stop()
        srv.kill()


def test_the_request_address_reaches_the_decision(server, idp, fed, own):
    """From loopback: the example policy (exports from the office network only) denies with its
    reason; a policy that allows loopback allows. Only the address tells them apart."""
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), EXPORT), 400, "access_denied")
    assert body["error_description"] == "No rule allows export_data for this request."
    own_server, own_agent = own
    sub = uid("exporter")
    resp = exchange(own_server, own_agent, user(idp, sub), EXPORT)
    assert resp.status_code == 200, resp.text
    decision = [e for e in own_server.audit_events()
                if e["type"] == "decision" and e["actor"] == f"{idp.issuer}#{sub}"][0]["data"]
    assert decision["rules"] == ["exports-from-loopback"] and decision["ip"] in ("127.0.0.1", "::1")


def test_a_step_up_decision_is_never_reused(idp, own):
    """The rule sets grant.reuse, but its answer depends on how old auth_time is: an identical
    request is decided again."""
    own_server, own_agent = own
    sub = uid("stepped-up")
    tok = user(idp, sub, acr="mfa", auth_time=int(time.time()) - 5)
    for _ in range(2):
        resp = exchange(own_server, own_agent, tok, READ_T9)
        assert resp.status_code == 200, resp.text
    assert decision_kinds(own_server, idp, sub) == ["decision", "decision"]


# ---------------------------------------------------------------------------------------------
# Audit

def test_every_decision_is_audited_with_its_explanation(server, idp, fed):
    agent, _ = fed
    sub = uid("audited")
    tok = user(idp, sub)
    exchange(server, agent, tok, refund(10, "eur"))
    exchange(server, agent, tok, refund(10))
    everything = server.audit_events()
    events = [e for e in everything if e["actor"] == f"{idp.issuer}#{sub}"]
    decisions = [e for e in events if e["type"] == "decision"]
    assert [d["data"]["outcome"] for d in decisions] == ["deny", "allow"]
    deny = decisions[0]["data"]
    assert deny["rules"] == ["refunds-in-settled-currencies-only", "small-refunds"]
    assert deny["sub"] == sub and deny["iss"] == idp.issuer and deny["client_id"] == agent.id
    assert deny["actions"] == ["refund"] and deny["resources"] == [PAYMENT]
    assert len(deny["context_digest"]) == 64
    lines = deny["explanation"][0]["rules"]
    assert {l["rule"]: l["matched"] for l in lines}["large-refunds"] is False
    issued = [e for e in everything if e["type"] == "token.issued" and e["data"]["sub"] == sub]
    assert len(issued) == 1 and issued[0]["seq"] == decisions[1]["seq"] + 1, "decision and issuance commit together"
    assert tok not in json.dumps(everything), "the subject token is never recorded"
    assert server.cli("audit", "verify").returncode == 0


def test_same_sub_from_two_issuers_is_two_subjects(server, idp, fed):
    agent, _ = fed
    with trusted_idp(server) as other:
        sub = uid("twin")
        assert exchange(server, agent, idp.token(sub), refund(3)).status_code == 200
        assert exchange(server, agent, other.token(sub), refund(3)).status_code == 200
        actors = {e["actor"] for e in server.audit_events() if e["type"] == "decision" and e["data"]["sub"] == sub}
        assert actors == {f"{idp.issuer}#{sub}", f"{other.issuer}#{sub}"}


# ---------------------------------------------------------------------------------------------
# Hostile subject tokens: each 400 invalid_request naming the problem (RFC 8693 §2.2.2)

def refused(server, agent, token, why, param="subject_token", **extra):
    body = assert_oauth_error(exchange(server, agent, token, refund(5), **extra), 400, "invalid_request")
    assert body["error_description"] == f"{param} {why}", body


def test_missing_subject_token_never_falls_back_to_the_client(server, fed):
    agent, _ = fed
    resp = server.token_request(agent, {"grant_type": TE, "subject_token_type": JWT,
                                        "authorization_details": json.dumps(refund(5))})
    assert assert_oauth_error(resp, 400, "invalid_request")["error_description"] == "subject_token is required"


def test_missing_or_unknown_subject_token_type(server, idp, fed):
    agent, _ = fed
    resp = exchange(server, agent, user(idp), refund(5), subject_token_type=None)
    assert assert_oauth_error(resp, 400, "invalid_request")["error_description"] == "subject_token_type is required"
    resp = exchange(server, agent, user(idp), refund(5), subject_token_type="urn:ietf:params:oauth:token-type:saml2")
    assert "subject_token_type must be" in assert_oauth_error(resp, 400, "invalid_request")["error_description"]


@pytest.mark.parametrize("token_type", [JWT, ACCESS, ID_TOKEN])
def test_every_subject_token_type_is_accepted(server, idp, fed, token_type):
    agent, _ = fed
    resp = exchange(server, agent, user(idp), refund(5), subject_token_type=token_type)
    assert resp.status_code == 200, resp.text
    assert resp.json()["issued_token_type"] == ACCESS


def test_actor_token_type_without_actor_token_is_refused(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), refund(5), actor_token_type=JWT), 400, "invalid_request")
    assert body["error_description"] == "actor_token_type was given without actor_token"


def test_alg_none_is_refused(server, idp, fed):
    agent, _ = fed
    for alg in ("none", "None", "NONE"):
        token = IdP.unsigned({"alg": alg, "kid": "rsa-1"}, idp.claims("alice"))
        refused(server, agent, token, f"is signed with {alg}, which is never accepted")


def test_hs256_keyed_with_the_idps_public_key_is_refused(server, idp, fed):
    import hmac
    agent, _ = fed
    header = {"alg": "HS256", "kid": "rsa-1"}
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(idp.claims("alice")).encode()))
    mac = hmac.new(json.dumps(idp.key("rsa-1").jwk).encode(), signing_input.encode(), hashlib.sha256).digest()
    refused(server, agent, signing_input + "." + b64url(mac), "is signed with HS256, which is never accepted")


def test_unknown_kid_is_refused(server, idp, fed):
    agent, _ = fed
    stranger = Key("RSA", "not-published")
    refused(server, agent, idp.token("alice", key=stranger), "is signed with a key its issuer does not publish")


def test_bad_signature_is_refused(server, idp, fed):
    agent, _ = fed
    token = user(idp)
    head, payload, sig = token.split(".")
    forged = head + "." + b64url(json.dumps(idp.claims("root", realm_access={"roles": ["admin"]})).encode()) + "." + sig
    refused(server, agent, forged, "has an invalid signature")


class _FromNow:
    """A time relative to when the test runs: `FROM_NOW + 600` is ten minutes after that."""

    def __init__(self, offset: int = 0):
        self.offset = offset

    def __add__(self, seconds: int) -> "_FromNow":
        return _FromNow(self.offset + seconds)

    def __sub__(self, seconds: int) -> "_FromNow":
        return _FromNow(self.offset - seconds)

    def __repr__(self) -> str:
        return f"now{self.offset:+d}s"


FROM_NOW = _FromNow()


def at_run_time(value):
    return int(time.time()) + value.offset if isinstance(value, _FromNow) else value


@pytest.mark.parametrize("claims, why", [
    ({"exp": -1}, "has no exp, or exp is not an integer time"),
    ({"exp": None}, "has no exp, or exp is not an integer time"),
    ({"exp": "9999999999"}, "has no exp, or exp is not an integer time"),
    ({"exp": 1.5e9 + 0.5}, "has no exp, or exp is not an integer time"),
    ({"exp": 253402300800}, "has no exp, or exp is not an integer time"),
    # Relative times (FROM_NOW seconds) are made when the test runs, not when it is collected:
    # a slow suite must not turn "ten minutes from now" into the past.
    ({"exp": FROM_NOW - 600}, "has expired"),
    ({"nbf": FROM_NOW + 600}, "is not valid yet (nbf is in the future)"),
    ({"iat": FROM_NOW + 600}, "was issued in the future (iat)"),
    ({"auth_time": FROM_NOW + 600}, "has an auth_time in the future"),
    ({"auth_time": "1767614400"}, "has an auth_time that is not an integer time"),
    ({"aud": "someone-else"}, "is not meant for this server (aud does not contain countersign)"),
    ({"aud": None}, "has no aud"),
    ({"sub": None}, "has no sub (or one longer than 255 bytes)"),
    ({"sub": "x" * 300}, "has no sub (or one longer than 255 bytes)"),
])
def test_bad_claims_are_refused(server, idp, fed, claims, why):
    agent, _ = fed
    claims = {name: at_run_time(value) for name, value in claims.items()}
    sub = claims.pop("sub", "alice")
    refused(server, agent, idp.token(sub, **claims), why)


def test_a_future_auth_time_never_passes_a_step_up(server, idp, fed):
    """An auth_time an hour ahead is refused as a malformed token (like a future iat) rather than
    trusted to say how fresh the authentication is; one inside the minute of skew is a valid
    token, which the step-up does not count as a recent authentication."""
    agent, _ = fed
    now = int(time.time())
    ahead = user(idp, acr="mfa", auth_time=now + 3600)
    body = assert_oauth_error(exchange(server, agent, ahead, refund(20000)), 400, "invalid_request")
    assert body["error_description"] == "subject_token has an auth_time in the future"
    within_skew = user(idp, acr="mfa", auth_time=now + 30)
    assert_oauth_error(exchange(server, agent, within_skew, refund(20000)), 400, "insufficient_user_authentication")


def test_untrusted_issuer_is_refused(server, fed):
    agent, _ = fed
    stranger = IdP()  # never started, never trusted
    refused(server, agent, stranger.token("alice"), "was issued by an issuer this server does not trust")


def test_our_own_token_is_not_a_subject_token(server, fed):
    agent, _ = fed
    ours = server.access_token(agent)
    refused(server, agent, ours, "was issued by this server; present the token of the subject's identity provider")


def test_a_key_of_another_trusted_issuer_is_refused(server, idp, fed):
    """A second trusted IdP publishes its own rsa-1; a token claiming the first IdP but signed
    with the second's key fails on the first IdP's key."""
    agent, _ = fed
    with trusted_idp(server) as second:
        forged = idp.token("alice", key=second.key("rsa-1"))
        refused(server, agent, forged, "has an invalid signature")


def test_an_algorithm_outside_the_issuers_list_is_refused(server, fed):
    agent, _ = fed
    with trusted_idp(server, "--alg", "RS256") as rs_only:
        refused(server, agent, rs_only.token("alice", kid="ec-1"), "is signed with ES256, which is not allowed for its issuer")
        assert exchange(server, agent, rs_only.token("alice", kid="rsa-1"), refund(5)).status_code == 200


@pytest.mark.parametrize("header, why", [
    ({"crit": ["exp"]}, "has a crit header, which is not supported"),
    ({"kid": "k" * 300}, "has a kid that is not a short string"),
    ({"jku": "http://127.0.0.1:1/evil.json", "kid": "evil"}, "is signed with a key its issuer does not publish"),
])
def test_hostile_headers_are_refused(server, idp, fed, header, why):
    agent, _ = fed
    refused(server, agent, idp.token("alice", header=header), why)


@pytest.mark.parametrize("token, why", [
    ("not-a-jwt", "is not a signed JWT (compact JWS with three parts)"),
    ("a.b.c.d.e", "is not a signed JWT (compact JWS with three parts)"),
    ("e30.e30.!!!", "is not base64url encoded"),
    (b64url(b"[1]") + ".e30.", "has a header that is not a JSON object (or repeats a member)"),
    (b64url(b'{"alg":"RS256","alg":"none"}') + ".e30.", "has a header that is not a JSON object (or repeats a member)"),
])
def test_malformed_tokens_are_refused(server, fed, token, why):
    agent, _ = fed
    refused(server, agent, token, why)


def test_actor_token_needs_its_type(server, idp, fed):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), refund(5), actor_token=user(idp)), 400, "invalid_request")
    assert body["error_description"] == "actor_token_type is required with actor_token"
    refused(server, agent, user(idp), "is signed with none, which is never accepted", param="actor_token",
            actor_token=IdP.unsigned({"alg": "none"}, idp.claims("x")), actor_token_type=JWT)


def test_unsupported_requested_token_type(server, idp, fed):
    agent, _ = fed
    resp = exchange(server, agent, user(idp), refund(5), requested_token_type="urn:ietf:params:oauth:token-type:refresh_token")
    assert assert_oauth_error(resp, 400, "invalid_request")["error_description"].startswith("requested_token_type must be")


def test_a_client_without_the_grant_is_refused(server, idp, fed):
    plain = server.create_client(scope="read")
    resp = exchange(server, plain, user(idp), refund(5))
    assert_oauth_error(resp, 400, "unauthorized_client")


# ---------------------------------------------------------------------------------------------
# Hostile authorization_details: 400 invalid_authorization_details naming the entry and field

@pytest.mark.parametrize("details, why", [
    ("{not json", None),
    ('{"type":"refund"}', "authorization_details must be a JSON array of objects"),
    ("[]", "authorization_details is an empty array"),
    ("[1]", "authorization_details[0] is not a JSON object"),
    ('[{"amount":1}]', "authorization_details[0] has no type"),
    ('[{"type":7}]', "authorization_details[0].type must be a string"),
    ('[{"type":"launch_missiles"}]', "authorization_details[0].type launch_missiles is not an action of this server (see authorization_details_types_supported)"),
    ('[{"type":"refund",%s"amount":"100","currency":"EUR"}]' % L, "authorization_details[0].amount: refund field amount must be number, not string"),
    ('[{"type":"refund",%s"currency":"EUR"}]' % L, "authorization_details[0].amount: refund requires the field amount (number)"),
    ('[{"type":"refund",%s"amount":1,"currency":"EUR","note":"x"}]' % L, "authorization_details[0].note: refund has no field note"),
    ('[{"type":"refund",%s"amount":1e99999,"currency":"EUR"}]' % L, None),
    ('[{"type":"refund","amount":1,"currency":"EUR"}]', "authorization_details[0].locations is required: refund acts on a resource (https://api.example.com/payments/*)"),
    ('[{"type":"refund","amount":1,"currency":"EUR","locations":["https://api.example.org/payments/1"]}]', None),
    ('[{"type":"refund","amount":1,"currency":"EUR","locations":"https://api.example.com/payments/1"}]', "authorization_details[0].locations must be an array of strings"),
    ('[{"type":"refund","amount":1,"currency":"EUR","locations":["https://evil.example.com/payments/1"]}]', None),
    ('[{"type":"refund","amount":1,"currency":"EUR","locations":["/payments/1"]}]', "authorization_details[0].locations: ?/payments/1? is not an absolute URI with a host (scheme://host/path)"),
    ('[{"type":"refund","amount":1,"currency":"EUR","type":"delete_user"}]', None),
    ("[" * 100 + "]" * 100, None),
    ('[' + ",".join(['{"type":"read_transaction"}'] * 11) + ']', "authorization_details has more than 10 entries"),
    ('[{"type":"refund","amount":1,"currency":"EUR","pad":"' + "x" * 20000 + '"}]', "authorization_details is larger than 16384 bytes"),
])
def test_bad_authorization_details(server, idp, fed, details, why):
    agent, _ = fed
    body = assert_oauth_error(exchange(server, agent, user(idp), details), 400, "invalid_authorization_details")
    if why is not None:
        assert body["error_description"] == why
    else:
        assert body["error_description"].startswith("authorization_details")


@pytest.mark.parametrize("amount, outcome", [
    ("100.0000000000000001", "approval_required"),
    ("1e2", 200),
    ("-0", "access_denied"),
    ("100", 200),
    ("9223372036854775808", "insufficient_user_authentication"),
    ("1e309", "insufficient_user_authentication"),
    ("-1e309", "access_denied"),
])
def test_numbers_are_exact_at_the_token_endpoint(server, idp, fed, amount, outcome):
    agent, _ = fed
    details = '[{"type":"refund","locations":["%s"],"amount":%s,"currency":"EUR"}]' % (PAYMENT, amount)
    resp = exchange(server, agent, user(idp), details)
    if outcome == 200:
        assert resp.status_code == 200, resp.text
        # The token and the response carry the amount exactly as it was sent.
        raw = resp.content.decode()
        assert '"amount":%s' % amount in raw, raw
        payload = b64url_decode(resp.json()["access_token"].split(".")[1]).decode()
        assert '"amount":%s' % amount in payload, payload
    else:
        body = assert_oauth_error(resp, 400, outcome)
        if outcome == "access_denied":  # zero and below: the example policy's refunds-must-be-positive
            assert body["error_description"] == "A refund amount must be positive."


def test_repeated_authorization_details_is_refused(server, idp, fed):
    agent, _ = fed
    form = [("grant_type", TE), ("subject_token", user(idp)), ("subject_token_type", JWT),
            ("authorization_details", json.dumps(refund(5))), ("authorization_details", json.dumps(refund(5000)))]
    assert_oauth_error(server.token_request(agent, form), 400, "invalid_request")


# ---------------------------------------------------------------------------------------------
# The IdP's JWKS: cached, refetch rate-limited, failing closed

def test_keys_are_fetched_once_and_cached(server, fed):
    agent, _ = fed
    with trusted_idp(server) as provider:
        for _ in range(5):
            assert exchange(server, agent, provider.token("alice"), refund(5)).status_code == 200
        assert provider.jwks_fetches == 1 and provider.discovery_fetches == 1


def test_random_kid_flood_refetches_at_most_once_per_cooldown(server, fed):
    agent, _ = fed
    with trusted_idp(server) as provider:
        assert exchange(server, agent, provider.token("alice"), refund(5)).status_code == 200
        for i in range(30):
            stranger = Key("EC", f"random-{i}")
            assert_oauth_error(exchange(server, agent, provider.token("alice", key=stranger), refund(5)), 400, "invalid_request")
        assert provider.jwks_fetches <= 2, provider.jwks_fetches  # one at first use, at most one for the flood


def test_a_rotated_in_key_is_picked_up(server, fed):
    agent, _ = fed
    with trusted_idp(server) as provider:
        assert exchange(server, agent, provider.token("alice"), refund(5)).status_code == 200
        new = provider.rotate("RSA", "rsa-2")
        # Picked up at the first refetch the module server's cooldown (2 s) allows.
        wait_for_response(lambda: exchange(server, agent, provider.token("alice", key=new), refund(5)),
                          lambda r: r.status_code == 200, interval=0.25, what="the rotated-in key to be accepted")


@pytest.mark.parametrize("mode", ["down", "slow", "drip", "redirect", "huge", "garbage"])
def test_unavailable_jwks_fails_closed_with_503(server, fed, mode):
    """drip: the head at once, then a byte a second, so that no single read ever times out;
    the deadline over the whole fetch still ends it, and the connection is dropped. The 503
    itself shows the deadline fired: the slow IdP's keys are good once they come (after 8 s),
    and a drip would outlast the test client's own wait."""
    agent, _ = fed
    with trusted_idp(server, mode=mode) as provider:
        resp = exchange(server, agent, provider.token("alice"), refund(5))
        body = assert_oauth_error(resp, 503, "temporarily_unavailable")
        assert body["error_description"] == "the keys of the subject_token issuer cannot be fetched right now; try again later"
        if mode == "drip":
            wait_until(lambda: provider.drips_cut == 1, what="Countersign to hang up on the drip")


@pytest.mark.parametrize("jwks_uri, problem", [
    ("http://idp.example.com/jwks.json", "must use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"),
    ("http://169.254.169.254/latest/meta-data/", "must not point to the link-local address 169.254.169.254"),
    ("https://169.254.169.254/jwks.json", "must not point to the link-local address 169.254.169.254"),
    ("https://[fe80::1]/jwks.json", "must not point to the link-local address fe80::1"),
])
def test_a_discovered_jwks_uri_must_be_https_and_not_link_local(server, fed, jwks_uri, problem):
    """The IdP is on loopback (http allowed), but its discovery document names a JWKS elsewhere:
    never fetched, 503, and the log says why."""
    agent, _ = fed
    with trusted_idp(server) as provider:
        provider.discovery_jwks_uri = jwks_uri
        log_before = len(server.stderr_text())
        resp = exchange(server, agent, provider.token("alice"), refund(5))
        assert_oauth_error(resp, 503, "temporarily_unavailable")
        assert provider.discovery_fetches == 1 and provider.jwks_fetches == 0
        wait_until(lambda: problem in server.stderr_text()[log_before:], what="the refusal in the log")
        line = next(l for l in server.stderr_text()[log_before:].splitlines() if problem in l)
        assert "fetching issuer keys failed" in line and jwks_uri in line and provider.issuer in line, line


def test_a_deleted_issuer_is_no_longer_trusted(server, fed):
    agent, _ = fed
    with trusted_idp(server) as provider:
        assert exchange(server, agent, provider.token("alice"), refund(5)).status_code == 200
        server.cli("issuer", "delete", provider.issuer, check=True)
        wait_for_response(lambda: exchange(server, agent, provider.token("alice"), refund(5)),
                          lambda r: r.status_code == 400, what="the deletion to reach the server")
        refused(server, agent, provider.token("alice"), "was issued by an issuer this server does not trust")


# ---------------------------------------------------------------------------------------------
# The issuer command

def test_issuer_cli(server, idp):
    listed = server.cli("issuer", "list", "--json", check=True)
    entries = json.loads(listed.stdout)
    mine = [e for e in entries if e["issuer"] == idp.issuer]
    assert mine and mine[0]["claims"] == ["roles=realm_access.roles"] and mine[0]["audience"] == "countersign"
    again = server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "x")
    assert again.returncode != 0 and "already trusted" in again.stderr


@pytest.mark.parametrize("args, message", [
    (["--issuer", "not a url", "--audience", "a"], "--issuer must be an absolute http(s) URL"),
    (["--issuer", "ftp://idp.example.com", "--audience", "a"], "--issuer must be an absolute http(s) URL"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--alg", "none"], "--alg none is not accepted"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--alg", "HS256"], "--alg HS256 is not accepted"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--claim", "roles"], "--claim roles must be NAME=PATH"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--jwks-uri", "javascript:alert(1)"], "--jwks-uri must be an absolute http(s) URL"),
    (["--issuer", "http://idp.example.com", "--audience", "a"],
     "--issuer must use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"),
    (["--issuer", "http://10.1.2.3:8080", "--audience", "a"], "--issuer must use https"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--jwks-uri", "http://idp.example.com/jwks.json"],
     "--jwks-uri must use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, ::1, localhost)"),
    (["--issuer", "https://idp.example.com", "--audience", "a", "--jwks-uri", "https://169.254.169.254/latest/meta-data/"],
     "--jwks-uri must not point to the link-local address 169.254.169.254"),
])
def test_issuer_add_refuses_bad_input(server, args, message):
    proc = server.cli("issuer", "add", *args)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


@pytest.mark.parametrize("issuer", ["http://localhost:9", "http://127.0.0.2:9", "http://[::1]:9"])
def test_issuer_add_allows_plain_http_on_loopback(server, issuer):
    added = server.cli("issuer", "add", "--issuer", issuer, "--audience", "a", "--jwks-uri", issuer + "/jwks.json")
    assert added.returncode == 0, added.stderr
    server.cli("issuer", "delete", issuer, check=True)


def test_issuer_delete_unknown(server):
    proc = server.cli("issuer", "delete", "https://nobody.example.com")
    assert proc.returncode != 0 and "no trusted issuer https://nobody.example.com" in proc.stderr
