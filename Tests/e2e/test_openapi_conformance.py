"""openapi.yaml against the running server, with schemathesis: every operation of the document,
with generated requests (valid and invalid) and with hand-made ones that reach the answers
random data cannot (a token bound to an action, each decision, a vote, a live event). Every
answer must be documented: its status, its content type, its headers and its body's schema; and
no request may get a 5xx. The document is read from the repository (the server embeds the same
file, see test_discovery), so a change to either shows up here.

Client authentication and the approver's token are applied as the document's securitySchemes say
(`clientBasic`, `personalToken`); schemathesis also sends requests without them or with wrong
ones. Generation is derandomized, so a run is repeatable.
"""

from __future__ import annotations

import functools
import json
import threading
import time

import jsonschema_rs
import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from support import REPO, basic, uid, wait_for_response

SPEC_PATH = REPO / "openapi.yaml"
SPEC = yaml.safe_load(SPEC_PATH.read_text())
FORM = "application/x-www-form-urlencoded"
TE = "urn:ietf:params:oauth:grant-type:token-exchange"
CIBA = "urn:openid:params:grant-type:ciba"
JWT = "urn:ietf:params:oauth:token-type:jwt"
API = "https://api.example.com"
BASE = "/api/v1/approval-requests"

# Schemathesis applies these credentials as the securitySchemes say when it builds a case, and
# builds some cases while pytest collects, before the module's server and its users exist. So
# they are placeholders, swapped for the real ones just before each request is sent
# (`with_real_credentials`); a case built without credentials, or with wrong ones, keeps them.
PLACEHOLDER_CLIENT = ("placeholder-client", "placeholder-secret")
PLACEHOLDER_TOKEN = "csu_placeholder"

schema = schemathesis.openapi.from_path(SPEC_PATH, config=SchemathesisConfig.from_dict({
    "request-timeout": 15,
    "auth": {"openapi": {
        "clientBasic": {"username": PLACEHOLDER_CLIENT[0], "password": PLACEHOLDER_CLIENT[1]},
        "personalToken": {"bearer": PLACEHOLDER_TOKEN},
    }},
    "operations": [
        # RFC 6749 §5.2 (and RFC 7009, RFC 7662, CIBA §13): an OAuth endpoint answers 400 to a
        # well-formed request for reasons no schema can state: an auth_req_id or scope that does
        # not exist for this client, the policy's decision (approval_required, access_denied, ...),
        # a parameter repeated (RFC 6749 §3.2). So schema-valid data may get 400 there; it still
        # may not get anything else undocumented (404, 405, 415, ...).
        {"include-tag": "oauth",
         "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "429"]}}},
        # A live event stream never ends: read it until its first event, or for a second, then
        # judge what arrived.
        {"include-path": "/api/v1/events", "request-timeout": 1, "max-stream-events": 1},
    ],
}))


def _form_schema(path: str, method: str):
    """The form body's schema of an operation, its $refs resolvable (the document's components alongside)."""
    body = SPEC["paths"][path][method.lower()].get("requestBody", {}).get("content", {}).get(FORM)
    if body is None:
        return None
    return jsonschema_rs.Draft202012Validator(
        {"allOf": [body["schema"]], "components": SPEC["components"]}, validate_formats=True)


FORM_VALIDATORS = {(path, method): _form_schema(path, method)
                   for path, item in SPEC["paths"].items() for method in item if method == "post"}


def negative_data_rejection_of_forms(ctx, response, case):
    """schemathesis's negative_data_rejection, except where the only "invalid" part of a form is an
    empty value. RFC 6749 §3.2 (and §3.1): "Parameters sent without a value MUST be treated as if
    they were omitted from the request", so `resource=` is no resource, not a malformed URI, and a
    server that accepts it is right when the request without its empty values is valid. Such a
    case still gets every other check (documented status, content type, headers, body, no 5xx)."""
    validator = FORM_VALIDATORS.get((case.operation.path, case.method.lower()))
    if (validator is not None and case.media_type == FORM and isinstance(case.body, dict)
            and any(value == "" for value in case.body.values()) and case.meta is not None
            and not any(component.mode.is_negative for location, component in case.meta.components.items()
                        if location != ParameterLocation.BODY)
            and validator.is_valid({k: v for k, v in case.body.items() if v != ""})):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = {"excluded_checks": [negative_data_rejection], "additional_checks": [negative_data_rejection_of_forms]}


@pytest.fixture(scope="module")
def world(server, idp):
    """An agent client with every grant this server serves; the payments API as a resource server;
    the IdP trusted; finance leads fiona and gita, outsider mallory and requester bob, each with a
    personal token. The generated requests act as the agent and fiona."""
    server.cli("issuer", "add", "--issuer", idp.issuer, "--audience", "countersign",
               "--claim", "roles=realm_access.roles", check=True)
    agent = server.create_client(scope="read write", grant_types=("client_credentials", "token-exchange", "ciba"),
                                 extra=("--asserts-users",))
    api = server.create_client(scope=None, resources=(API,))
    tokens = {}
    for name, args in {"fiona": ["--group", "finance-leads"], "gita": ["--group", "finance-leads"],
                       "mallory": [], "bob": ["--role", "employee"]}.items():
        server.cli("user", "create", name, *args, check=True)
        tokens[name] = server.cli("user", "token", name, check=True).stdout.strip()
    wait_for_response(lambda: server.token_request(api, {"grant_type": "client_credentials", "resource": API}),
                      lambda r: r.status_code == 200, what="the resource server to be known")
    return {"agent": agent, "api": api, "tokens": tokens}


def refund(amount, currency="EUR"):
    return json.dumps([{"type": "refund", "locations": [f"{API}/payments/{uid('p')}"], "amount": amount,
                        "currency": currency}])


def call(server, world, path, method, *, status, error=None, auth=None, body=None, query=None, id=None, **transport):
    """One hand-made request through schemathesis: sent, then held to the document with every
    check the generated ones get. AUTH is a client (Basic), a user name (Bearer) or None;
    TRANSPORT goes to `requests` (a timeout)."""
    headers = {}
    if isinstance(auth, str):
        headers["Authorization"] = f"Bearer {world['tokens'][auth]}"
    elif auth is not None:
        headers["Authorization"] = basic(auth.id, auth.secret)
    operation = schema[path][method]
    kwargs = {}
    if body is not None:
        kwargs = {"body": body, "media_type": "application/json" if path.startswith("/api/") else FORM}
    case = operation.Case(query=query, path_parameters={"id": id} if id is not None else None, **kwargs)
    resp = case.call_and_validate(base_url=server.url, headers=headers, **transport, **CHECKS)
    assert resp.status_code == status, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
    if error is not None:
        assert resp.json()["error"] == error, resp.text
    return resp


def test_hand_made_requests_reach_every_documented_answer(server, world, idp):
    agent, api = world["agent"], world["api"]
    # Tokens: a plain one, and a one-time token bound to an action (small refunds are allowed).
    plain = call(server, world, "/token", "POST", status=200, auth=agent, body={"grant_type": "client_credentials"})
    bound = call(server, world, "/token", "POST", status=200, auth=agent,
                 body={"grant_type": "client_credentials", "authorization_details": refund(25)}).json()
    assert bound["authorization_details"][0]["type"] == "refund"
    user = idp.token("bob", realm_access={"roles": ["employee"]}, acr="mfa", auth_time=int(time.time()))
    exchanged = call(server, world, "/token", "POST", status=200, auth=agent, body={
        "grant_type": TE, "subject_token": user, "subject_token_type": JWT, "resource": API,
        "actor_token": idp.token("agent-7", kid="ec-1"), "actor_token_type": JWT,
        "authorization_details": json.dumps([{"type": "read_transaction", "locations": [f"{API}/transactions/t-1"]}])})
    assert exchanged.json()["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    # Each decision as an error (RFC 6749 §5.2 with the members the document lists).
    call(server, world, "/token", "POST", status=400, error="access_denied", auth=agent,
         body={"grant_type": "client_credentials", "authorization_details": refund(25, "JPY")})
    pending = call(server, world, "/token", "POST", status=400, error="approval_required", auth=agent,
                   body={"grant_type": "client_credentials", "authorization_details": refund(250)}).json()
    call(server, world, "/token", "POST", status=400, error="insufficient_user_authentication", auth=agent, body={
        "grant_type": TE, "subject_token": idp.token("bob", realm_access={"roles": ["employee"]}),
        "subject_token_type": JWT, "resource": API, "authorization_details": refund(20000)})
    call(server, world, "/token", "POST", status=400, error="authorization_pending", auth=agent,
         body={"grant_type": CIBA, "auth_req_id": pending["auth_req_id"]})
    call(server, world, "/token", "POST", status=400, error="slow_down", auth=agent,
         body={"grant_type": CIBA, "auth_req_id": pending["auth_req_id"]})
    call(server, world, "/token", "POST", status=401, error="invalid_client",
         auth=type(agent)(agent.id, agent.secret + "x"), body={"grant_type": "client_credentials"})
    # Introspection: the holder's view, and the resource server's, which spends the one-time token.
    call(server, world, "/introspect", "POST", status=200, auth=agent, body={"token": plain.json()["access_token"]})
    active = call(server, world, "/introspect", "POST", status=200, auth=api, body={"token": bound["access_token"]})
    assert active.json()["active"] is True and active.json()["one_time"] is True
    acting = call(server, world, "/introspect", "POST", status=200, auth=api,
                  body={"token": exchanged.json()["access_token"]}).json()
    assert acting["act"]["sub"] == "agent-7", acting
    call(server, world, "/revoke", "POST", status=200, auth=agent, body={"token": plain.json()["access_token"]})
    call(server, world, "/revoke", "POST", status=400, error="unsupported_token_type", auth=agent,
         body={"token": "x", "token_type_hint": "id_token"})
    # Backchannel authentication: stored (and shown to approvers with its binding message), denied, unknown user.
    ciba = call(server, world, "/bc-authorize", "POST", status=200, auth=agent, body={
        "login_hint": "bob", "binding_message": "refund 300", "authorization_details": refund(300)}).json()
    call(server, world, "/bc-authorize", "POST", status=403, error="access_denied", auth=agent,
         body={"login_hint": "bob", "authorization_details": refund(25, "JPY")})
    call(server, world, "/bc-authorize", "POST", status=400, error="unknown_user_id", auth=agent,
         body={"login_hint": "nobody", "authorization_details": refund(300)})
    # The approver API: lists, one request, votes and each refusal.
    listed = call(server, world, BASE, "GET", status=200, auth="fiona", query={"state": "all"}).json()
    ids = [r["id"] for r in listed["approval_requests"]]
    assert len(ids) == 2, listed
    by_binding = {bool(r.get("binding_message")): r["id"] for r in listed["approval_requests"]}
    first, second = by_binding[False], by_binding[True]
    call(server, world, BASE, "GET", status=400, error="invalid_request", auth="fiona", query={"state": "open"})
    call(server, world, f"{BASE}/{{id}}", "GET", status=200, auth="fiona", id=second)
    call(server, world, f"{BASE}/{{id}}", "GET", status=404, error="not_found", auth="fiona", id="no-such-request")
    call(server, world, f"{BASE}/{{id}}/approve", "POST", status=400, error="invalid_request", auth="fiona", id=first, body={})
    call(server, world, f"{BASE}/{{id}}/approve", "POST", status=403, error="forbidden", auth="mallory", id=first,
         body={"reason": "not mine to approve"})
    call(server, world, f"{BASE}/{{id}}/approve", "POST", status=200, auth="fiona", id=first, body={"reason": "checked"})
    call(server, world, f"{BASE}/{{id}}/approve", "POST", status=409, error="conflict", auth="fiona", id=first,
         body={"reason": "again"})
    decided = call(server, world, f"{BASE}/{{id}}/deny", "POST", status=200, auth="gita", id=second,
                   body={"reason": "no ticket"}).json()
    assert decided["state"] == "denied", decided
    # The poll of a denied request, and of an unknown one.
    call(server, world, "/token", "POST", status=400, error="access_denied", auth=agent,
         body={"grant_type": CIBA, "auth_req_id": ciba["auth_req_id"]})
    call(server, world, "/token", "POST", status=400, error="invalid_grant", auth=agent,
         body={"grant_type": CIBA, "auth_req_id": "no-such-request"})


def test_a_live_event_matches_the_document(server, world):
    """GET /api/v1/events with a change arriving while it is read: schemathesis reads the stream
    until its first event (or the timeout) and holds the event to the document."""
    agent = world["agent"]

    def ask_soon():
        time.sleep(0.5)
        server.token_request(agent, {"grant_type": "client_credentials", "authorization_details": refund(400)})

    threading.Thread(target=ask_soon, daemon=True).start()
    resp = call(server, world, "/api/v1/events", "GET", status=200, auth="fiona", timeout=10)
    assert b"event: approval.requested" in resp.content, resp.content[:500]


HTTP_METHODS = ("get", "head", "post", "put", "delete", "patch", "options", "trace")
OPERATIONS = [f"{method.upper()} {path}" for path, item in SPEC["paths"].items() for method in item if method in HTTP_METHODS]


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from ADDRESS (on Linux every address of 127.0.0.0/8 is the loopback interface)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs, source_address=(self.address, 0))


@functools.cache
def session_for(operation: str) -> requests.Session:
    """A session that connects from an address of its own for each operation. Failed
    authentications are counted per address (100 a minute, then 429 for every request from it;
    RFC 6749 §10.10): the wrong and missing credentials generated for one operation must not
    turn another operation's answers into 429s, nor the hand-made requests' (from 127.0.0.1)."""
    session = requests.Session()
    adapter = SourceAddressAdapter(f"127.0.0.{10 + OPERATIONS.index(operation)}")
    session.mount("http://", adapter)
    return session


@schema.parametrize()
# Derandomized so that CI repeats the same requests; 25 generated requests per operation (besides
# the coverage phase's boundary cases and the document's examples) keep the module near a minute.
@settings(max_examples=25, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_every_operation_conforms(case, server, world):
    with_real_credentials(case, world)
    case.call_and_validate(base_url=server.url, session=session_for(case.operation.label), **CHECKS)


def with_real_credentials(case, world):
    """Swaps the placeholder credentials schemathesis applied for the agent's and fiona's."""
    header = (case.headers or {}).get("Authorization")
    if header == basic(*PLACEHOLDER_CLIENT):
        case.headers["Authorization"] = basic(world["agent"].id, world["agent"].secret)
    elif header == f"Bearer {PLACEHOLDER_TOKEN}":
        case.headers["Authorization"] = f"Bearer {world['tokens']['fiona']}"



def test_no_address_was_throttled(server):
    """The run above is only worth something if its answers were the operations' own, not the
    throttle's 429 (its first refusal is audited as authentication.throttled)."""
    assert not [e for e in server.audit_events() if e["type"] == "authentication.throttled"]
