-- Named API tokens: who may use jigd's REST API, and as what. `jigctl token
-- add` makes a token, shows it once and stores only its SHA-256, so this file
-- holds nothing a client could present. A token is revoked, never deleted:
-- who could act as what, and when, stays on record. A name belongs to one
-- token at a time; once that one is revoked the name may be given again.

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64
                                    AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
    role       TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'mes', 'admin')),
    hash       TEXT NOT NULL UNIQUE      -- sha256 of the token, 64 lowercase hex
               CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,            -- 'jigctl:<login>', ...
    revoked_at TEXT,
    revoked_by TEXT,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

-- A token is what it was made as until it is revoked, and revoked for good;
-- a grant edited by hand would otherwise leave no trace in the table.
CREATE TRIGGER api_tokens_fixed
BEFORE UPDATE OF id, name, role, hash, created_at, created_by ON api_tokens
BEGIN
    SELECT RAISE(ABORT, 'a token''s name, role and hash never change: revoke it and add a new one');
END;
CREATE TRIGGER api_tokens_revoke_is_final
BEFORE UPDATE OF revoked_at, revoked_by ON api_tokens
WHEN OLD.revoked_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a revoked token stays revoked: add a new one');
END;
CREATE TRIGGER api_tokens_kept
BEFORE DELETE ON api_tokens
BEGIN
    SELECT RAISE(ABORT, 'API tokens are never deleted: revoke one instead');
END;
