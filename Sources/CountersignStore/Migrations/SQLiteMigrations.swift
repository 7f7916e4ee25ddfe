/// The SQLite schema, one migration per version. Never edit a released migration: add one.
enum SQLiteMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1, name: "clients, signing keys, revoked tokens, audit events",
            statements: [
                """
                CREATE TABLE clients (
                    id TEXT PRIMARY KEY NOT NULL,
                    secret_hash TEXT,
                    grant_types TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    redirect_uris TEXT NOT NULL,
                    resources TEXT NOT NULL,
                    ciba_mode TEXT,
                    notification_endpoint TEXT,
                    jwks_uri TEXT,
                    created_at INTEGER NOT NULL
                ) STRICT
                """,
                """
                CREATE TABLE signing_keys (
                    kid TEXT PRIMARY KEY NOT NULL,
                    alg TEXT NOT NULL,
                    private_key TEXT NOT NULL,
                    public_jwk TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    activates_at INTEGER NOT NULL,
                    retired_at INTEGER,
                    published_until INTEGER
                ) STRICT
                """,
                """
                CREATE TABLE revoked_tokens (
                    jti TEXT PRIMARY KEY NOT NULL,
                    client_id TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER NOT NULL
                ) STRICT
                """,
                "CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at)",
                """
                CREATE TABLE audit_events (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    time INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    data TEXT NOT NULL,
                    prev_hash TEXT NOT NULL UNIQUE,
                    hash TEXT NOT NULL
                ) STRICT
                """,
                """
                CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                """,
                """
                CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                """,
            ]),
        Migration(
            version: 2, name: "trusted issuers, consumed one-time tokens, approval requests",
            statements: [
                """
                CREATE TABLE trusted_issuers (
                    issuer TEXT PRIMARY KEY NOT NULL,
                    audience TEXT NOT NULL,
                    jwks_uri TEXT,
                    claims TEXT NOT NULL,
                    algorithms TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                ) STRICT
                """,
                """
                CREATE TABLE consumed_tokens (
                    jti TEXT PRIMARY KEY NOT NULL,
                    consumer TEXT NOT NULL,
                    expires_at INTEGER NOT NULL,
                    consumed_at INTEGER NOT NULL
                ) STRICT
                """,
                "CREATE INDEX consumed_tokens_expires_at ON consumed_tokens (expires_at)",
                """
                CREATE TABLE approval_requests (
                    id TEXT PRIMARY KEY NOT NULL,
                    auth_req_hash TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL,
                    state TEXT NOT NULL,
                    details TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                ) STRICT
                """,
                "CREATE INDEX approval_requests_state ON approval_requests (state, expires_at)",
            ]),
        Migration(
            version: 3, name: "approval votes and outcomes, users and their personal API tokens",
            statements: [
                "ALTER TABLE approval_requests ADD COLUMN decided_at INTEGER",
                "ALTER TABLE approval_requests ADD COLUMN redeemed_at INTEGER",
                "ALTER TABLE approval_requests ADD COLUMN token_id TEXT",
                """
                CREATE TABLE approval_votes (
                    request_id TEXT NOT NULL REFERENCES approval_requests (id),
                    approver TEXT NOT NULL,
                    verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'deny')),
                    reason TEXT,
                    requirements TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    PRIMARY KEY (request_id, approver)
                ) STRICT
                """,
                """
                CREATE TABLE users (
                    name TEXT PRIMARY KEY NOT NULL,
                    password_hash TEXT,
                    groups TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    claims TEXT NOT NULL,
                    aliases TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL
                ) STRICT
                """,
                """
                CREATE TABLE user_tokens (
                    token_hash TEXT PRIMARY KEY NOT NULL,
                    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL
                ) STRICT
                """,
            ]),
        Migration(
            version: 4, name: "outgoing webhooks and their delivery log",
            statements: [
                """
                CREATE TABLE webhooks (
                    id TEXT PRIMARY KEY NOT NULL,
                    group_name TEXT NOT NULL,
                    url TEXT NOT NULL,
                    format TEXT NOT NULL CHECK (format IN ('json', 'slack')),
                    sealed_secret TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                ) STRICT
                """,
                """
                CREATE TABLE webhook_deliveries (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    webhook_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    request_id TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    status INTEGER,
                    error TEXT,
                    at INTEGER NOT NULL
                ) STRICT
                """,
            ]),
        Migration(
            version: 5, name: "approval requests listed newest first, page by page",
            statements: [
                "CREATE INDEX approval_requests_created ON approval_requests (created_at, id)"
            ]),
        Migration(
            version: 6, name: "a maximum token lifetime per client",
            statements: [
                "ALTER TABLE clients ADD COLUMN max_token_lifetime INTEGER"
            ]),
        Migration(
            version: 7, name: "client secret rotation with a grace period",
            statements: [
                "ALTER TABLE clients ADD COLUMN previous_secret_hash TEXT",
                "ALTER TABLE clients ADD COLUMN previous_secret_valid_until INTEGER",
            ]),
        Migration(
            version: 8, name: "the notification outbox: deliveries written with the approval change",
            statements: [
                """
                CREATE TABLE notification_outbox (
                    id TEXT PRIMARY KEY NOT NULL,
                    request_id TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('ping', 'push', 'webhook')),
                    webhook_id TEXT,
                    event TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    claimant TEXT,
                    claimed_until INTEGER,
                    done_at INTEGER,
                    outcome TEXT,
                    sealed_payload TEXT,
                    payload_expires_at INTEGER
                ) STRICT
                """,
                "CREATE INDEX notification_outbox_due ON notification_outbox (next_attempt_at) WHERE done_at IS NULL",
                "CREATE INDEX notification_outbox_request ON notification_outbox (request_id)",
            ]),
        Migration(
            version: 9, name: "the audit chain without a unique index on prev_hash",
            // That index was a second B-tree keyed by random hashes: every batch of appended events
            // dirtied one of its pages per event, which SQLite then wrote to the WAL whole. `seq`
            // (the primary key, one more than the head read in the same transaction) already makes
            // a second successor of one event impossible, and `audit verify` checks every link.
            statements: [
                """
                CREATE TABLE audit_events_rebuilt (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    time INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    data TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                ) STRICT
                """,
                "INSERT INTO audit_events_rebuilt (seq, time, type, actor, data, prev_hash, hash) SELECT seq, time, type, actor, data, prev_hash, hash FROM audit_events ORDER BY seq",
                "DROP TABLE audit_events",
                "ALTER TABLE audit_events_rebuilt RENAME TO audit_events",
                """
                CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                """,
                """
                CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                """,
            ]),
        Migration(
            version: 10, name: "clients trusted to assert their users",
            statements: ["ALTER TABLE clients ADD COLUMN asserts_users INTEGER NOT NULL DEFAULT 0"]),
        Migration(
            version: 11, name: "revocations written in seconds, in milliseconds",
            // Before times had one type, a replayed auth_req_id revoked its token with an expiry in
            // seconds; the purge would delete such a row and bring the token back. No expiry in
            // milliseconds is this small (1e11 ms is March 1973).
            statements: ["UPDATE revoked_tokens SET expires_at = expires_at * 1000 WHERE expires_at < 100000000000"]),
        Migration(
            version: 12, name: "the approval change feed",
            // Written in the transaction of each approval change (and of each change to a user
            // that may end their right to listen), so every server process learns of the others'
            // changes from a table made for it, not from the audit chain. `origin` names the
            // store instance (process) that wrote the row; rows are purged after an hour.
            statements: [
                """
                CREATE TABLE approval_changes (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    request_id TEXT,
                    user_name TEXT
                ) STRICT
                """
            ]),
    ]
}
