"""Helpers shared by the end-to-end tests: the real `countersign` binary, driven over real HTTP.

Nothing here imports Countersign code. The JWT checks use joserfc, the audit-chain checks
recompute SHA-256 over RFC 8785 canonical JSON in Python, and the "insider" helpers re-derive
the server's keys from DATA_DIR/server.key with `cryptography` so that tests can mint tokens
that are correctly signed but carry bad claims (expired, wrong issuer, ...), the only way to
reach the claim checks that sit behind the signature check.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("COUNTERSIGN_BIN", REPO / ".build" / "debug" / "countersign"))
SOURCE_BIN = BIN  # conftest runs a private copy of BIN; this stays the path it was copied from
# The peers' protocol probe, an optional extra beside the repository (../shared/peers), or where
# COUNTERSIGN_PEERS_DIR says.
PEER_CHECK = Path(os.environ.get("COUNTERSIGN_PEERS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "peers") / "check.py"

FORM = "application/x-www-form-urlencoded"
LISTENING = "countersign listening on "
START_TIMEOUT = 30.0
HTTP_TIMEOUT = 15.0
# How long a wait allows for an event that must come: far beyond any bound the server promises,
# so that only an event that never comes fails the wait, never a slow machine. Tests assert on
# what happens, not on how soon.
EVENTUALLY = 30.0

_ids = itertools.count(1)


def uid(prefix: str = "c") -> str:
    """A client id unique within this test run."""
    return f"{prefix}-{os.getpid()}-{next(_ids)}"


def new_secret() -> str:
    """A client secret of 44 URL-safe characters (the CLI wants at least 32); it starts with a
    letter so that it can never be mistaken for a command-line option."""
    return "s" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


# --------------------------------------------------------------------------------------------
# Process control


def run_cli(*args: str, data_dir: Path | str | None = None, check: bool = False,
            timeout: float = 30.0, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs `countersign ARGS [--data-dir DIR]` and returns the completed process (text mode)."""
    cmd = [str(BIN), *args]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


@dataclass
class Client:
    id: str
    secret: str | None
    scope: str = ""
    resources: tuple[str, ...] = ()

    @property
    def auth(self) -> tuple[str, str]:
        return (self.id, self.secret or "")


@dataclass
class Server:
    """One `countersign serve` process on a free loopback port."""

    data_dir: Path
    args: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)
    log_level: str | None = None
    proc: subprocess.Popen | None = None
    url: str | None = None
    stdout_lines: list[str] = field(default_factory=list)
    stderr_path: Path | None = None
    # Everything secret this server has seen, so tests can grep logs and exports for it.
    minted_tokens: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> "Server":
        self.data_dir = Path(self.data_dir)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.stderr_path = self.data_dir.parent / f"{self.data_dir.name}.stderr.log"
        cmd = [str(BIN), "serve", "--data-dir", str(self.data_dir), "--port", "0", *self.args]
        if self.log_level:
            cmd += ["--log-level", self.log_level]
        stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1,
                                     env={**os.environ, **self.env})
        stderr.close()
        lines: queue.Queue = queue.Queue()

        def pump(stream, sink):
            for line in stream:
                self.stdout_lines.append(line)
                sink.put(line)
            sink.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError(f"no '{LISTENING}' line within {START_TIMEOUT}s; stderr:\n{self.stderr_text()}")
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=10)
                raise AssertionError(f"serve exited with {rc} before listening; stderr:\n{self.stderr_text()}")
            if line.startswith(LISTENING):
                self.url = line[len(LISTENING):].strip()
                return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Sends SIG and waits for the exit status (kills after TIMEOUT)."""
        if self.proc is None:
            raise AssertionError("server was never started")
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"server did not exit within {timeout}s of signal {sig}")
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def signal(self, sig: int) -> None:
        assert self.proc is not None and self.proc.poll() is None, "server is not running"
        self.proc.send_signal(sig)

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path and self.stderr_path.exists() else ""

    # -- admin CLI --------------------------------------------------------------------------
    def cli(self, *args: str, check: bool = False, **kw) -> subprocess.CompletedProcess:
        return run_cli(*args, data_dir=self.data_dir, check=check, **kw)

    def create_client(self, scope: str | None = "read write", resources: tuple[str, ...] = (),
                      secret: str | None = None, client_id: str | None = None,
                      grant_types: tuple[str, ...] = ("client_credentials",), extra: tuple[str, ...] = ()) -> Client:
        """Registers a confidential client with the CLI and returns its credentials (`extra`: more
        `client create` arguments)."""
        cid = client_id or uid()
        secret = secret or new_secret()
        args = ["client", "create", "--id", cid, f"--secret={secret}"]
        for g in grant_types:
            args += ["--grant-type", g]
        if scope is not None:
            args += ["--scope", scope]
        for r in resources:
            args += ["--resource", r]
        self.cli(*args, *extra, check=True)
        self.secrets.append(secret)
        return Client(cid, secret, scope or "", tuple(resources))

    # -- HTTP -------------------------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.url

    @property
    def host_port(self) -> tuple[str, int]:
        netloc = urllib.parse.urlsplit(self.url).netloc
        host, port = netloc.rsplit(":", 1)
        return host, int(port)

    def status(self) -> str:
        """A description of the process, for failure messages."""
        rc = self.proc.poll() if self.proc else None
        state = "running" if rc is None else f"EXITED with status {rc}"
        return f"server pid {self.proc.pid if self.proc else '-'} {state}; stderr tail:\n{self.stderr_text()[-2000:]}"

    def _send(self, method: str, url: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        try:
            return requests.request(method, url, **kw)
        except requests.ConnectionError as e:
            raise AssertionError(f"{method} {url} failed: {e}\n{self.status()}") from e

    def get(self, path: str, **kw) -> requests.Response:
        return self._send("GET", self.url + path, **kw)

    def post(self, path: str, form=None, *, body: bytes | None = None, auth: tuple[str, str] | None = None,
             content_type: str | None = FORM, headers: dict | None = None) -> requests.Response:
        """POSTs FORM (a dict or a list of pairs, duplicates allowed) or raw BODY bytes.

        AUTH is sent as client_secret_basic, form-urlencoding id and secret first (RFC 6749 §2.3.1).
        """
        h = {}
        if content_type is not None:
            h["Content-Type"] = content_type
        if auth is not None:
            h["Authorization"] = basic(*auth)
        h.update(headers or {})
        if body is None:
            body = urllib.parse.urlencode(form or {}).encode()
        return self._send("POST", self.url + path, data=body, headers=h)

    def token_request(self, client: Client | None, form=None, *, method: str = "basic", **kw) -> requests.Response:
        form = pairs(form if form is not None else {"grant_type": "client_credentials"})
        auth = None
        if client is not None:
            if method == "basic":
                auth = client.auth
            elif method == "post":
                form = form + [("client_id", client.id), ("client_secret", client.secret or "")]
            elif method == "none":
                form = form + [("client_id", client.id)]
        resp = self.post("/token", form, auth=auth, **kw)
        if resp.status_code == 200:
            tok = resp.json().get("access_token")
            if tok:
                self.minted_tokens.append(tok)
        return resp

    def access_token(self, client: Client, **params) -> str:
        resp = self.token_request(client, {"grant_type": "client_credentials", **params})
        assert resp.status_code == 200, f"token request failed: {resp.status_code} {resp.text}"
        return resp.json()["access_token"]

    def introspect(self, client: Client | None, token: str, **params) -> requests.Response:
        return self.post("/introspect", {"token": token, **params}, auth=client.auth if client else None)

    def revoke(self, client: Client | None, token: str, **params) -> requests.Response:
        return self.post("/revoke", {"token": token, **params}, auth=client.auth if client else None)

    def jwks(self) -> dict:
        resp = self.get("/jwks.json")
        assert resp.status_code == 200, resp.text
        return resp.json()

    def metadata(self) -> dict:
        resp = self.get("/.well-known/oauth-authorization-server")
        assert resp.status_code == 200, resp.text
        return resp.json()

    def raw_http(self, request: bytes, timeout: float = 10.0) -> bytes:
        """Sends bytes on a fresh TCP connection, half-closes, returns everything read back."""
        with socket.create_connection(self.host_port, timeout=timeout) as s:
            s.sendall(request)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return out
                out += chunk

    # -- audit ------------------------------------------------------------------------------
    def audit_events(self, *extra: str) -> list[dict]:
        proc = self.cli("audit", "export", *extra, check=True)
        return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def start_server(data_dir: Path, *args: str, log_level: str | None = None, env: dict | None = None) -> Server:
    return Server(Path(data_dir), tuple(args), env or {}, log_level).start()


# --------------------------------------------------------------------------------------------
# Wire helpers


def pairs(form) -> list[tuple[str, str]]:
    """A dict or an iterable of pairs as a list of pairs (a list keeps duplicates)."""
    return list(form.items()) if isinstance(form, dict) else list(form)


def basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode both halves, then base64 of id:secret."""
    pair = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict, dict, bytes]:
    """Header, claims and signature of a compact JWS, NOT verified (for inspection only)."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s)


def compact(header: dict | bytes, claims: dict | bytes, signature: bytes) -> str:
    enc = lambda v: b64url(v if isinstance(v, bytes) else json.dumps(v, separators=(",", ":")).encode())  # noqa: E731
    return f"{enc(header)}.{enc(claims)}.{b64url(signature)}"


UNSAFE_IN_DESCRIPTION = set('"\\\r\n\t')


def assert_oauth_error(resp: requests.Response, status: int, error: str, *, basic_challenge: bool | None = None) -> dict:
    """RFC 6749 §5.2: exact status, JSON {error, error_description}, Cache-Control: no-store, and an
    error_description of printable ASCII without quote or backslash, the characters §5.2 allows."""
    assert resp.status_code == status, f"expected {status} {error}, got {resp.status_code} {resp.text!r}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert body.get("error") == error, f"expected error={error}, got {body!r}"
    desc = body.get("error_description")
    if desc is not None:
        assert isinstance(desc, str)
        bad = [c for c in desc if c in UNSAFE_IN_DESCRIPTION or not (0x20 <= ord(c) <= 0x7E)]
        assert not bad, f"error_description has characters RFC 6749 §5.2 forbids: {bad!r} in {desc!r}"
    assert "no-store" in resp.headers.get("Cache-Control", ""), f"missing Cache-Control: no-store: {resp.headers}"
    if basic_challenge is None:
        basic_challenge = status == 401
    if basic_challenge:
        assert resp.headers.get("WWW-Authenticate", "").lower().startswith("basic"), resp.headers
    return body


def wait_until(predicate, timeout: float = EVENTUALLY, interval: float = 0.05, what: str = "condition"):
    """Polls PREDICATE until it returns something truthy (returned) or TIMEOUT passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value {value!r})")
        time.sleep(interval)


def wait_for_response(send, accept, timeout: float = EVENTUALLY, interval: float = 0.05, what: str = "response"):
    """Repeats SEND() until ACCEPT(response) holds; returns that response (requests.Response is
    falsy for 4xx, so wait_until cannot be used for error responses)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = send()
        if accept(resp):
            return resp
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {resp.status_code} {resp.text[:200]}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Audit chain, recomputed independently (RFC 8785 canonical JSON + SHA-256)


def canonical_json(value) -> bytes:
    """RFC 8785 for the values the audit log holds (ASCII member names, integers, strings):
    sorted members, no whitespace, minimal string escaping, raw UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event: dict) -> str:
    hashed = {k: event[k] for k in ("seq", "time", "type", "actor", "data", "prev_hash")}
    return hashlib.sha256(canonical_json(hashed)).hexdigest()


GENESIS = "0" * 64


def drop_append_only_triggers(db: sqlite3.Connection) -> None:
    db.execute("DROP TRIGGER IF EXISTS audit_events_append_only_update")
    db.execute("DROP TRIGGER IF EXISTS audit_events_append_only_delete")


# --------------------------------------------------------------------------------------------
# Insider keys: re-derived from DATA_DIR/server.key exactly as the data directory documents them
# (HKDF-SHA-256, salt "countersign", info = purpose; signing keys sealed with AES-GCM).


def server_subkey(data_dir: Path, purpose: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    root = b64url_decode((Path(data_dir) / "server.key").read_text().strip())
    return HKDF(hashes.SHA256(), 32, b"countersign", purpose.encode()).derive(root)


def server_signing_key(data_dir: Path, kid: str):
    """The server's own private signing key for KID, as a joserfc ECKey."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from joserfc.jwk import ECKey

    with sqlite3.connect(Path(data_dir) / "countersign.sqlite") as db:
        row = db.execute("SELECT private_key FROM signing_keys WHERE kid = ?", (kid,)).fetchone()
    assert row, f"no signing key {kid} in the database"
    sealed = b64url_decode(row[0])
    raw = AESGCM(server_subkey(data_dir, "signing-key-encryption")).decrypt(
        sealed[:12], sealed[12:], f"countersign signing key {kid}".encode())
    private = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    return ECKey.import_key(private, parameters={"kid": kid})


def audit_head_signature(data_dir: Path, seq: int, hash_: str, time_: int) -> str:
    message = canonical_json({"purpose": "countersign audit head", "seq": seq, "hash": hash_, "time": time_})
    return hmac.new(server_subkey(data_dir, "audit-head"), message, hashlib.sha256).hexdigest()
