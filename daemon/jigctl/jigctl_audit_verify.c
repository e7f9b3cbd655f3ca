/* jigctl audit verify: whether the station's audit log can be trusted
 * (sdb_audit_verify: the hash chain, where it ends against the anchor file,
 * the traced rows against what the log recorded of them, the guard
 * triggers). When it is broken, the audit row named is shown as stored now,
 * so the quality engineer sees what was changed.
 *
 * Exit status: 0 intact; AUDIT_VERIFY_EXIT_BROKEN when something was
 * changed; 1 (as every audit command) when there was nothing to check: no
 * database, or not one jigd can read; 2 a wrong command line. A script that
 * alarms on tampering must not mistake a wrong path for it, nor the other
 * way round, so "broken" has a number no other failure uses. */
#include "jigctl_audit.h"

#include <stdint.h>
#include <stdio.h>

#include "jigctl_command.h"

/* Not one of jigctl_command.h's codes: only verify finds a broken log. */
#define AUDIT_VERIFY_EXIT_BROKEN 4

/* {"ok", "rows", "records", "anchored_id", "first_bad_id", "reason",
 * "head_hash", "broken_row"?}: the JSON output (sdb_audit_verify_json). */
static int query_verify(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    (void)a;
    return sdb_audit_verify_json(db, out);
}

static const char *text(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static long long number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

static void print_broken(const cJSON *o)
{
    long long id = number(o, "first_bad_id");
    if (id)
        printf("AUDIT LOG BROKEN at row %lld: %s\n", id, text(o, "reason"));
    else
        printf("AUDIT LOG BROKEN: %s\n", text(o, "reason"));
    const cJSON *row = cJSON_GetObjectItemCaseSensitive(o, "broken_row");
    if (row) {
        static const char *const keys[] = {"at", "actor", "action", "details", "prev_hash",
                                           "hash"};
        char cell[AUDIT_CELL_MAX + 1];
        printf("audit row %lld as stored now:\n", id);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            audit_cell_text(cJSON_GetObjectItemCaseSensitive(row, keys[k]), cell, sizeof cell);
            printf("  %-9s %s\n", keys[k], cell);
        }
    }
    const char *head = text(o, "head_hash");
    printf("last intact hash: %s\n", head[0] ? head : "(none)");
}

static int print_verify(const struct audit_args *a, cJSON *o,
                        const struct sdb_audit_head *head)
{
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
    if (a->format == AUDIT_FORMAT_JSON) {
        audit_print_json(o);
    } else if (a->format == AUDIT_FORMAT_CSV) {
        cJSON *rows = cJSON_CreateArray();
        cJSON *flat = cJSON_Duplicate(o, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(flat, "broken_row");
        cJSON_AddItemToArray(rows, flat);
        audit_emit_rows(rows, AUDIT_FORMAT_CSV, NULL, 0, "", NULL);
        cJSON_Delete(rows);
    } else if (ok) {
        printf("audit log intact: %lld rows checked, ending where station.db.anchor says; "
               "%lld traced rows match their records\n"
               "head hash %s\n"
               "(record the head hash outside the station to anchor the log up to here)\n",
               number(o, "rows"), number(o, "records"), text(o, "head_hash"));
    } else {
        print_broken(o);
    }
    fflush(stdout);
    return ok ? JIGCTL_EXIT_OK : AUDIT_VERIFY_EXIT_BROKEN;
}

const struct audit_report audit_verify_report = {
    .name = "verify", .synopsis = "", .options = 0,
    .query = query_verify, .print = print_verify, .own_head = true,
};
