"""Request parsing and input limits on the form endpoints (/token, /introspect, /revoke).
RFC 6749 §3.1-3.2 (no repeated parameters)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.parse

import pytest
import requests

from support import FORM, assert_oauth_error, start_server

CAP = 64 * 1024
ENDPOINTS = ["/token", "/introspect", "/revoke"]


def body_for(endpoint: str, client) -> bytes:
    """A minimal valid body for ENDPOINT (client authenticates with Basic)."""
    return {"/token": b"grant_type=client_credentials", "/introspect": b"token=x", "/revoke": b"token=x"}[endpoint]


def post_raw(server, endpoint, body: bytes, client=None, content_type: str | None = FORM, headers=None):
    return server.post(endpoint, body=body, auth=client.auth if client else None, content_type=content_type,
                       headers=headers)


# ---------------------------------------------------------------------------------------------
# Size


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_body_over_64_kib_is_413_oauth_json(server, client, endpoint):
    body = body_for(endpoint, client) + b"&pad=" + b"a" * CAP
    assert_oauth_error(post_raw(server, endpoint, body, client), 413, "invalid_request", basic_challenge=False)


def test_body_of_exactly_64_kib_is_accepted(server, client):
    head = b"grant_type=client_credentials&pad="
    body = head + b"a" * (CAP - len(head))
    assert len(body) == CAP
    resp = post_raw(server, "/token", body, client)
    assert resp.status_code == 200, resp.text[:200]


def test_body_one_byte_over_64_kib_is_413(server, client):
    head = b"grant_type=client_credentials&pad="
    body = head + b"a" * (CAP + 1 - len(head))
    assert_oauth_error(post_raw(server, "/token", body, client), 413, "invalid_request", basic_challenge=False)


def test_chunked_body_over_64_kib_is_413(server, client):
    def chunks():
        yield b"grant_type=client_credentials&pad="
        for _ in range(20):
            yield b"a" * 4096
    resp = requests.post(server.url + "/token", data=chunks(), auth=client.auth,
                         headers={"Content-Type": FORM}, timeout=15)
    assert_oauth_error(resp, 413, "invalid_request", basic_challenge=False)


def test_small_chunked_body_is_accepted(server, client):
    resp = requests.post(server.url + "/token", data=iter([b"grant_type=", b"client_credentials"]), auth=client.auth,
                         headers={"Content-Type": FORM}, timeout=15)
    assert resp.status_code == 200, resp.text


def _raw_request(server, client, body: bytes, content_length: str | list[str]) -> tuple[int, bytes]:
    auth = base64.b64encode(f"{client.id}:{client.secret}".encode())
    lengths = content_length if isinstance(content_length, list) else [content_length]
    head = (b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + auth +
            b"\r\nContent-Type: " + FORM.encode() + b"\r\n" +
            b"".join(b"Content-Length: " + v.encode() + b"\r\n" for v in lengths) + b"Connection: close\r\n\r\n")
    raw = server.raw_http(head + body)
    status = int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0
    return status, raw


def test_declared_length_over_the_cap_is_413_before_reading(server, client):
    status, raw = _raw_request(server, client, b"grant_type=client_credentials", "99999999")
    assert status == 413, raw[:200]


def test_body_shorter_than_content_length_is_400(server, client):
    status, raw = _raw_request(server, client, b"grant_type=client_credentials", "100")
    assert status == 400, raw[:300]
    assert b'"invalid_request"' in raw


@pytest.mark.parametrize("lengths", [["29", "30"], ["abc"], ["-1"]], ids=["two-lengths", "not-a-number", "negative"])
def test_malformed_content_length_is_400(server, client, lengths):
    status, raw = _raw_request(server, client, b"grant_type=client_credentials", lengths)
    assert status == 400, raw[:200]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_8000_small_parameters_under_the_byte_cap_are_invalid_request(server, client, endpoint):
    """At most 64 form parameters are parsed, whatever the body size: thousands of tiny ones are
    refused, not parsed."""
    body = body_for(endpoint, client) + b"&" + b"&".join(b"p%d=" % i for i in range(8000))
    assert len(body) < CAP
    body_json = assert_oauth_error(post_raw(server, endpoint, body, client), 400, "invalid_request")
    assert body_json["error_description"] == "too many parameters (at most 64)"


def test_64_parameters_are_accepted(server, client):
    body = b"grant_type=client_credentials&" + b"&".join(b"p%d=" % i for i in range(63))
    resp = post_raw(server, "/token", body, client)
    assert resp.status_code == 200, resp.text


def test_oversized_client_id_in_basic_is_401(server):
    resp = server.post("/token", {"grant_type": "client_credentials"}, auth=("c" * 10_000, "x" * 40))
    assert_oauth_error(resp, 401, "invalid_client")


HEAD_CAP = 16 * 1024
HEAD_TOO_LARGE = "the request headers are larger than 16384 bytes or more than 100 fields"


def _assert_431(resp):
    body = assert_oauth_error(resp, 431, "invalid_request", basic_challenge=False)
    assert body["error_description"] == HEAD_TOO_LARGE
    assert resp.headers["Connection"] == "close"


@pytest.mark.parametrize("size", [HEAD_CAP + 1, CAP, 1_000_000], ids=["16-kib-plus-one", "64-kib", "1-mb"])
def test_oversized_header_is_431(server, client, size):
    """A request head over 16 KiB is answered 431 (RFC 6585 §5) before routing."""
    resp = requests.post(server.url + "/token", data={"grant_type": "client_credentials"}, auth=client.auth,
                         headers={"X-Big": "a" * size}, timeout=15)
    _assert_431(resp)


def test_many_small_headers_over_the_total_are_431(server):
    headers = {f"X-Pad-{i}": "a" * 200 for i in range(90)}
    _assert_431(requests.get(server.url + "/healthz", headers=headers, timeout=15))


def test_more_than_100_header_fields_are_431(server):
    headers = {f"X-H{i}": "1" for i in range(101)}
    _assert_431(requests.get(server.url + "/healthz", headers=headers, timeout=15))


def test_header_just_under_the_cap_is_served(server, client):
    resp = requests.post(server.url + "/token", data={"grant_type": "client_credentials"}, auth=client.auth,
                         headers={"X-Big": "a" * (HEAD_CAP - 1024)}, timeout=15)
    assert resp.status_code == 200, resp.text


def test_connection_refused_at_431_serves_nothing_after(server):
    """The oversized head is discarded: a request pipelined behind it on the same connection is
    not answered (the connection is closed after the 431)."""
    raw = server.raw_http(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * CAP + b"\r\n\r\n"
                          b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), raw[:200]
    assert raw.count(b"HTTP/1.1 ") == 1, raw


def _rejected(server, reason):
    text = server.get("/metrics").text
    line = f'countersign_http_rejected_total{{reason="{reason}"}} '
    return float(next(l for l in text.splitlines() if l.startswith(line))[len(line):])


def test_heads_refused_before_routing_are_counted_in_metrics(server):
    """/metrics counts what never reaches the router: a 431 and an unparsable request, each once
    per connection, however much of it arrives."""
    too_large, malformed = _rejected(server, "request_head_too_large"), _rejected(server, "malformed_request")
    raw = server.raw_http(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * CAP + b"\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 431 "), raw[:100]
    raw = server.raw_http(b"NOT HTTP AT ALL\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400 "), raw[:100]
    assert _rejected(server, "request_head_too_large") == too_large + 1
    assert _rejected(server, "malformed_request") == malformed + 1


# ---------------------------------------------------------------------------------------------
# Slow bodies cannot hold a connection (docs/threat_model.md, "Brute force and slow clients")

BODY_TIMEOUT = 3  # seconds; the default is 10, shortened here through COUNTERSIGN_BODY_TIMEOUT


@pytest.fixture(scope="module")
def slow_world(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("slow") / "data", env={"COUNTERSIGN_BODY_TIMEOUT": str(BODY_TIMEOUT)})
    yield srv, srv.create_client()
    srv.stop()
    srv.kill()


def _drip(server, client, body: bytes, chunks: list[bytes], pause: float, extra: bytes = b"") -> tuple[bytes, int]:
    """POSTs BODY to /token as CLIENT, sending CHUNKS PAUSE seconds apart while reading the answer.
    Returns everything read until the server closed, and how many body bytes were sent by then."""
    auth = base64.b64encode(f"{client.id}:{client.secret}".encode())
    head = (f"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + b"Authorization: Basic " + auth + b"\r\n" + extra + b"\r\n"
    return _send_dripping(server, head, chunks, pause)


def _send_dripping(server, head: bytes, chunks: list[bytes], pause: float) -> tuple[bytes, int]:
    """Sends HEAD, then CHUNKS PAUSE seconds apart, while reading the answer on this thread.
    Returns what was read until the server closed, and the body bytes sent by then."""
    sent = [0]
    done = threading.Event()
    with socket.create_connection(server.host_port, timeout=30) as s:
        s.sendall(head)

        def sender():
            try:
                for chunk in chunks:
                    if done.wait(pause):
                        return
                    s.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                pass  # the server closed the connection

        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        finally:
            done.set()
            thread.join(timeout=5)
    return out, sent[0]


def test_body_dripped_one_byte_a_second_is_408_and_closed(slow_world):
    server, client = slow_world
    body = b"grant_type=client_credentials"
    raw, sent = _drip(server, client, body, [bytes([b]) for b in body], pause=1.0)
    assert raw.startswith(b"HTTP/1.1 408 "), raw[:200]
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"\r\nconnection: close\r\n" in head.lower() + b"\r\n", head
    assert json.loads(payload) == {"error": "invalid_request", "error_description": "the request body took too long"}
    # Answered at the deadline, long before the body was complete; recv saw the close.
    assert sent < len(body), sent


def test_body_that_stops_arriving_is_408_at_the_deadline(slow_world):
    """A body that stops halfway is answered 408 at the body deadline, as the README promises; the
    30 s idle timeout would close the connection without a word."""
    server, client = slow_world
    body = b"grant_type=client_credentials"
    auth = base64.b64encode(f"{client.id}:{client.secret}".encode())
    head = (f"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n").encode() + b"Authorization: Basic " + auth + b"\r\n\r\n"
    with socket.create_connection(server.host_port, timeout=BODY_TIMEOUT + 7) as s:
        s.sendall(head + body[:10])  # then nothing more, and the connection stays open
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    assert raw.startswith(b"HTTP/1.1 408 "), raw[:200]
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert b"\r\nconnection: close\r\n" in head.lower() + b"\r\n", head
    assert json.loads(payload) == {"error": "invalid_request", "error_description": "the request body took too long"}


def test_body_that_arrives_slowly_within_the_deadline_is_served(slow_world):
    server, client = slow_world
    body = b"grant_type=client_credentials"
    raw, sent = _drip(server, client, body, [body[:10], body[10:]], pause=1.0, extra=b"Connection: close\r\n")
    assert sent == len(body)
    assert raw.startswith(b"HTTP/1.1 200 "), raw[:300]
    assert b'"access_token"' in raw


# ---------------------------------------------------------------------------------------------
# Content type and method


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x", None,
                                          "application/x-www-form-urlencodedx"])
def test_wrong_content_type_is_invalid_request(server, client, endpoint, content_type):
    body = body_for(endpoint, client)
    if content_type == "application/json":
        body = b'{"grant_type":"client_credentials","token":"x"}'
    resp = post_raw(server, endpoint, body, client, content_type=content_type)
    assert_oauth_error(resp, 400, "invalid_request", basic_challenge=False)


def test_form_content_type_with_charset_is_accepted(server, client):
    resp = post_raw(server, "/token", b"grant_type=client_credentials", client, content_type=FORM + "; charset=UTF-8")
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_methods_other_than_post_are_405(server, endpoint, method):
    resp = requests.request(method, server.url + endpoint, timeout=15)
    assert resp.status_code == 405, resp.status_code
    assert "POST" in resp.headers.get("Allow", "")


# ---------------------------------------------------------------------------------------------
# Parameter syntax: no repeated parameter, no bracket names (RFC 6749 §3.1)


DUPLICATES = [
    ("/token", b"grant_type=client_credentials&grant_type=client_credentials"),
    ("/token", b"grant_type=client_credentials&scope=read&scope=write"),
    ("/token", b"grant_type=client_credentials&scope=read&scope=read"),
    ("/token", b"grant_type=client_credentials&resource=https://a.example/&resource=https://a.example/"),
    ("/token", b"grant_type=client_credentials&grant%5Ftype=client_credentials"),
    ("/token", b"grant_type=client_credentials&scope=&scope=read"),
    ("/introspect", b"token=a&token=b"),
    ("/introspect", b"token=a&token_type_hint=access_token&token_type_hint=access_token"),
    ("/revoke", b"token=a&token=a"),
    ("/revoke", b"token=a&token_type_hint=access_token&token_type_hint=refresh_token"),
]


@pytest.mark.parametrize("endpoint,body", DUPLICATES, ids=[f"{e}:{b.decode()[:60]}" for e, b in DUPLICATES])
def test_repeated_parameter_is_invalid_request(server, client, endpoint, body):
    assert_oauth_error(post_raw(server, endpoint, body, client), 400, "invalid_request", basic_challenge=False)


def test_repeated_credentials_in_body_are_invalid_request(server, client):
    body = urllib.parse.urlencode([("grant_type", "client_credentials"), ("client_id", client.id),
                                   ("client_id", client.id), ("client_secret", client.secret)]).encode()
    assert_oauth_error(post_raw(server, "/token", body), 400, "invalid_request", basic_challenge=False)
    body = urllib.parse.urlencode([("grant_type", "client_credentials"), ("client_id", client.id),
                                   ("client_secret", client.secret), ("client_secret", client.secret)]).encode()
    assert_oauth_error(post_raw(server, "/token", body), 400, "invalid_request", basic_challenge=False)


@pytest.mark.parametrize("body", [b"grant_type=client_credentials&scope[]=read",
                                  b"grant_type=client_credentials&scope%5B%5D=read",
                                  b"grant_type=client_credentials&client_id[a]=b",
                                  b"grant_type[]=client_credentials",
                                  b"grant_type=client_credentials&a[b][c]=d"])
def test_bracket_parameter_names_are_invalid_request(server, client, body):
    assert_oauth_error(post_raw(server, "/token", body, client), 400, "invalid_request", basic_challenge=False)


def test_empty_pairs_and_valueless_names_are_tolerated(server, client):
    resp = post_raw(server, "/token", b"&&grant_type=client_credentials&&scope=read&", client)
    assert resp.status_code == 200 and resp.json()["scope"] == "read", resp.text


def test_plus_is_a_space(server, client):
    resp = post_raw(server, "/token", b"grant_type=client_credentials&scope=read+write", client)
    assert resp.status_code == 200 and sorted(resp.json()["scope"].split()) == ["read", "write"], resp.text


# ---------------------------------------------------------------------------------------------
# Encoding: bad percent-escapes, invalid UTF-8 and control characters are refused


BAD_VALUES = {
    "pct-FF": b"%FF%FE",
    "raw-FF": b"\xff\xfe",
    "NUL": b"read%00",
    "LF": b"read%0A",
    "CR": b"read%0D",
    "TAB": b"read%09",
    "DEL": b"read%7F",
    "ESC": b"%1Bread",
    "overlong-slash": b"read%C0%AF",
    "lone-surrogate": b"%ED%A0%80",
    "truncated-utf8": b"read%E2%82",
    "bad-percent": b"re%2",
    "bad-percent-hex": b"re%zz",
}


@pytest.mark.parametrize("name", list(BAD_VALUES))
def test_invalid_utf8_or_control_characters_in_scope_are_invalid_request(server, client, name):
    body = b"grant_type=client_credentials&scope=" + BAD_VALUES[name]
    assert_oauth_error(post_raw(server, "/token", body, client), 400, "invalid_request", basic_challenge=False)


@pytest.mark.parametrize("name", ["pct-FF", "NUL", "LF", "overlong-slash"])
@pytest.mark.parametrize("field", ["grant_type", "client_id", "client_secret", "unknown_param"])
def test_invalid_bytes_in_any_token_parameter_are_invalid_request(server, client, name, field):
    values = {"grant_type": b"client_credentials", "client_id": client.id.encode(),
              "client_secret": client.secret.encode()}
    values[field] = values.get(field, b"x") + BAD_VALUES[name]
    body = b"&".join(k.encode() + b"=" + v for k, v in values.items())
    assert_oauth_error(post_raw(server, "/token", body), 400, "invalid_request", basic_challenge=False)


@pytest.mark.parametrize("endpoint", ["/introspect", "/revoke"])
@pytest.mark.parametrize("name", ["pct-FF", "NUL", "LF", "lone-surrogate"])
def test_invalid_bytes_in_token_parameter_are_invalid_request(server, client, endpoint, name):
    body = b"token=abc" + BAD_VALUES[name]
    assert_oauth_error(post_raw(server, endpoint, body, client), 400, "invalid_request", basic_challenge=False)


def test_non_ascii_but_valid_utf8_is_not_a_parse_error(server, client):
    """café is well-formed UTF-8: the answer is about the scope, not the encoding."""
    resp = post_raw(server, "/token", b"grant_type=client_credentials&scope=caf%C3%A9", client)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope", resp.text


def _drip_to(server, method: str, path: str, body: bytes, pause: float) -> tuple[bytes, int]:
    """Sends METHOD PATH with a declared body, then drips it a byte per PAUSE seconds while reading."""
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return _send_dripping(server, head, [bytes([b]) for b in body], pause)


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/healthz", 200),
    ("GET", "/no-such-endpoint", 404),
    ("GET", "/token", 405),
    ("POST", "/api/v1/approval-requests/some-id/approve", 401),
])
def test_a_body_no_route_reads_ends_the_connection_after_the_answer(server, method, path, status):
    """A body dripped at a route that never reads it cannot hold the connection: the
    answer comes at once and the connection closes, long before the body is complete: the
    close ends the read while bytes of the body are still to be sent."""
    body = b"x" * 40
    raw, sent = _drip_to(server, method, path, body, pause=1.0)
    assert raw.startswith(f"HTTP/1.1 {status} ".encode()), raw[:200]
    assert b"\r\nconnection: close\r\n" in raw.split(b"\r\n\r\n")[0].lower() + b"\r\n"
    assert sent < len(body), sent
