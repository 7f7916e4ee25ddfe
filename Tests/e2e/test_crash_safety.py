"""kill -9 under load and a read-only or corrupt store.

Every 200 from /token must have its token.issued event in the chain after a hard kill, the
chain must verify after restart, and a store that cannot be used stops the start with a clear
message instead of serving."""

from __future__ import annotations

import os
import signal
import stat
import threading

import requests

from support import run_cli, start_server


def test_kill_9_under_load_loses_no_acknowledged_token(tmp_path):
    data = tmp_path / "data"
    server = start_server(data)
    client = server.create_client(scope="read")
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def hammer():
        session = requests.Session()
        while not stop.is_set():
            try:
                r = session.post(server.url + "/token", data={"grant_type": "client_credentials"},
                                 auth=client.auth, timeout=5)
            except requests.RequestException:
                return
            if r.status_code == 200:
                import base64, json
                claims = json.loads(base64.urlsafe_b64decode(r.json()["access_token"].split(".")[1] + "=="))
                with lock:
                    acknowledged.append(claims["jti"])

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    import time
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 200:
                break
        time.sleep(0.02)
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acknowledged) >= 50, "the load never got going"

    verify = run_cli("audit", "verify", data_dir=data)
    assert verify.returncode == 0, verify.stderr
    export = run_cli("audit", "export", data_dir=data, check=True)
    import json
    issued = {json.loads(line)["data"]["jti"] for line in export.stdout.splitlines()
              if json.loads(line)["type"] == "token.issued"}
    missing = [jti for jti in acknowledged if jti not in issued]
    assert missing == [], f"{len(missing)} acknowledged tokens have no token.issued event"

    again = start_server(data)
    try:
        assert again.token_request(client).status_code == 200
    finally:
        again.stop()


def test_a_corrupt_database_stops_the_start_with_a_clear_message(tmp_path):
    data = tmp_path / "data"
    server = start_server(data)
    server.stop()
    db = data / "countersign.sqlite"
    with open(db, "r+b") as f:
        f.seek(0)
        f.write(b"this is not a database" * 10)
    for name in ("countersign.sqlite-wal", "countersign.sqlite-shm"):
        (data / name).unlink(missing_ok=True)
    proc = run_cli("serve", "--port", "0", data_dir=data, timeout=30)
    assert proc.returncode != 0
    assert "countersign.sqlite" in proc.stderr, proc.stderr
    assert "listening" not in proc.stdout


def test_a_read_only_data_directory_is_refused_clearly(tmp_path):
    if os.geteuid() == 0:
        # root ignores file modes; make the database itself unusable instead.
        data = tmp_path / "data"
        data.mkdir()
        (data / "countersign.sqlite").mkdir()  # a directory where the database file should be
        proc = run_cli("serve", "--port", "0", data_dir=data, timeout=30)
        assert proc.returncode != 0
        assert "countersign.sqlite" in proc.stderr, proc.stderr
        return
    data = tmp_path / "data"
    start_server(data).stop()
    os.chmod(data, stat.S_IRUSR | stat.S_IXUSR)
    try:
        proc = run_cli("serve", "--port", "0", data_dir=data, timeout=30)
        assert proc.returncode != 0
        assert "listening" not in proc.stdout
    finally:
        os.chmod(data, stat.S_IRWXU)
