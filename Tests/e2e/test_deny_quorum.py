"""A rule's `deny_quorum` (docs/POLICY.md §5: one deny ends a request, unless the rule says
otherwise): under `deny_quorum: 2` one finance lead's denial is recorded and the request stays
pending; two other leads approve it and the client redeems it; two denials end another request.
The server runs a policy of its own, the requester is a user of a real IdP stand-in, approvers
use the API."""

from __future__ import annotations

import json
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from support import assert_oauth_error, start_server, uid, wait_for_response

TE = "urn:ietf:params:oauth:grant-type:token-exchange"
CIBA = "urn:openid:params:grant-type:ciba"
JWT = "urn:ietf:params:oauth:token-type:jwt"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"

POLICY = f"""\
version: 1
groups:
  finance-leads: {{ claim: groups, value: finance-leads }}
actions:
  refund:
    resource: "{API}/payments/*"
    fields: {{ amount: number, currency: string }}
rules:
  - name: refunds-survive-one-objection
    action: refund
    effect: approve
    approval: {{ group: finance-leads, quorum: 2, deny_quorum: 2 }}
    grant: {{ ttl: 5m, one_time: true }}
tests:
  - name: two leads approve, two objections end it
    request: {{ subject: alice, action: refund, context: {{ amount: 250, currency: EUR }} }}
    expect: {{ outcome: approve, approval: {{ group: finance-leads, quorum: 2, deny_quorum: 2 }} }}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("deny-quorum") / "data"
    data.mkdir(mode=0o700)
    (data / "policy.yaml").write_text(POLICY)
    srv = start_server(data)
    yield srv
    srv.stop()
    srv.kill()


@pytest.fixture(scope="module")
def world(server, idp):
    server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign", check=True)
    agent = server.create_client(scope="read", grant_types=("token-exchange",))
    api = server.create_client(scope=None, resources=(API,))
    tokens = {}
    for name, args in {"fiona": ["--group", "finance-leads"], "gita": ["--group", "finance-leads"],
                       "hugo": ["--group", "finance-leads"], "mallory": ["--group", "sales"]}.items():
        server.cli("user", "create", name, *args, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    wait_for_response(lambda: server.token_request(api, {"grant_type": "client_credentials", "resource": API}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    return agent, tokens


def ask(server, idp, agent):
    details = [{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": 250, "currency": "EUR"}]
    token = idp.token("alice", acr="mfa", auth_time=int(time.time()))
    resp = server.token_request(agent, {"grant_type": TE, "subject_token": token, "subject_token_type": JWT,
                                        "resource": API, "authorization_details": json.dumps(details)})
    assert resp.status_code == 400 and resp.json()["error"] == "approval_required", resp.text
    auth_req_id = resp.json()["auth_req_id"]
    return auth_req_id, details


def newest(server, tokens):
    resp = server.get(BASE, headers={"Authorization": f"Bearer {tokens['fiona']}"})
    assert resp.status_code == 200, resp.text
    return resp.json()["approval_requests"][0]["id"]


def vote(server, tokens, approver, rid, verdict, reason="looked at it"):
    return server.post(f"{BASE}/{rid}/{verdict}", body=json.dumps({"reason": reason}).encode(),
                       content_type="application/json", headers={"Authorization": f"Bearer {tokens[approver]}"})


def poll(server, agent, auth_req_id):
    return server.token_request(agent, {"grant_type": CIBA, "auth_req_id": auth_req_id})


def test_a_request_survives_one_denial_and_two_other_leads_approve_it(server, idp, world):
    agent, tokens = world
    auth_req_id, details = ask(server, idp, agent)
    rid = newest(server, tokens)
    shown = server.get(f"{BASE}/{rid}", headers={"Authorization": f"Bearer {tokens['gita']}"}).json()
    assert shown["approvals"] == [{"group": "finance-leads", "quorum": 2, "deny_quorum": 2, "expires_in": 900}]

    denied = vote(server, tokens, "fiona", rid, "deny", reason="the amount looks odd")
    assert denied.status_code == 200, denied.text
    assert denied.json()["state"] == "pending"
    assert [(v["approver"], v["verdict"]) for v in denied.json()["votes"]] == [("fiona", "deny")]
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "authorization_pending")
    # Neither an outsider's denial nor the same lead changing her mind counts.
    outsider = vote(server, tokens, "mallory", rid, "deny")
    assert outsider.status_code == 403 and outsider.json()["error_description"] == "you are not in group finance-leads"
    again = vote(server, tokens, "fiona", rid, "approve")
    assert again.status_code == 409 and again.json()["error_description"].startswith("you already denied at "), again.text

    first = vote(server, tokens, "gita", rid, "approve", reason="customer confirmed")
    assert first.status_code == 200 and first.json()["state"] == "pending", first.text
    second = vote(server, tokens, "hugo", rid, "approve", reason="ok")
    assert second.status_code == 200 and second.json()["state"] == "approved", second.text

    time.sleep(5)  # the poll interval
    resp = poll(server, agent, auth_req_id)
    assert resp.status_code == 200, resp.text
    claims = jwt.decode(resp.json()["access_token"], KeySet.import_key_set(server.jwks()), algorithms=["ES256"]).claims
    assert claims["authorization_details"] == details and claims["sub"] == "alice" and claims["aud"] == API
    # The token names those who approved, never the lead who objected.
    assert claims["approval"]["request_id"] == rid and claims["approval"]["approvers"] == ["gita", "hugo"]

    mine = [e for e in server.audit_events() if e["data"].get("request_id") == rid]
    voted = [(e["actor"], e["data"]["verdict"]) for e in mine if e["type"] == "approval.voted"]
    assert voted == [("user:fiona", "deny"), ("user:gita", "approve"), ("user:hugo", "approve")]
    assert [e["type"] for e in mine].count("approval.denied") == 0
    assert [e["data"]["approvers"] for e in mine if e["type"] == "approval.approved"] == [["gita", "hugo"]]


def test_the_second_distinct_denial_ends_the_request(server, idp, world):
    agent, tokens = world
    auth_req_id, _ = ask(server, idp, agent)
    rid = newest(server, tokens)
    assert vote(server, tokens, "gita", rid, "deny").json()["state"] == "pending"
    ended = vote(server, tokens, "hugo", rid, "deny")
    assert ended.status_code == 200 and ended.json()["state"] == "denied", ended.text
    assert_oauth_error(poll(server, agent, auth_req_id), 400, "access_denied")
    late = vote(server, tokens, "fiona", rid, "approve")
    assert late.status_code == 409 and late.json()["error_description"].startswith("this request was already denied at ")
    denial = [e for e in server.audit_events() if e["type"] == "approval.denied" and e["data"]["request_id"] == rid]
    assert [e["data"]["deniers"] for e in denial] == [["gita", "hugo"]]
