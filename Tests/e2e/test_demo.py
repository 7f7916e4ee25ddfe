"""`countersign demo` (the documented command line): the scripted just-in-time story runs against
a fresh server with its built-in identity provider, checks every answer, and leaves a verifiable
audit chain; it never writes into a data directory that holds anything."""

from __future__ import annotations

import json
import os
import shutil

from support import run_cli


def test_the_demo_tells_the_whole_story_and_exits_zero(tmp_path):
    data = tmp_path / "demo"
    proc = run_cli("demo", data_dir=data, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for expected in [
        "countersign listening on http://127.0.0.1:",
        "→ 200 allow",
        "active: true",
        "active: false  (one-time: spent by the first check)",
        "→ 400 approval_required",
        "→ 400 authorization_pending",
        "gita approves (\"matches the return\") → 200 state approved",
        "the client polls again → 200 allow",
        '"approvers":["fiona","gita"]',
        "polling once more → 400 invalid_grant: auth_req_id was already redeemed",
        "→ 400 insufficient_user_authentication",
        "acr_values mfa, max_age 300 s",
        "→ 400 access_denied: Contractors and guests may never delete users.",
        "→ 400 invalid_request: subject_token is signed with none",
        "hash chain verified",
    ]:
        assert expected in out, f"{expected!r} missing from:\n{out}"
    # The servers stop gracefully: nothing logged as an error on the way out.
    assert "error" not in proc.stderr.lower(), proc.stderr
    # The story stays in the given directory, and the CLI agrees the chain is whole.
    verify = run_cli("audit", "verify", data_dir=data)
    assert verify.returncode == 0, verify.stderr
    events = [json.loads(line) for line in run_cli("audit", "export", data_dir=data, check=True).stdout.splitlines()]
    decisions = [e["data"]["outcome"] for e in events if e["type"] == "decision"]
    assert decisions == ["allow", "approve", "step_up", "deny"]
    assert [e["type"] for e in events].count("token.consumed") == 1
    assert [e["type"] for e in events].count("approval.redeemed") == 1
    # No token the demo handled is in the log.
    assert "eyJ" not in json.dumps(events)


def test_the_demo_refuses_a_data_directory_that_holds_anything(tmp_path):
    (tmp_path / "countersign.sqlite").write_text("precious")
    proc = run_cli("demo", data_dir=tmp_path)
    assert proc.returncode != 0
    assert f"--data-dir {tmp_path} is not empty; the demo needs a new or empty directory" in proc.stderr
    assert (tmp_path / "countersign.sqlite").read_text() == "precious"


def test_the_demo_refuses_a_file_as_its_data_directory(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    proc = run_cli("demo", data_dir=path)
    assert proc.returncode != 0
    assert "is a file; the demo needs a new or empty directory" in proc.stderr


def test_the_demo_removes_its_temporary_directory_unless_kept():
    proc = run_cli("demo", timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("data directory: "))
    path = line.removeprefix("data directory: ").split(" (")[0]
    assert not os.path.exists(path)
    kept = run_cli("demo", "--keep", timeout=120)
    assert kept.returncode == 0, kept.stderr
    kept_path = next(l for l in kept.stdout.splitlines() if l.startswith("data directory: ")).removeprefix("data directory: ")
    try:
        assert os.path.isdir(kept_path)
        assert run_cli("audit", "verify", data_dir=kept_path).returncode == 0
    finally:
        shutil.rmtree(kept_path, ignore_errors=True)
