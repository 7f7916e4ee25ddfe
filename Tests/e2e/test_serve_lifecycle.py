"""`countersign serve`: first run, configuration precedence, restart, signals, policy reload, as
the README's quick start and configuration describe them."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import subprocess

import pytest

import support
from support import LISTENING, jwt_parts, run_cli, start_server, wait_until


# ---------------------------------------------------------------------------------------------
# First run


def test_first_run_creates_store_key_and_policy(tmp_path):
    srv = start_server(tmp_path / "data")
    try:
        assert srv.url.startswith("http://127.0.0.1:") and srv.host_port[1] > 0
        data = tmp_path / "data"
        for name in ("policy.yaml", "server.key", "countersign.sqlite"):
            assert (data / name).is_file(), name
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(data / "server.key").st_mode) == 0o600
        # after the listening line: the issuer and how to create a first client
        wait_until(lambda: "client create" in "".join(srv.stdout_lines), what="first-run hint on stdout")
        assert f"issuer: {srv.url}" in "".join(srv.stdout_lines)
        assert srv.get("/healthz").status_code == 200
        ready = srv.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert run_cli("policy", "check", str(data / "policy.yaml")).returncode == 0
        assert len(srv.jwks()["keys"]) == 1
        assert run_cli("audit", "verify", data_dir=data).returncode == 0
    finally:
        srv.stop()
        srv.kill()


def test_restart_keeps_keys_clients_and_chain(tmp_path):
    issuer = "https://restart.example.com"
    srv = start_server(tmp_path / "data", "--issuer", issuer)
    try:
        c = srv.create_client(scope="read")
        tok = srv.access_token(c)
        kids = {k["kid"] for k in srv.jwks()["keys"]}
        policy = (tmp_path / "data" / "policy.yaml").read_bytes()
    finally:
        srv.stop()
        srv.kill()
    srv2 = start_server(tmp_path / "data", "--issuer", issuer)
    try:
        assert {k["kid"] for k in srv2.jwks()["keys"]} == kids
        assert (tmp_path / "data" / "policy.yaml").read_bytes() == policy  # not overwritten
        assert srv2.introspect(c, tok).json()["active"] is True  # same key, same issuer, still valid
        assert srv2.token_request(c).status_code == 200
        assert srv2.cli("audit", "verify").returncode == 0
    finally:
        srv2.stop()
        srv2.kill()


# ---------------------------------------------------------------------------------------------
# Configuration precedence: flag > variable > file > default


def test_issuer_precedence_flag_over_env_over_file(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("issuer: https://file.example.com\n")
    cases = [
        ((), {}, None),  # default http://HOST:PORT
        (("--config", str(cfg)), {}, "https://file.example.com"),
        (("--config", str(cfg)), {"COUNTERSIGN_ISSUER": "https://env.example.com"}, "https://env.example.com"),
        (("--config", str(cfg), "--issuer", "https://flag.example.com"), {"COUNTERSIGN_ISSUER": "https://env.example.com"},
         "https://flag.example.com"),
    ]
    for i, (args, env, expected) in enumerate(cases):
        srv = start_server(tmp_path / f"data{i}", *args, env=env)
        try:
            meta = srv.metadata()
            assert meta["issuer"] == (expected or srv.url), (args, env)
            assert meta["token_endpoint"] == meta["issuer"] + "/token"
            c = srv.create_client(scope="read")
            assert jwt_parts(srv.access_token(c))[1]["iss"] == meta["issuer"]
        finally:
            srv.stop()
            srv.kill()


def test_unknown_config_key_is_refused(tmp_path):
    cfg = tmp_path / "config.yaml"
    cfg.write_text("issuer: https://file.example.com\nbogus_setting: 1\n")
    proc = subprocess.run([str(support.BIN), "serve", "--data-dir", str(tmp_path / "d"), "--port", "0", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "bogus_setting" in proc.stderr and LISTENING not in proc.stdout


@pytest.mark.parametrize("args,needle", [
    (("--port", "99999"), "port"),
    (("--log-level", "loud"), "log level"),
    (("--policy", "/nonexistent/policy.yaml"), "/nonexistent/policy.yaml"),
])
def test_bad_settings_are_refused_with_a_message(tmp_path, args, needle):
    cmd = [str(support.BIN), "serve", "--data-dir", str(tmp_path / "d"), *args]
    if "--port" not in args:
        cmd += ["--port", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and needle in proc.stderr, proc.stderr
    assert LISTENING not in proc.stdout


@pytest.mark.parametrize("env,message", [
    ({"COUNTERSIGN_BODY_TIMEOUT": "0"}, "body timeout must be seconds from 1 to 300 (got \"0\")"),
    ({"COUNTERSIGN_SSE_HEARTBEAT": "301"}, "SSE heartbeat must be seconds from 1 to 300 (got \"301\")"),
])
def test_bad_variables_are_refused_with_a_message(tmp_path, env, message):
    proc = subprocess.run([str(support.BIN), "serve", "--data-dir", str(tmp_path / "d"), "--port", "0"],
                          capture_output=True, text=True, timeout=30, env={**os.environ, **env})
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert LISTENING not in proc.stdout


def test_help_names_every_setting_of_the_readme_table():
    """The README's table is the settings table (a Swift test holds them together); `serve --help`
    names each row's flag and variable."""
    readme = (support.REPO / "README.md").read_text()
    rows = [line.split(" | ") for line in readme.splitlines() if line.startswith("| `--")]
    assert len(rows) >= 11
    help_text = subprocess.run([str(support.BIN), "serve", "--help"], capture_output=True, text=True,
                               timeout=30, check=True).stdout
    for cells in rows:
        flag, variable = cells[0].strip("| `").split(" ")[0], cells[1].strip("`")
        assert flag in help_text and variable in help_text, (flag, variable)


def test_broken_policy_at_startup_is_refused_with_position(tmp_path):
    data = tmp_path / "d"
    data.mkdir(mode=0o700)
    (data / "policy.yaml").write_text("version: 1\nactions: [unclosed\n")
    proc = subprocess.run([str(support.BIN), "serve", "--data-dir", str(data), "--port", "0"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert f"{data / 'policy.yaml'}:" in proc.stderr and LISTENING not in proc.stdout, proc.stderr


def test_data_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    proc = subprocess.run([str(support.BIN), "serve", "--data-dir", str(f), "--port", "0"], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode != 0 and "not a directory" in proc.stderr


def test_port_in_use_is_refused(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        proc = subprocess.run([str(support.BIN), "serve", "--data-dir", str(tmp_path / "d"), "--port", str(port)],
                              capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and LISTENING not in proc.stdout
    assert proc.stderr.strip()


# ---------------------------------------------------------------------------------------------
# Signals


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_the_server_promptly(tmp_path, sig):
    srv = start_server(tmp_path / "data")
    c = srv.create_client(scope="read")
    assert srv.token_request(c).status_code == 200
    srv.stop(sig, timeout=10)  # raises if it is still running after 10 s
    with pytest.raises(OSError):
        socket.create_connection(srv.host_port, timeout=1).close()
    assert run_cli("audit", "verify", data_dir=tmp_path / "data").returncode == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exit_status_is_zero_and_quiet(tmp_path, sig):
    """Exits cleanly on SIGTERM/SIGINT: status 0 and no error, even with the background refresh
    cancelled mid-sleep. The server has served a request and its background refresh has run at
    least once before the signal."""
    srv = start_server(tmp_path / "data")
    c = srv.create_client(scope="read")
    assert srv.token_request(c).status_code == 200
    srv.cli("keys", "rotate", check=True)
    keys = json.loads(srv.cli("keys", "list", "--json", check=True).stdout)
    active = next(k["kid"] for k in keys if k["state"] == "active")
    wait_until(lambda: jwt_parts(srv.access_token(c))[0]["kid"] == active, what="background refresh")
    rc = srv.stop(sig, timeout=10)
    err = srv.stderr_text()
    assert rc == 0, f"exit status {rc}; stderr tail: {err[-300:]}"
    assert "Error:" not in err and " error " not in err


# ---------------------------------------------------------------------------------------------
# SIGHUP policy reload (one server for the reload tests)


@pytest.fixture(scope="module")
def reloadable(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("reload") / "data")
    yield srv
    srv.stop()
    srv.kill()


def policy_loads(srv) -> list[dict]:
    return [e for e in srv.audit_events() if e["type"] == "policy.loaded"]


def test_sighup_reloads_a_changed_policy_and_audits_its_hash(reloadable):
    srv = reloadable
    path = srv.data_dir / "policy.yaml"
    before = len(policy_loads(srv))
    path.write_bytes(path.read_bytes() + b"\n# reloaded by test\n")
    srv.signal(signal.SIGHUP)
    loads = wait_until(lambda: len(l := policy_loads(srv)) > before and l,
                       what="a policy.loaded event")
    assert len(loads) == before + 1
    assert loads[-1]["data"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert srv.get("/readyz").status_code == 200


def test_sighup_with_broken_yaml_keeps_the_old_policy(reloadable):
    srv = reloadable
    path = srv.data_dir / "policy.yaml"
    good = path.read_bytes()
    before = len(policy_loads(srv))
    log_before = srv.stderr_text()
    try:
        path.write_text("version: 1\nactions: [unclosed\n")
        srv.signal(signal.SIGHUP)
        # the refusal is logged with file:line:column
        wait_until(lambda: f"{path}:" in srv.stderr_text()[len(log_before):],
                   what="the refusal to be logged")
        assert len(policy_loads(srv)) == before, "a broken policy was recorded as loaded"
        assert srv.get("/readyz").status_code == 200
        c = srv.create_client(scope="read")
        assert srv.token_request(c).status_code == 200
    finally:
        path.write_bytes(good)
    # a good file is picked up again afterwards
    path.write_bytes(good + b"\n# fixed\n")
    srv.signal(signal.SIGHUP)
    loads = wait_until(lambda: len(l := policy_loads(srv)) > before and l,
                       what="a policy.loaded event after the fix")
    assert loads[-1]["data"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
