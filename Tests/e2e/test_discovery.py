"""Discovery metadata (RFC 8414, OpenID Connect Discovery), JWKS and operations endpoints.
Host and X-Forwarded-* cannot change the issuer."""

from __future__ import annotations

import re

import pytest
import requests

from support import jwt_parts

ENDPOINT_KEYS = ("token_endpoint", "jwks_uri", "introspection_endpoint", "revocation_endpoint")


def test_authorization_server_metadata(server):
    resp = server.get("/.well-known/oauth-authorization-server")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    meta = resp.json()
    assert meta["issuer"] == server.url
    assert meta["token_endpoint"] == server.url + "/token"
    assert meta["jwks_uri"] == server.url + "/jwks.json"
    assert meta["introspection_endpoint"] == server.url + "/introspect"
    assert meta["revocation_endpoint"] == server.url + "/revoke"
    assert "client_credentials" in meta["grant_types_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(meta["token_endpoint_auth_methods_supported"])
    assert "none" not in meta["token_endpoint_auth_methods_supported"]
    for key in ("introspection_endpoint_auth_methods_supported", "revocation_endpoint_auth_methods_supported"):
        if key in meta:
            assert "none" not in meta[key]


def test_openid_configuration_agrees(server):
    oauth = server.metadata()
    resp = server.get("/.well-known/openid-configuration")
    assert resp.status_code == 200
    oidc = resp.json()
    assert oidc["issuer"] == oauth["issuer"]
    for key in ENDPOINT_KEYS:
        assert oidc[key] == oauth[key], key


def test_every_advertised_endpoint_is_served(server):
    meta = server.metadata()
    assert requests.get(meta["jwks_uri"], timeout=15).status_code == 200
    for key in ("token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        resp = requests.post(meta[key], data={}, timeout=15)
        assert resp.status_code in (400, 401), (key, resp.status_code)


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example.com"},
    {"X-Forwarded-Host": "evil.example.com", "X-Forwarded-Proto": "https"},
    {"Forwarded": "host=evil.example.com;proto=https"},
], ids=["host", "x-forwarded", "forwarded"])
def test_request_headers_cannot_change_the_issuer(server, client, headers):
    meta = requests.get(server.url + "/.well-known/oauth-authorization-server", headers=headers, timeout=15).json()
    assert meta["issuer"] == server.url
    assert all(meta[k].startswith(server.url + "/") for k in ENDPOINT_KEYS)
    resp = requests.post(server.url + "/token", data={"grant_type": "client_credentials"}, auth=client.auth,
                         headers=headers, timeout=15)
    assert resp.status_code == 200, resp.text
    claims = jwt_parts(resp.json()["access_token"])[1]
    assert claims["iss"] == server.url and claims["aud"] == server.url


def test_jwks_is_public_json(server):
    resp = server.get("/jwks.json")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith(("application/json", "application/jwk-set+json"))
    assert resp.json()["keys"]


def test_healthz_and_readyz(server):
    h = server.get("/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok"
    r = server.get("/readyz")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", ["/jwks.json", "/.well-known/oauth-authorization-server", "/healthz"])
def test_head_is_supported_where_get_is(server, path):
    resp = requests.head(server.url + path, timeout=15)
    assert resp.status_code == 200, resp.status_code


def test_metrics_endpoint(server):
    resp = server.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    # Prometheus text. Every line is a comment or `name{label="value",...} value`.
    label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*"'
    sample = rf'[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{{{label}(?:,{label})*\}})? (?:[-+]?[0-9.eE+-]+|[-+]Inf|NaN)'
    server.get("/api/v1/approval-requests/no-such-id")  # a route with {id} in its pattern
    resp = server.get("/metrics")
    for line in resp.text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or re.fullmatch(sample, line), line
    assert 'route="/api/v1/approval-requests/{id}"' in resp.text
    assert "# TYPE countersign_http_requests_total counter" in resp.text
    assert "process_start_time_seconds" in resp.text


def test_metadata_lists_the_policy_actions(server):
    meta = server.metadata()
    # The policy's action names; the bundled policy defines these six.
    assert meta["authorization_details_types_supported"] == [
        "refund", "delete_user", "read_transaction", "export_data", "change_payout_account", "rotate_api_key"]


def test_the_api_description_is_served_and_is_the_repository_openapi_yaml(server):
    from pathlib import Path

    import yaml

    resp = server.get("/api/v1/openapi.yaml")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/yaml"
    assert resp.content == (Path(__file__).resolve().parents[2] / "openapi.yaml").read_bytes()
    document = yaml.safe_load(resp.content)
    assert document["openapi"].startswith("3.1")
    for path in ("/bc-authorize", "/api/v1/approval-requests/{id}/approve", "/api/v1/events"):
        assert path in document["paths"], path
