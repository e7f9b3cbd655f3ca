-- Per-unit device certificates. The station keeps the public half only: the
-- private key is generated for the board, written to it, and forgotten. The
-- CHECKs make a leaked key impossible to store even by a buggy caller.

CREATE TABLE certificates (
    id                 INTEGER PRIMARY KEY,
    unit_id            INTEGER NOT NULL REFERENCES units (id),
    serial             TEXT NOT NULL,
    fingerprint_sha256 TEXT NOT NULL UNIQUE
                       CHECK (length(fingerprint_sha256) = 64
                              AND fingerprint_sha256 NOT GLOB '*[^0-9a-f]*'),
    subject            TEXT NOT NULL CHECK (instr(upper(subject), 'PRIVATE KEY') = 0),
    not_before         TEXT NOT NULL,
    not_after          TEXT NOT NULL,
    pem                TEXT NOT NULL
                       CHECK (instr(upper(pem), 'PRIVATE KEY') = 0)
                       CHECK (pem LIKE '-----BEGIN CERTIFICATE-----%'),
    created_at         TEXT NOT NULL
);
CREATE INDEX certificates_unit ON certificates (unit_id);
