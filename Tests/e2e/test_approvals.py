"""Countersigning (docs/APPROVALS.md): an action that needs approval is decided by people through the
approver API, and the client redeems the approval by polling /token with its auth_req_id
(OpenID CIBA poll mode). The approvers are users of the store
with personal API tokens; the requester is a user of a real IdP stand-in on loopback."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from support import assert_oauth_error, uid, wait_for_response

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
CIBA = "urn:openid:params:grant-type:ciba"
JWT = "urn:ietf:params:oauth:token-type:jwt"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"


@pytest.fixture(scope="module")
def world(server, idp):
    """The IdP trusted; an agent client; the payments API; four finance leads, a security member
    and two outsiders, each with a personal token."""
    server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign",
               "--claim", "roles=realm_access.roles", check=True)
    agent = server.create_client(scope="read", grant_types=("token-exchange",))
    other = server.create_client(scope="read", grant_types=("token-exchange",))
    api = server.create_client(scope=None, resources=(API,))
    tokens = {}
    people = {
        "fiona": ["--group", "finance-leads"], "gita": ["--group", "finance-leads"],
        "hugo": ["--group", "finance-leads"], "ivan": ["--group", "finance-leads"],
        "carol": [], "mallory": ["--group", "sales"],
        # alice the requester is also a finance lead, under another name at her IdP.
        "a.smith": ["--group", "finance-leads", "--alias", f"{idp.issuer}#alice"],
        "alice-mail": ["--group", "finance-leads", "--claim", "email=Alice@Example.com"],
    }
    for name, args in people.items():
        server.cli("user", "create", name, *args, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    wait_for_response(lambda: server.token_request(api, {"grant_type": "client_credentials", "resource": API}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    return agent, other, api, tokens


def ask(server, agent, idp, amount=250, sub="alice", **claims):
    details = [{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": amount, "currency": "EUR"}]
    token = idp.token(sub, realm_access={"roles": ["employee"]}, acr="mfa", auth_time=int(time.time()), **claims)
    resp = server.token_request(agent, {"grant_type": TE, "subject_token": token, "subject_token_type": JWT,
                                        "resource": API, "authorization_details": json.dumps(details)})
    assert resp.status_code == 400 and resp.json()["error"] == "approval_required", resp.text
    return resp.json()["auth_req_id"], details


def request_id(server, tokens, approver="fiona"):
    """The newest pending request this approver sees."""
    resp = server.get(BASE, headers={"Authorization": f"Bearer {tokens[approver]}"})
    assert resp.status_code == 200, resp.text
    return resp.json()["approval_requests"][0]["id"]


def vote(server, tokens, approver, rid, verdict="approve", reason="checked with the customer"):
    body = json.dumps({"reason": reason}).encode() if reason is not None else b""
    return server.post(f"{BASE}/{rid}/{verdict}", body=body, content_type="application/json",
                       headers={"Authorization": f"Bearer {tokens[approver]}"})


def rfc3339(text):
    """Seconds since 1970 of an RFC 3339 time the API shows."""
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def poll(server, agent, auth_req_id):
    return server.token_request(agent, {"grant_type": CIBA, "auth_req_id": auth_req_id})


def test_two_finance_leads_approve_and_the_client_redeems_once(server, idp, world):
    agent, _, api, tokens = world
    auth_req_id, details = ask(server, agent, idp)
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "authorization_pending")
    rid = request_id(server, tokens)
    first = vote(server, tokens, "fiona", rid)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "pending" and [v["approver"] for v in first.json()["votes"]] == ["fiona"]
    time.sleep(5)  # the poll interval
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "authorization_pending")
    second = vote(server, tokens, "gita", rid, reason="ok")
    assert second.status_code == 200 and second.json()["state"] == "approved", second.text
    time.sleep(2)  # between the deciding vote and the redemption, so the TTL's start tells which it is
    redeemed_from = int(time.time())
    resp = poll(server, agent, auth_req_id)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Cache-Control"] == "no-store"
    claims = jwt.decode(resp.json()["access_token"], KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims
    assert claims["authorization_details"] == details
    assert claims["sub"] == "alice" and claims["aud"] == API and claims["one_time"] is True
    # large-refunds: ttl 5m, counted from redemption, not from the request or its approval.
    created, decided = (rfc3339(second.json()[k]) for k in ("created_at", "decided_at"))
    assert claims["iat"] >= redeemed_from and claims["iat"] >= decided + 2 and claims["iat"] >= created + 5
    assert claims["exp"] - claims["iat"] == 300
    approval = claims["approval"]
    assert approval["request_id"] == rid and approval["approvers"] == ["fiona", "gita"]
    assert all(len(d) == 64 for d in approval["reasons"]) and "checked" not in json.dumps(approval)
    # A second redemption is refused, and the token of the first is revoked.
    replay = assert_oauth_error(poll(server, agent, auth_req_id), 400, "invalid_grant")
    assert replay["error_description"] == "auth_req_id was already redeemed; its token is revoked"
    introspected = server.post("/introspect", {"token": resp.json()["access_token"]}, auth=(api.id, api.secret))
    assert introspected.json() == {"active": False}


@pytest.mark.parametrize("approver", ["a.smith", "alice-mail"])
def test_the_requester_cannot_approve_under_another_name(server, idp, world, approver):
    agent, _, _, tokens = world
    auth_req_id, _ = ask(server, agent, idp, email="alice@example.com")
    rid = request_id(server, tokens)
    resp = vote(server, tokens, approver, rid)
    assert resp.status_code == 403, resp.text
    assert resp.json() == {"error": "forbidden", "error_description": "you requested this action; someone else must approve it"}
    events = [json.loads(line) for line in server.cli("audit", "export", check=True).stdout.splitlines()]
    assert any(e["type"] == "approval.refused" and e["data"]["request_id"] == rid for e in events)


def test_a_non_member_and_a_second_vote_are_refused_with_reasons(server, idp, world):
    agent, _, _, tokens = world
    ask(server, agent, idp)
    rid = request_id(server, tokens)
    resp = vote(server, tokens, "mallory", rid)
    assert resp.status_code == 403 and resp.json()["error_description"] == "you are not in group finance-leads"
    assert vote(server, tokens, "hugo", rid).status_code == 200
    again = vote(server, tokens, "hugo", rid)
    assert again.status_code == 409 and again.json()["error_description"].startswith("you already approved at ")


def test_a_reason_is_required(server, idp, world):
    agent, _, _, tokens = world
    ask(server, agent, idp)
    rid = request_id(server, tokens)
    resp = vote(server, tokens, "fiona", rid, reason=None)
    assert resp.status_code == 400
    assert resp.json()["error_description"] == "a reason is required to decide this request"


def test_one_deny_ends_it_and_the_poll_says_access_denied(server, idp, world):
    agent, _, _, tokens = world
    auth_req_id, _ = ask(server, agent, idp)
    rid = request_id(server, tokens)
    resp = vote(server, tokens, "ivan", rid, verdict="deny", reason="looks like fraud")
    assert resp.status_code == 200 and resp.json()["state"] == "denied"
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "access_denied")
    late = vote(server, tokens, "fiona", rid)
    assert late.status_code == 409 and late.json()["error_description"].startswith("this request was already denied at ")


def test_another_clients_or_a_guessed_auth_req_id_is_invalid_grant(server, idp, world):
    agent, other, _, _ = world
    auth_req_id, _ = ask(server, agent, idp)
    stolen = poll(server, other, auth_req_id)
    guessed = poll(server, agent, "A" * 27)
    for resp in (stolen, guessed):
        body = assert_oauth_error(resp, 400, "invalid_grant")
        assert body["error_description"] == "auth_req_id is unknown, or was issued to another client"


def test_polling_faster_than_the_interval_is_slow_down(server, idp, world):
    agent, _, _, _ = world
    auth_req_id, _ = ask(server, agent, idp)
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "authorization_pending")
    resp = poll(server, agent, auth_req_id)
    assert_oauth_error(resp, 400, "slow_down")
    assert resp.json()["interval"] == 10


def test_the_approver_api_needs_a_personal_token(server, world):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer csu_" + "A" * 43},
                    {"Authorization": "Basic Zm9vOmJhcg=="}):
        resp = server.get(BASE, headers=headers)
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_token", resp.text
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_votes_are_posts_and_bodies_are_checked(server, idp, world):
    agent, _, _, tokens = world
    ask(server, agent, idp)
    rid = request_id(server, tokens)
    auth = {"Authorization": f"Bearer {tokens['fiona']}"}
    assert server.get(f"{BASE}/{rid}/approve", headers=auth).status_code == 405
    for body, message in [(b"{", "the body must be a JSON object"), (b"[1]", "the body must be a JSON object"),
                          (b'{"reason": 5}', "reason must be a string"),
                          (json.dumps({"reason": "x" * 1001}).encode(), "reason must be at most 1000 characters")]:
        resp = server.post(f"{BASE}/{rid}/approve", body=body, content_type="application/json", headers=auth)
        assert resp.status_code == 400 and resp.json()["error_description"].startswith(message), resp.text
    missing = server.post(f"{BASE}/{'x' * 20}/approve", body=b"{}", content_type="application/json", headers=auth)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert server.get(f"{BASE}/' OR 1=1--", headers=auth).status_code == 404


def test_concurrent_votes_reach_exactly_one_outcome(server, idp, world):
    """Four leads vote at once on a quorum of two: every vote is counted
    once, the request is approved once, and exactly one poll redeems it."""
    agent, _, _, tokens = world
    auth_req_id, _ = ask(server, agent, idp)
    rid = request_id(server, tokens)
    barrier = threading.Barrier(4)
    results = {}

    def cast(name):
        barrier.wait()
        results[name] = vote(server, tokens, name, rid, reason="go")

    threads = [threading.Thread(target=cast, args=(n,)) for n in ("fiona", "gita", "hugo", "ivan")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 200, 409, 409], {n: r.text for n, r in results.items()}
    shown = server.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['fiona']}"}).json()
    assert shown["state"] == "approved" and len(shown["votes"]) == 2
    polls = []
    barrier = threading.Barrier(8)

    def redeem():
        barrier.wait()
        polls.append(poll(server, agent, auth_req_id))

    threads = [threading.Thread(target=redeem) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in polls) == [200] + [400] * 7
    events = [json.loads(line) for line in server.cli("audit", "export", check=True).stdout.splitlines()]
    mine = [e for e in events if e["data"].get("request_id") == rid]
    assert [e["type"] for e in mine].count("approval.approved") == 1
    assert [e["type"] for e in mine].count("approval.redeemed") == 1
    assert server.cli("audit", "verify").returncode == 0


def test_a_federated_owner_confirms_and_a_local_namesake_cannot(server, idp, world):
    """Approval by the subject means the person the IdP vouched for: `ISSUER#olga`. A local
    user who is merely named olga is someone else and is refused; the local user carrying the
    alias ISSUER#olga is the owner and confirms."""
    agent, _, _, _ = world
    server.cli("user", "create", "olga", check=True)
    server.cli("user", "create", "o.lang", "--alias", f"{idp.issuer}#olga", check=True)
    namesake = server.cli("user", "token", "olga", check=True).stdout.strip()
    owner = server.cli("user", "token", "o.lang", check=True).stdout.strip()
    details = [{"type": "change_payout_account", "iban": "DE89370400440532013000"}]
    token = idp.token("olga", realm_access={"roles": ["employee"]}, acr="mfa", auth_time=int(time.time()))
    resp = server.token_request(agent, {"grant_type": TE, "subject_token": token, "subject_token_type": JWT,
                                        "resource": API, "authorization_details": json.dumps(details)})
    assert resp.status_code == 400 and resp.json()["error"] == "approval_required", resp.text
    auth_req_id = resp.json()["auth_req_id"]
    tokens = {"olga": namesake, "o.lang": owner}
    listed = server.get(BASE, headers={"Authorization": f"Bearer {namesake}"})
    assert listed.status_code == 200 and listed.json()["approval_requests"] == [], listed.text
    rid = request_id(server, tokens, "o.lang")
    refused = vote(server, tokens, "olga", rid, reason=None)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_description"] == "only olga, who asked for this action, can confirm it"
    confirmed = vote(server, tokens, "o.lang", rid, reason=None)
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "approved", confirmed.text
    redeemed = poll(server, agent, auth_req_id)
    assert redeemed.status_code == 200, redeemed.text
    claims = jwt.decode(redeemed.json()["access_token"], KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims
    assert claims["sub"] == "olga" and claims["approval"]["approvers"] == ["o.lang"]
    assert claims["authorization_details"] == details


def test_a_poll_with_other_authorization_details_gets_exactly_the_approved_ones(server, idp, world):
    """RFC 9396 §7: the approval was for 250; a poll that sends 25000 (and
    another payment) gets a token for exactly what was approved, or nothing."""
    agent, _, _, tokens = world
    auth_req_id, details = ask(server, agent, idp)
    rid = request_id(server, tokens)
    for name in ("fiona", "gita"):
        assert vote(server, tokens, name, rid).status_code == 200
    altered = [{**details[0], "amount": 25000, "locations": [f"{API}/payments/{uid('p')}"]}]
    resp = server.token_request(agent, {"grant_type": CIBA, "auth_req_id": auth_req_id,
                                        "authorization_details": json.dumps(altered), "resource": f"{API}/other"})
    assert resp.status_code == 200, resp.text  # the poll's own details are set aside, not honoured
    claims = jwt.decode(resp.json()["access_token"], KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims
    assert claims["authorization_details"] == details
    assert claims["aud"] == API and claims["approval"]["request_id"] == rid
    assert resp.json().get("authorization_details", details) == details


@pytest.fixture(scope="module")
def robot(server, idp, world):
    """dave of the security group (whose quorum for a deletion is 1) also runs the deletion robot:
    his account carries the robot's identity at the IdP as an alias, and its e-mail address."""
    _, _, _, tokens = world
    sub = uid("robot")
    server.cli("user", "create", "dave", "--alias", f"{idp.issuer}#{sub}", "--claim", "email=robot@example.com",
               check=True)
    tokens["dave"] = server.cli("user", "token", "dave", check=True).stdout.strip()
    return sub


@pytest.mark.parametrize("link", ["alias ISSUER#SUB", "email"])
def test_the_actor_of_a_token_exchange_cannot_approve_its_own_request(server, idp, world, robot, link):
    """The robot exchanges alice's token with its own actor_token for a delete_user, which one
    member of security approves. dave is the robot (by the alias ISSUER#SUB of the actor, or by
    the actor's e-mail): his approval is refused, and he is not shown the request; carol's counts
    and the token names the actor in `act` (RFC 8693 §4.1)."""
    agent, _, _, tokens = world
    if link == "alias ISSUER#SUB":
        actor_sub, actor = robot, idp.token(robot)
    else:
        actor_sub = uid("robot")
        actor = idp.token(actor_sub, email="Robot@Example.com")
    details = [{"type": "delete_user", "locations": [f"{API}/users/{uid('u')}"]}]
    subject = idp.token("alice", realm_access={"roles": ["employee"]})
    resp = server.token_request(agent, {"grant_type": TE, "subject_token": subject, "subject_token_type": JWT,
                                        "actor_token": actor, "actor_token_type": JWT, "resource": API,
                                        "authorization_details": json.dumps(details)})
    assert resp.status_code == 400 and resp.json()["error"] == "approval_required", resp.text
    auth_req_id = resp.json()["auth_req_id"]
    listed = server.get(BASE, headers={"Authorization": f"Bearer {tokens['carol']}"}).json()["approval_requests"]
    rid = next(r["id"] for r in listed if r["authorization_details"] == details)
    mine = server.get(BASE, headers={"Authorization": f"Bearer {tokens['dave']}"}).json()["approval_requests"]
    assert rid not in [r["id"] for r in mine]

    refused = vote(server, tokens, "dave", rid, reason="housekeeping")
    assert refused.status_code == 403, refused.text
    assert refused.json() == {"error": "forbidden",
                              "error_description": "you requested this action; someone else must approve it"}
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "authorization_pending")

    approved = vote(server, tokens, "carol", rid, reason="ticket 4711")
    assert approved.status_code == 200 and approved.json()["state"] == "approved", approved.text
    time.sleep(5)  # the poll interval
    redeemed = poll(server, agent, auth_req_id)
    assert redeemed.status_code == 200, redeemed.text
    claims = jwt.decode(redeemed.json()["access_token"], KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims
    assert claims["approval"]["approvers"] == ["carol"] and claims["sub"] == "alice"
    assert claims["act"] == {"sub": actor_sub, "iss": idp.issuer}
