"""A real identity-provider stand-in on loopback for the federation tests.

It serves an OpenID discovery document and a JWKS over real HTTP (a thread of the test process)
and signs ID/access tokens with real keys (RSA-2048 RS256/PS256, P-256 ES256, Ed25519) using
`cryptography`. Its behaviour can be switched to what a broken or hostile IdP does: answer slowly,
drip its body a byte a second, fail, redirect, send a huge body, rotate keys, name a jwks_uri
elsewhere in its discovery document; it counts every JWKS fetch so tests can check
Countersign's caching and refetch rate limit.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_bytes(n: int, length: int | None = None) -> bytes:
    length = length or (n.bit_length() + 7) // 8
    return n.to_bytes(length, "big")


class Key:
    """A signing key and its public JWK."""

    def __init__(self, kind: str, kid: str):
        self.kind, self.kid = kind, kid
        if kind == "RSA":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pub = self.private.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "kid": kid, "use": "sig", "n": b64url(_int_bytes(pub.n)), "e": b64url(_int_bytes(pub.e))}
        elif kind == "EC":
            self.private = ec.generate_private_key(ec.SECP256R1())
            pub = self.private.public_key().public_numbers()
            self.jwk = {"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
                        "x": b64url(_int_bytes(pub.x, 32)), "y": b64url(_int_bytes(pub.y, 32))}
        elif kind == "OKP":
            self.private = ed25519.Ed25519PrivateKey.generate()
            from cryptography.hazmat.primitives import serialization
            raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.jwk = {"kty": "OKP", "kid": kid, "use": "sig", "crv": "Ed25519", "x": b64url(raw)}
        else:
            raise ValueError(kind)

    def sign(self, alg: str, data: bytes) -> bytes:
        if alg == "RS256":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if alg == "PS256":
            return self.private.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        if alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
            return _int_bytes(r, 32) + _int_bytes(s, 32)
        if alg == "EdDSA":
            return self.private.sign(data)
        raise ValueError(alg)


DEFAULT_ALG = {"RSA": "RS256", "EC": "ES256", "OKP": "EdDSA"}


class IdP:
    """`IdP().start()`; `.issuer`, `.jwks_uri`, `.token(sub=..., **claims)`, `.stop()`."""

    def __init__(self, audience: str = "countersign"):
        self.audience = audience
        self.keys = [Key("RSA", "rsa-1"), Key("EC", "ec-1"), Key("OKP", "ed-1")]
        self.jwks_fetches = 0
        self.discovery_fetches = 0
        self.cache_control: str | None = "max-age=300"
        self.mode = "ok"  # ok | down | slow | drip | redirect | huge | garbage
        self.slow_seconds = 10.0
        # drip: the head at once, then a body of this many bytes (under Countersign's 512 KiB
        # limit, so Content-Length alone does not refuse it) at one byte a second.
        self.drip_bytes = 100_000
        # The jwks_uri the discovery document names (default: this IdP's own).
        self.discovery_jwks_uri: str | None = None
        self.stopped = threading.Event()
        self.drips_cut = 0  # drip answers the client hung up on
        self.redirect_to = "http://169.254.169.254/latest/meta-data/"
        self._lock = threading.Lock()
        idp = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _drip(self):
                """Headers at once, then one byte a second of a valid-looking JWKS, until the
                client hangs up or the IdP stops: every read succeeds just in time."""
                body = b'{"keys":[' + b" " * (idp.drip_bytes - 11) + b"]}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.flush()
                    for i in range(len(body)):
                        if idp.stopped.is_set():
                            break
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                        idp.stopped.wait(1.0)
                except (BrokenPipeError, ConnectionResetError):
                    with idp._lock:
                        idp.drips_cut += 1
                self.close_connection = True

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    with idp._lock:
                        idp.discovery_fetches += 1
                    jwks_uri = idp.discovery_jwks_uri or idp.jwks_uri
                    self._send(200, json.dumps({"issuer": idp.issuer, "jwks_uri": jwks_uri}).encode())
                elif self.path == "/jwks.json":
                    with idp._lock:
                        idp.jwks_fetches += 1
                    mode = idp.mode
                    if mode == "down":
                        self._send(500, b'{"error":"down"}')
                    elif mode == "slow":
                        time.sleep(idp.slow_seconds)
                        self._send(200, idp.jwks_bytes())
                    elif mode == "drip":
                        self._drip()
                    elif mode == "redirect":
                        self._send(302, b"", {"Location": idp.redirect_to})
                    elif mode == "huge":
                        self._send(200, b'{"keys":[' + b" " * (2 * 1024 * 1024) + b"]}")
                    elif mode == "garbage":
                        self._send(200, b"<html>not json</html>")
                    else:
                        headers = {"Cache-Control": idp.cache_control} if idp.cache_control else {}
                        self._send(200, idp.jwks_bytes(), headers)
                else:
                    self._send(404, b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.jwks_uri = self.issuer + "/jwks.json"

    def start(self) -> "IdP":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def jwks_bytes(self) -> bytes:
        return json.dumps({"keys": [k.jwk for k in self.keys]}).encode()

    def key(self, kid: str) -> Key:
        return next(k for k in self.keys if k.kid == kid)

    def rotate(self, kind: str = "RSA", kid: str = "rsa-2") -> Key:
        """Publishes a new key (and keeps the others)."""
        key = Key(kind, kid)
        self.keys.append(key)
        return key

    def claims(self, sub: str = "alice", **extra) -> dict:
        now = int(time.time())
        base = {"iss": self.issuer, "sub": sub, "aud": self.audience, "iat": now, "exp": now + 300}
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def token(self, sub: str = "alice", *, kid: str = "rsa-1", alg: str | None = None, header: dict | None = None,
              key: Key | None = None, **claims) -> str:
        """A token signed by one of this IdP's keys (or KEY), with CLAIMS over the defaults
        (a claim given as None is left out)."""
        key = key or self.key(kid)
        alg = alg or DEFAULT_ALG[key.kind]
        h = {"alg": alg, "typ": "JWT", "kid": key.kid}
        h.update(header or {})
        h = {k: v for k, v in h.items() if v is not None}
        signing_input = (b64url(json.dumps(h).encode()) + "." + b64url(json.dumps(self.claims(sub, **claims)).encode())).encode()
        return signing_input.decode() + "." + b64url(key.sign(alg, signing_input))

    @staticmethod
    def unsigned(header: dict, claims: dict, signature: bytes = b"") -> str:
        return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode()) + "." + b64url(signature)
