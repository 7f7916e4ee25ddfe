"""Resource locations and the audience of action tokens, attacked over HTTP: a location is
compared only in its normal form (docs/POLICY.md §3), what cannot be normalised safely is
refused, and an action token is always for the resource server that will act on it
(docs/ACTION-TOKENS.md, "The audience"), never the authorization server."""

from __future__ import annotations

import json

import pytest

from support import assert_oauth_error, jwt_parts, start_server, wait_for_response

API = "https://api.example.com"
PAYMENTS = "https://api.example.com/payments"
VIP = "https://api.example.com/payments/vip-"

POLICY = f"""version: 1
description: A deny rule on one kind of payment, for the resource-location tests.
actions:
  refund:
    resource: "{PAYMENTS}/*"
    fields: {{ amount: number }}
  search:
    resource: "{API}/search*"
    resource_query: true
  rotate_api_key:
rules:
  - name: vip-payments-are-never-refunded
    action: refund
    when: {{ resource: {{ glob: "{VIP}*" }} }}
    effect: deny
    reason: VIP payments are refunded by hand.
  - name: refunds
    action: refund
    effect: allow
    grant: {{ ttl: 60s, one_time: true }}
  - {{ name: searches, action: search, effect: allow }}
  - {{ name: rotations, action: rotate_api_key, effect: allow }}
default: deny
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server under POLICY, a machine client, the whole API and its payments as two resource
    servers."""
    base = tmp_path_factory.mktemp("resource-locations")
    (base / "policy.yaml").write_text(POLICY)
    srv = start_server(base / "data", "--policy", str(base / "policy.yaml"))
    try:
        agent = srv.create_client(scope="read")
        api = srv.create_client(scope=None, resources=(API,))
        payments = srv.create_client(scope=None, resources=(PAYMENTS,))
        wait_for_response(lambda: srv.token_request(agent, {"grant_type": "client_credentials", "resource": PAYMENTS}),
                          lambda r: r.status_code == 200, what="the clients to be known")
        yield srv, agent, api, payments
    finally:
        srv.stop()
        srv.kill()


def refund(server, agent, *locations, **form):
    details = [{"type": "refund", "locations": list(locations), "amount": 5}]
    return server.token_request(agent, {"grant_type": "client_credentials",
                                        "authorization_details": json.dumps(details), **form})


def claims(resp):
    assert resp.status_code == 200, resp.text
    return jwt_parts(resp.json()["access_token"])[1]


# ---------------------------------------------------------------------------------------------
# Locations are decided in normal form

@pytest.mark.parametrize("location", [
    VIP + "1",
    PAYMENTS + "/%76ip-1",
    PAYMENTS + "/vip%2D1",
    PAYMENTS + "/vip%2d1",
    "HTTPS://API.Example.COM:443/payments/vip-1",
    "https://%61pi.example.com/payments/vip-1",
])
def test_a_deny_rule_on_a_location_cannot_be_dodged_by_spelling_it(world, location):
    """Fails against 503d0c1: %76ip-1 and vip%2D1 got allow tokens."""
    srv, agent, _, _ = world
    body = assert_oauth_error(refund(srv, agent, location), 400, "access_denied")
    assert body["error_description"] == "VIP payments are refunded by hand."


@pytest.mark.parametrize("location, problem", [
    (PAYMENTS + "/..", "has a dot segment (. or ..) in its path"),
    (PAYMENTS + "/p-1/../vip-1", "has a dot segment (. or ..) in its path"),
    (PAYMENTS + "/%2E%2E", "has a dot segment (. or ..) in its path"),
    (PAYMENTS + "/..%2Fusers%2Fu-9",
     "has an encoded slash or backslash (%2F, %5C) in its path, which servers read differently"),
    (PAYMENTS + "/vip-1?x=1", "has a query (?...): the action does not declare resource_query: true"),
    (PAYMENTS + "/p-1?", "has a query (?...): the action does not declare resource_query: true"),
    (PAYMENTS + "/p-1#x", "has a fragment (#...), which never reaches a resource server"),
    (PAYMENTS + "//vip-1", "has an empty path segment (//)"),
    ("https://api.example.com@evil.example/payments/p-1", "has user information (...@) before its host"),
    (PAYMENTS + "/p-%G1", "has an invalid percent-escape: % must be followed by two hex digits"),
    (PAYMENTS + "/p-1%00", "has an encoded control character (%00-%1F, %7F)"),
    ("https://api.example.com./payments/p-1",
     "has a host with an empty label (a dot at its start or end, or two in a row)"),
])
def test_a_location_that_cannot_be_normalised_safely_is_refused(world, location, problem):
    """Fails against 503d0c1: each was accepted (and the token named it as sent). The location
    is quoted in the description, and quotes are not RFC 6749 §5.2 text: they read as ?."""
    srv, agent, _, _ = world
    body = assert_oauth_error(refund(srv, agent, location), 400, "invalid_authorization_details")
    assert body["error_description"] == f"authorization_details[0].locations: ?{location}? {problem}"


def test_a_non_ascii_location_is_refused(world):
    srv, agent, _, _ = world
    body = assert_oauth_error(refund(srv, agent, PAYMENTS + "/v\u0131p-1"), 400, "invalid_authorization_details")
    assert body["error_description"] == (
        "authorization_details[0].locations: ?https://api.example.com/payments/v?p-1? holds U+0131, "
        "which a URI cannot hold: percent-encode it (RFC 3986 section 2.1)")


def test_the_token_and_the_audit_name_the_normal_form(world):
    """Fails against 503d0c1: the token carried the location as sent."""
    srv, agent, _, _ = world
    resp = refund(srv, agent, "HTTPS://API.Example.COM:443/payments/%70-17")
    normal = [{"type": "refund", "locations": [PAYMENTS + "/p-17"], "amount": 5}]
    assert claims(resp)["authorization_details"] == normal
    assert resp.json()["authorization_details"] == normal
    decision = [e for e in srv.audit_events() if e["type"] == "decision"][-1]["data"]
    assert decision["resources"] == [PAYMENTS + "/p-17"]


def test_an_action_that_declares_resource_query_accepts_a_query(world):
    srv, agent, _, _ = world
    details = [{"type": "search", "locations": [API + "/search?q=%7eref&page=2"]}]
    resp = srv.token_request(agent, {"grant_type": "client_credentials", "authorization_details": json.dumps(details)})
    c = claims(resp)
    assert c["authorization_details"] == [{"type": "search", "locations": [API + "/search?q=~ref&page=2"]}]
    assert c["aud"] == API


# ---------------------------------------------------------------------------------------------
# The audience of an action token

def test_without_resource_the_token_is_for_the_resource_server_covering_its_locations(world):
    """Fails against 503d0c1: aud was the issuer, so no resource server could spend the
    one-time token. Of the two covering resource servers the longer URI is chosen."""
    srv, agent, api, payments = world
    resp = refund(srv, agent, PAYMENTS + "/p-17")
    c = claims(resp)
    assert c["aud"] == PAYMENTS and c["one_time"] is True
    token = resp.json()["access_token"]
    assert srv.introspect(api, token).json() == {"active": False}  # another resource server
    assert srv.introspect(payments, token).json()["active"] is True
    assert srv.introspect(payments, token).json() == {"active": False}  # spent
    issued = [e for e in srv.audit_events() if e["type"] == "token.issued"][-1]["data"]
    assert issued["aud"] == PAYMENTS


def test_a_location_no_resource_server_covers_is_invalid_target(world):
    srv, agent, _, _ = world
    details = [{"type": "rotate_api_key", "locations": ["https://api.example.org/keys/k-1"]}]
    resp = srv.token_request(agent, {"grant_type": "client_credentials", "authorization_details": json.dumps(details)})
    body = assert_oauth_error(resp, 400, "invalid_target")
    assert body["error_description"] == (
        "no registered resource server covers the location https://api.example.org/keys/k-1 (RFC 8707 section 2)")


def test_an_action_without_locations_names_its_resource_server(world):
    """Fails against 503d0c1: the token was issued for the issuer."""
    srv, agent, api, _ = world
    bare = srv.token_request(agent, {"grant_type": "client_credentials", "scope": "rotate_api_key"})
    body = assert_oauth_error(bare, 400, "invalid_target")
    assert body["error_description"] == (
        "resource is required: name the resource server that will act on this action token (RFC 8707); "
        "the request has no locations to find it by")
    named = srv.token_request(agent, {"grant_type": "client_credentials", "scope": "rotate_api_key", "resource": API})
    assert claims(named)["aud"] == API


def test_the_issuer_is_no_audience_for_an_action_token(world):
    """Fails against 503d0c1: resource=the issuer was accepted, and the locations went unchecked."""
    srv, agent, _, _ = world
    body = assert_oauth_error(refund(srv, agent, PAYMENTS + "/p-1", resource=srv.issuer), 400, "invalid_target")
    assert body["error_description"] == "resource is not a registered resource server"
    plain = srv.token_request(agent, {"grant_type": "client_credentials", "scope": "read"})
    assert claims(plain)["aud"] == srv.issuer  # a plain scope token keeps its default


def test_a_requested_resource_must_cover_the_locations_in_normal_form(world):
    srv, agent, _, _ = world
    assert claims(refund(srv, agent, "https://API.example.com/payments/p-1", resource=PAYMENTS))["aud"] == PAYMENTS
    details = [{"type": "rotate_api_key", "locations": [API + "/keys/k-1"]}]
    resp = srv.token_request(agent, {"grant_type": "client_credentials", "authorization_details": json.dumps(details),
                                     "resource": PAYMENTS})
    body = assert_oauth_error(resp, 400, "invalid_authorization_details")
    assert body["error_description"] == (
        "authorization_details[0].locations: https://api.example.com/keys/k-1 is not a resource of the audience "
        "https://api.example.com/payments")
