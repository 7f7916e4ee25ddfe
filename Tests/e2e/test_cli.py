"""The admin command line against a running server's data directory (the documented command line):
JSON with --json, errors on stderr with a non-zero exit status, no secret printed twice."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from support import Client, jwt_parts, new_secret, run_cli, uid, wait_for_response


def listed(server) -> dict[str, dict]:
    return {c["client_id"]: c for c in json.loads(server.cli("client", "list", "--json", check=True).stdout)}


def assert_cli_error(proc, *needles: str):
    assert proc.returncode != 0, f"expected failure, got 0: {proc.stdout}"
    assert proc.stderr.strip(), "error must be on stderr"
    for n in needles:
        assert n in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------------
# client create


def test_create_without_secret_prints_it_once_and_it_works(server):
    cid = uid("gen")
    proc = server.cli("client", "create", "--id", cid, "--grant-type", "client_credentials", "--scope", "read")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("client_secret: ")]
    assert len(lines) == 1, proc.stdout
    secret = lines[0].split(": ", 1)[1].strip()
    assert len(secret) >= 32
    server.secrets.append(secret)
    assert proc.stdout.count(secret) == 1
    assert secret not in server.cli("client", "list", "--json", check=True).stdout
    resp = server.token_request(Client(cid, secret))
    assert resp.status_code == 200, resp.text


def test_create_json_includes_generated_secret_and_fields(server):
    cid = uid("json")
    uri = f"https://{cid}.example.com/"
    proc = server.cli("client", "create", "--id", cid, "--grant-type", "client_credentials", "--scope", "read write",
                      "--resource", uri, "--json")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["client_id"] == cid
    assert obj["grant_types"] == ["client_credentials"]
    assert obj["scope"] == "read write"
    assert obj["resources"] == [uri]
    assert obj["public"] is False
    assert len(obj["client_secret"]) >= 32
    server.secrets.append(obj["client_secret"])
    tok = server.access_token(Client(cid, obj["client_secret"]), scope="write")
    assert jwt_parts(tok)[1]["scope"] == "write"


def test_create_with_given_secret_does_not_echo_it(server):
    cid, secret = uid("given"), new_secret()
    proc = server.cli("client", "create", "--id", cid, "--secret", secret, "--grant-type", "client_credentials")
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    server.secrets.append(secret)


def test_list_shows_clients_without_secrets(server, client):
    entries = listed(server)
    assert client.id in entries
    assert entries[client.id]["scope"] == "read write"
    text = server.cli("client", "list", check=True).stdout
    assert client.id in text
    for secret in server.secrets:
        assert secret not in text
    for entry in entries.values():
        assert not {"client_secret", "secret", "secret_hash"} & set(entry), sorted(entry)


@pytest.mark.parametrize("args,needle", [
    (["--secret", "short"], "32"),
    (["--secret", "x" * 31], "32"),
    (["--secret", "has space " + "x" * 32], "space"),
    (["--secret", "plus+" + "x" * 32], "must not contain '+' or '%'"),
    (["--secret", "percent%41" + "x" * 32], "must not contain '+' or '%'"),
    (["--secret", "caf\u00e9-" + "x" * 32], "printable ASCII"),
    (["--grant-type", "bogus"], "bogus"),
    (["--resource", "/relative"], "/relative"),
    (["--resource", "https://x.example/#frag"], ""),
    (["--public"], "confidential"),
], ids=["short-secret", "31-char-secret", "space-in-secret", "plus-in-secret", "percent-in-secret",
        "non-ascii-secret", "unknown-grant", "relative-resource",
        "fragment-resource", "public-client-credentials"])
def test_create_refuses_bad_input(server, args, needle):
    cid = uid("bad")
    cmd = ["client", "create", "--id", cid, *args]
    if "--grant-type" not in args:
        cmd += ["--grant-type", "client_credentials"]
    assert_cli_error(server.cli(*cmd), needle)
    assert cid not in listed(server)


@pytest.mark.parametrize("grant, message", [
    ("authorization_code", "the server does not serve grant type authorization_code yet; "
                           "use client_credentials, token-exchange or ciba"),
    ("refresh_token", "the server does not serve grant type refresh_token yet; "
                      "use client_credentials, token-exchange or ciba"),
    ("bogus", 'unknown grant type "bogus"; use client_credentials, token-exchange or ciba'),
])
def test_create_refuses_a_grant_the_server_does_not_serve(server, grant, message):
    """A client registered for a grant /token cannot serve would be refused at every request:
    the registration is refused instead, naming the grants that are served."""
    cid = uid("grant")
    proc = server.cli("client", "create", "--id", cid, "--grant-type", "client_credentials", "--grant-type", grant)
    assert proc.returncode != 0
    assert proc.stderr.splitlines()[0] == f"Error: {message}", proc.stderr
    assert cid not in listed(server)


@pytest.mark.parametrize("bad_id", ["", "has space", 'dq"', "back\\slash", "colon:id", "pct%41",
                                    "new\nline", "x" * 129, "' OR 1=1--"])
def test_create_refuses_bad_client_ids(server, bad_id):
    assert_cli_error(server.cli("client", "create", "--id", bad_id, "--grant-type", "client_credentials"))


def test_sql_metacharacters_in_a_registered_id_are_just_data(server):
    """An id with a quote and a comment marker is stored and matched exactly: values are bound,
    never spliced into SQL."""
    c = server.create_client(scope="read", client_id="o'brien--" + uid("q"))
    assert server.token_request(c).status_code == 200
    for near in (c.id[:-1], c.id.upper(), c.id.split("--")[0], c.id + "'"):
        resp = server.token_request(Client(near, c.secret))
        assert resp.status_code == 401, (near, resp.status_code)


def test_create_duplicate_id_is_refused_and_keeps_the_old_secret(server, client):
    proc = server.cli("client", "create", "--id", client.id, "--secret", new_secret(), "--grant-type",
                      "client_credentials")
    assert_cli_error(proc, "already exists")
    assert server.token_request(client).status_code == 200


# ---------------------------------------------------------------------------------------------
# client delete


def test_delete_removes_the_client_and_the_server_follows(server):
    c = server.create_client(scope="read")
    assert server.token_request(c).status_code == 200
    proc = server.cli("client", "delete", c.id)
    assert proc.returncode == 0, proc.stderr
    assert c.id not in listed(server)
    wait_for_response(lambda: server.token_request(c), lambda r: r.status_code == 401,
                      what="the deleted client to be refused")


def test_delete_unknown_client_fails(server):
    assert_cli_error(server.cli("client", "delete", "no-such-client-" + uid()), "no-such-client")


def test_deleted_id_can_be_registered_again_with_a_new_secret(server):
    c = server.create_client(scope="read")
    server.cli("client", "delete", c.id, check=True)
    wait_for_response(lambda: server.token_request(c), lambda r: r.status_code == 401,
                      what="the deleted client to be refused")
    again = server.create_client(scope="read", client_id=c.id)
    wait_for_response(lambda: server.token_request(again), lambda r: r.status_code == 200,
                      what="the re-created client to work")
    assert server.token_request(c).status_code == 401  # the old secret is gone


# ---------------------------------------------------------------------------------------------
# policy, audit and keys commands


def test_policy_check_accepts_the_bundled_policy_and_prints_its_hash(server):
    path = server.data_dir / "policy.yaml"
    proc = run_cli("policy", "check", str(path))
    assert proc.returncode == 0, proc.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() in proc.stdout


def test_policy_check_reports_file_line_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nactions: [unclosed\n  x: 1\n")
    proc = run_cli("policy", "check", str(bad))
    assert_cli_error(proc)
    assert re.search(rf"{re.escape(str(bad))}:\d+:\d+: ", proc.stderr), proc.stderr


def test_policy_check_missing_file_fails(tmp_path):
    assert_cli_error(run_cli("policy", "check", str(tmp_path / "nope.yaml")), "nope.yaml")


def test_audit_verify_json(server):
    proc = server.cli("audit", "verify", "--json")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["ok"] is True and obj["events"] >= 1 and len(obj["head"]) == 64


def test_audit_export_rejects_a_bad_since(server):
    assert_cli_error(server.cli("audit", "export", "--since", "yesterday"), "RFC 3339")


def test_keys_list_human_and_json_agree(server):
    keys = json.loads(server.cli("keys", "list", "--json", check=True).stdout)
    text = server.cli("keys", "list", check=True).stdout
    for k in keys:
        assert k["kid"] in text and k["alg"] == "ES256"


def test_unknown_subcommand_fails():
    assert_cli_error(run_cli("frobnicate"))


def test_cli_on_an_unwritable_data_dir_fails_cleanly(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert_cli_error(run_cli("client", "list", data_dir=f))


# ---------------------------------------------------------------------------------------------
# outbound URLs


@pytest.mark.parametrize("args, option", [
    (["webhook", "add", "--group", "finance-leads", "--url", "https://alice:s3cret@hooks.example.com/hook"], "--url"),
    (["webhook", "add", "--group", "*", "--url", "http://alice:s3cret@127.0.0.1:9/hook"], "--url"),
    (["client", "create", "--id", "notify-creds", "--grant-type", "ciba", "--ciba-mode", "ping",
      "--notification-endpoint", "https://alice:s3cret@client.example.com/cb"], "--notification-endpoint"),
    (["issuer", "add", "--issuer", "https://alice:s3cret@idp.example.com", "--audience", "a"], "--issuer"),
    (["issuer", "add", "--issuer", "https://idp.example.com", "--audience", "a",
      "--jwks-uri", "https://alice:s3cret@idp.example.com/jwks.json"], "--jwks-uri"),
])
def test_an_outbound_url_with_user_information_is_refused_and_never_audited(server, args, option):
    """A URL the server will call may not carry a name and password: it would be stored, listed
    and (as a webhook's url_origin, an issuer's URL) written into the append-only audit chain."""
    proc = server.cli(*args)
    assert_cli_error(proc, f"{option} must not contain user information")
    assert "s3cret" not in proc.stderr
    assert not [e for e in server.audit_events() if "s3cret" in json.dumps(e)]
    assert "s3cret" not in server.cli("webhook", "list", "--json", check=True).stdout
