/* Certificates: the public half of each unit's identity. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "db_internal.h"

static bool mentions_private_key(const char *text)
{
    return text && strcasestr(text, "PRIVATE KEY") != NULL;
}

static bool is_sha256_hex(const char *text)
{
    if (!text || strlen(text) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)text[i]))
            return false;
    return true;
}

static int check_certificate(struct station_db *db, const struct sdb_certificate *c)
{
    /* Checked here for a clear message; the table's CHECK is the backstop. */
    if (mentions_private_key(c->pem) || mentions_private_key(c->subject))
        return db_fail(db, SDB_REFUSED,
                       "refusing to store a private key: the station keeps certificates "
                       "only; the key belongs on the board (esp_secure_cert) and nowhere else");
    if (!c->pem || strncmp(c->pem, "-----BEGIN CERTIFICATE-----", 27) != 0)
        return db_fail(db, SDB_REFUSED, "a certificate must be PEM starting with "
                       "-----BEGIN CERTIFICATE-----");
    if (!is_sha256_hex(c->fingerprint_sha256))
        return db_fail(db, SDB_REFUSED, "the certificate fingerprint must be the 64 hex digits "
                       "of the DER's sha256");
    if (!c->subject || !c->not_before || !c->not_after)
        return db_fail(db, SDB_REFUSED, "a certificate needs its subject and validity dates");
    return SDB_OK;
}

static int insert_locked(struct station_db *db, const struct sdb_certificate *c, int64_t *id)
{
    char now[SDB_TIME_LEN + 1], serial[SDB_SERIAL_MAX + 1];
    sqlite3_stmt *stmt;
    db_now(db, now);
    int rc = db_prepare(db, "INSERT INTO certificates (unit_id, serial, fingerprint_sha256,"
                            " subject, not_before, not_after, pem, created_at)"
                            " SELECT id, serial, lower(?2), ?3, ?4, ?5, ?6, ?7 FROM units"
                            " WHERE id = ?1 RETURNING id, serial", &stmt);
    if (rc != SDB_OK)
        return rc;
    sqlite3_bind_int64(stmt, 1, c->unit_id);
    db_bind_text(stmt, 2, c->fingerprint_sha256);
    db_bind_text(stmt, 3, c->subject);
    db_bind_text(stmt, 4, c->not_before);
    db_bind_text(stmt, 5, c->not_after);
    db_bind_text(stmt, 6, c->pem);
    db_bind_text(stmt, 7, now);
    int step = sqlite3_step(stmt);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(stmt, 0);
        db_column_copy(stmt, 1, serial, sizeof serial);
    } else if (step == SQLITE_DONE) {
        rc = db_fail(db, SDB_NOT_FOUND, "unit %lld does not exist", (long long)c->unit_id);
    } else {
        rc = db_sql_fail(db, "storing the certificate");
    }
    sqlite3_finalize(stmt);
    if (rc != SDB_OK)
        return rc;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "serial", serial);
    cJSON_AddStringToObject(d, "fingerprint_sha256", c->fingerprint_sha256);
    cJSON_AddStringToObject(d, "subject", c->subject);
    rc = db_record_row(db, d, DB_RECORD_CERTIFICATE, *id);
    if (rc == SDB_OK)
        rc = db_audit_append_locked(db, "jigd", "certificate.issue", d);
    cJSON_Delete(d);
    return rc;
}

int sdb_certificate_insert(struct station_db *db, const struct sdb_certificate *c, int64_t *id)
{
    int rc = check_certificate(db, c);
    if (rc != SDB_OK)
        return rc;
    if ((rc = db_begin(db)) != SDB_OK)
        return rc;
    rc = insert_locked(db, c, id);
    if (rc != SDB_OK) {
        db_rollback(db);
        return rc;
    }
    return db_commit(db);
}
