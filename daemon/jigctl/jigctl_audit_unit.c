/* jigctl audit unit: one board's whole history (its attempts, board codes,
 * certificate and audit events), found by serial, MAC or board code. A MAC may name several units
 * (a voided serial and its successor): each is shown. */
#include "jigctl_audit.h"

#include <stdio.h>
#include <string.h>

#include "jigctl_command.h"

static const struct audit_column attempt_cols[] = {
    {"id", "ATTEMPT"}, {"started_at", "STARTED"}, {"station", "STATION"}, {"slot", "SLOT"},
    {"work_order", "WORK ORDER"}, {"result", "RESULT"}, {"failed_phase", "PHASE"},
    {"cause", "CAUSE"}, {"bytes_written", "BYTES"}, {"phase_ms", "PHASES (ms)"},
};
static const struct audit_column code_cols[] = {
    {"code", "BOARD CODE"}, {"bound_at", "SCANNED"}, {"bound_by", "BY"}, {"slot", "SLOT"},
    {"attempt_id", "ATTEMPT"},
};
static const struct audit_column cert_cols[] = {
    {"fingerprint_sha256", "FINGERPRINT (SHA-256)"}, {"subject", "SUBJECT"},
    {"not_before", "NOT BEFORE"}, {"not_after", "NOT AFTER"},
};
static const struct audit_column event_cols[] = {
    {"id", "EVENT"}, {"at", "AT"}, {"actor", "ACTOR"}, {"action", "ACTION"},
    {"details", "DETAILS"},
};

/* "sync:120 identify:40 ..." for a table or a CSV row; JSON keeps the array. */
static void add_phase_summary(cJSON *attempt, const cJSON *phases)
{
    char text[512] = "", cell[64];
    size_t len = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, phases) {
        audit_cell_text(cJSON_GetObjectItemCaseSensitive(p, "duration_ms"), cell, sizeof cell);
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "phase");
        int n = snprintf(text + len, sizeof text - len, "%s%s:%s", len ? " " : "",
                         cJSON_IsString(name) ? name->valuestring : "?", cell);
        if (n < 0 || (size_t)n >= sizeof text - len)
            break;
        len += (size_t)n;
    }
    cJSON_AddStringToObject(attempt, "phase_ms", text);
}

static void field_text(const cJSON *o, const char *key, char *out, size_t cap)
{
    audit_cell_text(cJSON_GetObjectItemCaseSensitive(o, key), out, cap);
}

/* The database keeps "voided" as 0/1; a JSON export may make it a bool. */
static bool is_voided(const cJSON *unit)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(unit, "voided");
    return cJSON_IsTrue(v) || (cJSON_IsNumber(v) && v->valuedouble != 0);
}

static void print_unit_header(const cJSON *h)
{
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(h, "unit");
    const cJSON *alloc = cJSON_GetObjectItemCaseSensitive(h, "allocation");
    char serial[80], mac[32], chip[40], rev[20], first[32], last[32], state[32], wo[80];
    field_text(u, "serial", serial, sizeof serial);
    field_text(u, "mac", mac, sizeof mac);
    field_text(u, "chip", chip, sizeof chip);
    field_text(u, "revision", rev, sizeof rev);
    field_text(u, "first_seen", first, sizeof first);
    field_text(u, "last_seen", last, sizeof last);
    field_text(alloc, "state", state, sizeof state);
    field_text(alloc, "work_order", wo, sizeof wo);
    printf("unit %s  MAC %s  %s %s\n", serial, mac, chip, rev);
    printf("  seen %s .. %s; serial %s%s%s%s\n", first, last, state[0] ? state : "unknown",
           wo[0] ? " (work order " : "", wo, wo[0] ? ")" : "");
    if (is_voided(u)) {
        char why[200];
        field_text(u, "void_reason", why, sizeof why);
        printf("  VOIDED: %s\n", why);
    }
}

static void print_unit_table(cJSON *h)
{
    print_unit_header(h);
    const cJSON *attempts = cJSON_GetObjectItemCaseSensitive(h, "attempts");
    cJSON *a;
    cJSON_ArrayForEach(a, attempts)
        add_phase_summary(a, cJSON_GetObjectItemCaseSensitive(a, "phases"));
    printf("\n");
    audit_emit_rows(attempts, AUDIT_FORMAT_TABLE, AUDIT_COLS(attempt_cols), "no attempts",
                    NULL);
    printf("\n");
    audit_emit_rows(cJSON_GetObjectItemCaseSensitive(h, "board_codes"), AUDIT_FORMAT_TABLE,
                    AUDIT_COLS(code_cols), "no board code scanned", NULL);
    printf("\n");
    audit_emit_rows(cJSON_GetObjectItemCaseSensitive(h, "certificates"), AUDIT_FORMAT_TABLE,
                    AUDIT_COLS(cert_cols), "no certificate", NULL);
    printf("\n");
    audit_emit_rows(cJSON_GetObjectItemCaseSensitive(h, "events"), AUDIT_FORMAT_TABLE,
                    AUDIT_COLS(event_cols), "no audit events", NULL);
}

/* CSV: one flat row per attempt, with the unit's serial and MAC. */
static cJSON *unit_attempt_rows(const cJSON *history)
{
    cJSON *rows = cJSON_CreateArray();
    const cJSON *h, *a;
    cJSON_ArrayForEach(h, history) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(h, "unit");
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(h, "attempts")) {
            cJSON *row = cJSON_CreateObject();
            cJSON_AddItemToObject(row, "serial", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(u, "serial"), 1));
            cJSON_AddItemToObject(row, "mac", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(u, "mac"), 1));
            for (const cJSON *f = a->child; f; f = f->next)
                if (strcmp(f->string, "phases") && strcmp(f->string, "parts"))
                    cJSON_AddItemToObject(row, f->string, cJSON_Duplicate(f, 1));
            add_phase_summary(row, cJSON_GetObjectItemCaseSensitive(a, "phases"));
            cJSON_AddItemToArray(rows, row);
        }
    }
    return rows;
}

static int query_unit(struct station_db *db, const struct audit_args *a, cJSON **out)
{
    return sdb_report_unit(db, a->positional, out);
}

static int print_unit(const struct audit_args *a, cJSON *history,
                      const struct sdb_audit_head *head)
{
    if (a->format == AUDIT_FORMAT_JSON)
        return audit_emit_rows(history, AUDIT_FORMAT_JSON, NULL, 0, "", head);
    if (a->format == AUDIT_FORMAT_CSV) {
        cJSON *rows = unit_attempt_rows(history);
        int r = audit_emit_rows(rows, AUDIT_FORMAT_CSV, NULL, 0, "", head);
        cJSON_Delete(rows);
        return r;
    }
    cJSON *h;
    cJSON_ArrayForEach(h, history) {
        if (h != history->child)
            printf("\n");
        print_unit_table(h);
    }
    fflush(stdout);
    return JIGCTL_EXIT_OK;
}

const struct audit_report audit_unit_report = {
    .name = "unit", .synopsis = "<serial|MAC> ", .options = AUDIT_OPT_POSITIONAL,
    .query = query_unit, .print = print_unit,
};
