"""Access tokens checked by an independent JOSE library (joserfc), and forged tokens refused.
RFC 9068 (JWT access tokens), RFC 7515/7517/7518, RFC 8725 (JWT BCP).

Forgeries are presented to POST /introspect by the client the token claims to belong to; the
only acceptable answer is exactly {"active": false}. "Insider" forgeries are signed with the
server's real key (re-derived from the data directory) so that they reach the claim checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet

from support import b64url, b64url_decode, compact, jwt_parts, server_signing_key

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def keyset(server) -> KeySet:
    return KeySet.import_key_set(server.jwks())


@pytest.fixture(scope="module")
def tokens(server, client) -> list[str]:
    return [server.access_token(client) for _ in range(50)]


@pytest.fixture(scope="module")
def kid(server, client) -> str:
    return jwt_parts(server.access_token(client))[0]["kid"]


@pytest.fixture(scope="module")
def insider_key(server, kid) -> ECKey:
    return server_signing_key(server.data_dir, kid)


def verify(token: str, keyset: KeySet):
    """Signature check with ES256 only (no algorithm is taken from the token)."""
    return jwt.decode(token, keyset, algorithms=["ES256"])


def assert_inactive(server, client, token: str):
    resp = server.introspect(client, token)
    assert resp.status_code == 200, resp.text
    assert resp.json() == INACTIVE, f"forged token accepted: {resp.json()}"


# ---------------------------------------------------------------------------------------------
# Tokens the server mints, verified independently


def test_jwks_holds_only_public_es256_keys(server):
    keys = server.jwks()["keys"]
    assert keys, "empty JWKS"
    assert len({k["kid"] for k in keys}) == len(keys), "duplicate kid in JWKS"
    for k in keys:
        assert (k["kty"], k["crv"], k["alg"]) == ("EC", "P-256", "ES256"), k
        assert k.get("use", "sig") == "sig"
        assert not {"d", "p", "q", "k"} & set(k), f"private material published: {sorted(k)}"


def test_fifty_tokens_verify_independently(server, client, tokens, keyset):
    meta = server.metadata()
    issuer = meta["issuer"]
    assert issuer == server.url
    now = int(time.time())
    jtis = set()
    published = {k["kid"] for k in server.jwks()["keys"]}
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": issuer}, aud={"essential": True, "value": issuer},
        sub={"essential": True, "value": client.id}, exp={"essential": True}, iat={"essential": True},
        jti={"essential": True}, leeway=5)
    for tok in tokens:
        decoded = verify(tok, keyset)
        h, c = decoded.header, decoded.claims
        assert h["alg"] == "ES256"
        assert h["typ"] == "at+jwt"  # RFC 9068 §2.1
        assert h["kid"] in published
        assert not {"jwk", "jku", "x5u", "x5c", "crit"} & set(h)
        registry.validate(c)
        assert c["client_id"] == client.id
        assert sorted(c["scope"].split()) == ["read", "write"]
        assert isinstance(c["iat"], int) and isinstance(c["exp"], int)
        assert c["exp"] - c["iat"] == 300
        assert abs(c["iat"] - now) <= 60
        assert isinstance(c["jti"], str) and len(c["jti"]) >= 16
        jtis.add(c["jti"])
    assert len(jtis) == len(tokens), "jti repeated across tokens"


def test_resource_token_audience_is_the_resource(server, client, resource_server, keyset):
    uri = resource_server.resources[0]
    tok = server.access_token(client, resource=uri)
    claims = verify(tok, keyset).claims
    jwt.JWTClaimsRegistry(aud={"essential": True, "value": uri}, iss={"essential": True, "value": server.url}).validate(claims)


def test_signature_check_is_real(server, client, keyset):
    """A sanity check of the verifier itself: one flipped signature bit fails joserfc too."""
    h, p, s = server.access_token(client).split(".")
    sig = bytearray(b64url_decode(s))
    sig[10] ^= 1
    with pytest.raises(Exception):
        verify(f"{h}.{p}.{b64url(bytes(sig))}", keyset)


# ---------------------------------------------------------------------------------------------
# Forgeries without the server's key (RFC 8725 §3.1-3.2)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
@pytest.mark.parametrize("sig", ["empty", "original"])
def test_alg_none_is_inactive(server, client, alg, sig):
    tok = server.access_token(client)
    h, c, s = jwt_parts(tok)
    forged = compact({**h, "alg": alg}, c, b"" if sig == "empty" else s)
    assert_inactive(server, client, forged)


def _public_key_encodings(server, kid: str) -> dict[str, bytes]:
    jwk = next(k for k in server.jwks()["keys"] if k["kid"] == kid)
    pub = ECKey.import_key(jwk).public_key
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "pem": pem,
        "pem-stripped": pem.strip(),
        "der": pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
        "x962": pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),
        "jwk-json": json.dumps(jwk).encode(),
        "jwk-json-compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "x-coordinate": b64url_decode(jwk["x"]),
    }


@pytest.mark.parametrize("encoding", ["pem", "pem-stripped", "der", "x962", "jwk-json", "jwk-json-compact", "x-coordinate"])
@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_hmac_keyed_with_our_public_key_is_inactive(server, client, kid, encoding, alg):
    """CVE-2015-9235 / CVE-2024-37568: algorithm confusion with the published key as HMAC secret."""
    secret = _public_key_encodings(server, kid)[encoding]
    h, c, _ = jwt_parts(server.access_token(client))
    header = {**h, "alg": alg}
    signing_input = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(json.dumps(c, separators=(',', ':')).encode())}"
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    sig = hmac.new(secret, signing_input.encode(), digest).digest()
    assert_inactive(server, client, f"{signing_input}.{b64url(sig)}")


@pytest.mark.parametrize("change", ["scope", "sub", "client_id", "exp", "aud", "jti"])
def test_tampered_payload_is_inactive(server, client, other_client, change):
    tok = server.access_token(client, scope="read")
    h, c, s = jwt_parts(tok)
    new_value = {"scope": "read write admin", "sub": other_client.id, "client_id": other_client.id,
                 "exp": c["exp"] + 86400, "aud": "https://evil.example", "jti": c["jti"] + "x"}[change]
    payload = b64url(json.dumps({**c, change: new_value}, separators=(",", ":")).encode())
    forged = f"{tok.split('.')[0]}.{payload}.{b64url(s)}"
    assert_inactive(server, client, forged)
    assert server.introspect(client, tok).json()["active"] is True, "the untampered token must still be active"


def test_tampered_header_is_inactive(server, client):
    tok = server.access_token(client)
    _, p, s = tok.split(".")
    h = jwt_parts(tok)[0]
    forged = f"{b64url(json.dumps({**h, 'x': 1}, separators=(',', ':')).encode())}.{p}.{s}"
    assert_inactive(server, client, forged)


def _foreign_token(server, client, kid, **overrides) -> str:
    foreign = ECKey.generate_key("P-256")
    now = int(time.time())
    claims = {"iss": server.url, "sub": client.id, "aud": server.url, "client_id": client.id, "scope": "read",
              "iat": now, "exp": now + 300, "jti": "foreign-" + str(now), **overrides}
    return jwt.encode({"alg": "ES256", "kid": kid, "typ": "at+jwt"}, claims, foreign, algorithms=["ES256"], default_type=None)


def test_foreign_key_with_our_kid_is_inactive(server, client, kid):
    assert_inactive(server, client, _foreign_token(server, client, kid))


def test_foreign_key_with_our_kid_and_expired_is_inactive(server, client, kid):
    now = int(time.time())
    assert_inactive(server, client, _foreign_token(server, client, kid, iat=now - 900, exp=now - 600))


def test_embedded_jwk_is_never_trusted(server, client):
    """RFC 8725 §3.10 / CVE-2018-0114: the attacker's own key in the header."""
    foreign = ECKey.generate_key("P-256")
    now = int(time.time())
    claims = {"iss": server.url, "sub": client.id, "aud": server.url, "client_id": client.id,
              "iat": now, "exp": now + 300, "jti": "embedded-jwk"}
    for extra in ({"jwk": foreign.as_dict(private=False)}, {"jku": "http://127.0.0.1:1/jwks.json"},
                  {"jwk": foreign.as_dict(private=False), "kid": foreign.thumbprint()}):
        header = {"alg": "ES256", "typ": "at+jwt", **extra}
        assert_inactive(server, client, jwt.encode(header, claims, foreign, algorithms=["ES256"], default_type=None))


@pytest.mark.parametrize("bad_kid", ["../x", "' OR 1=1--", "k" * 10_000, "", None])
def test_odd_kid_is_a_plain_miss(server, client, bad_kid):
    h, c, s = jwt_parts(server.access_token(client))
    header = {**h, "kid": bad_kid} if bad_kid is not None else {k: v for k, v in h.items() if k != "kid"}
    assert_inactive(server, client, compact(header, c, s))


def test_ecdsa_zero_signature_is_inactive(server, client):
    """CVE-2022-21449 (psychic signatures): r = s = 0."""
    h, c, _ = jwt_parts(server.access_token(client))
    assert_inactive(server, client, compact(h, c, bytes(64)))


def test_ecdsa_s_plus_n_is_inactive(server, client):
    """s >= n must be refused, not reduced mod n (RFC 7518 §3.4 fixed 32-byte halves)."""
    tok = server.access_token(client)
    h, c, s = jwt_parts(tok)
    r_int, s_int = int.from_bytes(s[:32], "big"), int.from_bytes(s[32:], "big")
    for bad in (r_int.to_bytes(32, "big") + (s_int + P256_N).to_bytes(33, "big")[-32:] if s_int + P256_N < 2**256 else None,
                P256_N.to_bytes(32, "big") + s[32:],
                s[:32] + P256_N.to_bytes(32, "big")):
        if bad is None:
            continue
        forged = f"{tok.rsplit('.', 1)[0]}.{b64url(bad)}"
        assert_inactive(server, client, forged)


def test_der_encoded_signature_is_inactive(server, client):
    """RFC 7518 §3.4: the JWS signature is R||S (64 bytes), never DER."""
    tok = server.access_token(client)
    _, _, s = jwt_parts(tok)
    der = encode_dss_signature(int.from_bytes(s[:32], "big"), int.from_bytes(s[32:], "big"))
    assert decode_dss_signature(der)  # well-formed DER of the very same (valid) signature
    assert_inactive(server, client, f"{tok.rsplit('.', 1)[0]}.{b64url(der)}")


def test_high_s_twin_signature_is_refused_or_accepted_consistently(server, client):
    """(r, n-s) is the malleable twin of a valid ECDSA signature. JWS does not forbid it, so this
    only checks the server answers 200 with a boolean, never an error."""
    tok = server.access_token(client)
    _, _, s = jwt_parts(tok)
    twin = s[:32] + (P256_N - int.from_bytes(s[32:], "big")).to_bytes(32, "big")
    resp = server.introspect(client, f"{tok.rsplit('.', 1)[0]}.{b64url(twin)}")
    assert resp.status_code == 200 and isinstance(resp.json()["active"], bool)


@pytest.mark.parametrize("shape", ["four-segments", "two-segments", "json-serialization", "jwe-like", "padded-b64",
                                   "whitespace", "crit", "b64-false"])
def test_structural_oddities_are_inactive(server, client, shape):
    tok = server.access_token(client)
    hs, ps, ss = tok.split(".")
    h, c, s = jwt_parts(tok)
    forged = {
        "four-segments": f"{tok}.AAAA",
        "two-segments": f"{hs}.{ps}",
        "json-serialization": json.dumps({"protected": hs, "payload": ps, "signature": ss}),
        "jwe-like": f"{hs}..{ps}.{ss}.AAAA",
        "padded-b64": f"{hs}==.{ps}.{ss}",
        "whitespace": f" {tok} ",
        "crit": compact({**h, "crit": ["exp"]}, c, s),
        "b64-false": compact({**h, "b64": False, "crit": ["b64"]}, c, s),
    }[shape]
    assert_inactive(server, client, forged)


# ---------------------------------------------------------------------------------------------
# Insider forgeries: the server's real key, bad claims (RFC 9068 §4, RFC 7519 §4.1)


def _mint(server, key: ECKey, claims: dict, header: dict | None = None, raw_payload: bytes | None = None) -> str:
    hdr = {"alg": "ES256", "kid": key.kid, "typ": "at+jwt", **(header or {})}
    if raw_payload is None:
        return jwt.encode(hdr, claims, key, algorithms=["ES256"], default_type=None)
    return jws.serialize_compact(hdr, raw_payload, key, algorithms=["ES256"])


def _claims(server, client, **overrides) -> dict:
    now = int(time.time())
    base = {"iss": server.url, "sub": client.id, "aud": server.url, "client_id": client.id, "scope": "read",
            "iat": now, "exp": now + 300, "jti": f"insider-{time.monotonic_ns()}"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not ...}


def test_insider_control_token_is_active(server, client, insider_key):
    """Control: a well-formed token signed with the real key IS active, so every insider
    rejection below is a claim check, not a key-recovery mistake of this test."""
    resp = server.introspect(client, _mint(server, insider_key, _claims(server, client)))
    assert resp.json()["active"] is True, resp.text


@pytest.mark.parametrize("case", [
    "expired", "expired-by-one-second", "wrong-iss", "iss-with-trailing-slash", "no-iss", "iat-in-future",
    "exp-string", "exp-float", "exp-negative", "no-exp", "no-iat", "iat-string",
    "exp-year-10000", "nbf-in-future", "nbf-beyond-skew", "nbf-string", "nbf-float", "nbf-negative", "nbf-null",
])
def test_insider_bad_claims_are_inactive(server, client, insider_key, case):
    now = int(time.time())
    overrides = {
        "expired": dict(iat=now - 900, exp=now - 600),
        "expired-by-one-second": dict(iat=now - 301, exp=now - 1),
        "wrong-iss": dict(iss="https://evil.example"),
        "iss-with-trailing-slash": dict(iss=server.url + "/"),
        "no-iss": dict(iss=...),
        "iat-in-future": dict(iat=now + 3600, exp=now + 3900),
        "exp-string": dict(exp=str(now + 300)),
        "exp-float": dict(exp=now + 300.5),
        "exp-negative": dict(exp=-1),
        "exp-year-10000": dict(exp=253402300800),  # 10000-01-01T00:00:00Z
        "no-exp": dict(exp=...),
        "no-iat": dict(iat=...),
        "iat-string": dict(iat=str(now)),
        # RFC 7519 §4.1.5: nbf, when present, is an integer no later than now + 60 s skew.
        "nbf-in-future": dict(nbf=now + 3600),
        "nbf-beyond-skew": dict(nbf=now + 120),
        "nbf-string": dict(nbf=str(now - 10)),
        "nbf-float": dict(nbf=now - 10.5),
        "nbf-negative": dict(nbf=-1),
        "nbf-null": dict(nbf=None),
    }[case]
    assert_inactive(server, client, _mint(server, insider_key, _claims(server, client, **overrides)))


@pytest.mark.parametrize("offset", [-600, 0, 30], ids=["past", "now", "within-skew"])
def test_insider_integer_nbf_not_in_the_future_is_active(server, client, insider_key, offset):
    """Control for the nbf cases: the same token with an acceptable nbf is active."""
    tok = _mint(server, insider_key, _claims(server, client, nbf=int(time.time()) + offset))
    resp = server.introspect(client, tok)
    assert resp.json()["active"] is True, resp.text


@pytest.mark.parametrize("typ", ["JWT", "jwt", "at+JWT-x", "dpop+jwt", None])
def test_insider_wrong_typ_is_inactive(server, client, insider_key, typ):
    """RFC 9068 §4: typ must be at+jwt (or application/at+jwt), so an ID token or DPoP proof
    signed by the same key is never an access token."""
    header = {"typ": typ} if typ is not None else {}
    hdr = {"alg": "ES256", "kid": insider_key.kid, **header}
    tok = jwt.encode(hdr, _claims(server, client), insider_key, algorithms=["ES256"], default_type=None)
    assert_inactive(server, client, tok)


def test_insider_duplicate_claim_names_are_inactive(server, client, insider_key):
    """RFC 7519 §4 / CVE-2022-39227: {"iss": good, ..., "iss": evil} must not parse either way."""
    c = _claims(server, client)
    body = json.dumps(c, separators=(",", ":"))[:-1] + ',"iss":"https://evil.example"}'
    assert_inactive(server, client, _mint(server, insider_key, {}, raw_payload=body.encode()))
    body2 = json.dumps({**c, "iss": "https://evil.example"}, separators=(",", ":"))[:-1] + f',"iss":"{server.url}"}}'
    assert_inactive(server, client, _mint(server, insider_key, {}, raw_payload=body2.encode()))


def test_insider_duplicate_header_names_are_inactive(server, client, insider_key):
    """RFC 7515 §5.2: a header repeating a name ("typ":"JWT","typ":"at+jwt") is refused."""
    claims = json.dumps(_claims(server, client), separators=(",", ":")).encode()
    header_json = f'{{"alg":"ES256","kid":"{insider_key.kid}","typ":"JWT","typ":"at+jwt"}}'.encode()
    signing_input = f"{b64url(header_json)}.{b64url(claims)}".encode()
    r, s = decode_dss_signature(insider_key.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    tok = f"{signing_input.decode()}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    assert_inactive(server, client, tok)


def test_insider_payload_not_an_object_is_inactive(server, client, insider_key):
    for raw in (b"[]", b'"x"', b"null", b"{", json.dumps(_claims(server, client)).encode() + b"x"):
        assert_inactive(server, client, _mint(server, insider_key, {}, raw_payload=raw))


def test_insider_alg_other_than_the_keys_is_inactive(server, client, insider_key):
    """RFC 8725 §3.1: alg pinned per key; an ES256 signature labelled ES384/ES512 must not pass."""
    tok = _mint(server, insider_key, _claims(server, client))
    h, c, s = jwt_parts(tok)
    for alg in ("ES384", "ES512", "es256", "ES256K"):
        assert_inactive(server, client, compact({**h, "alg": alg}, c, s))
