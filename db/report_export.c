/* Report rows as CSV (for the quality engineer's spreadsheet) and JSON,
 * with or without the audit log's head (the *_anchored forms): a report
 * filed outside the station then also anchors the log it came from. */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

/* A spreadsheet runs a cell that starts with = + - @ as a formula; a cause
 * string a board printed must never do that, so such text gets a leading '. */
static bool looks_like_formula(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
           s[0] == '\r';
}

static int write_text_cell(const char *s, FILE *out)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL || looks_like_formula(s) ||
                 (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' '));
    if (!quote)
        return fputs(s, out) < 0 ? -1 : 0;
    if (fputc('"', out) == EOF)
        return -1;
    if (looks_like_formula(s) && fputc('\'', out) == EOF)
        return -1;
    for (const char *p = s; *p; p++) {
        if ((*p == '"' && fputc('"', out) == EOF) || fputc(*p, out) == EOF)
            return -1;
    }
    return fputc('"', out) == EOF ? -1 : 0;
}

static int write_cell(const cJSON *v, FILE *out)
{
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v))
        return write_text_cell(v->valuestring, out);
    if (cJSON_IsBool(v))
        return fputs(cJSON_IsTrue(v) ? "true" : "false", out) < 0 ? -1 : 0;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d > -9.0e15 && d < 9.0e15 && d == (double)(long long)d)
            return fprintf(out, "%.0f", d) < 0 ? -1 : 0;
        return fprintf(out, "%.15g", d) < 0 ? -1 : 0;
    }
    char *json = cJSON_PrintUnformatted(v);
    int rc = json ? write_text_cell(json, out) : -1;
    free(json);
    return rc;
}

int sdb_export_csv(const cJSON *rows, FILE *out)
{
    const cJSON *first = cJSON_IsArray(rows) ? cJSON_GetArrayItem(rows, 0) : NULL;
    const cJSON *key, *row;
    if (!cJSON_IsArray(rows))
        return SDB_REFUSED;
    if (!first)
        return SDB_OK;
    for (key = first->child; key; key = key->next) {
        if ((key != first->child && fputc(',', out) == EOF) || write_text_cell(key->string, out))
            return SDB_ERROR;
    }
    if (fputs("\r\n", out) < 0)
        return SDB_ERROR;
    cJSON_ArrayForEach(row, rows) {
        for (key = first->child; key; key = key->next) {
            if (key != first->child && fputc(',', out) == EOF)
                return SDB_ERROR;
            if (write_cell(cJSON_GetObjectItemCaseSensitive(row, key->string), out))
                return SDB_ERROR;
        }
        if (fputs("\r\n", out) < 0)
            return SDB_ERROR;
    }
    return SDB_OK;
}

int sdb_export_json(const cJSON *rows, FILE *out)
{
    char *text = cJSON_Print(rows);
    if (!text)
        return SDB_ERROR;
    int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? SDB_ERROR : SDB_OK;
    free(text);
    return rc;
}

int sdb_export_csv_anchored(const cJSON *rows, const struct sdb_audit_head *head, FILE *out)
{
    int rc = sdb_export_csv(rows, out);
    if (rc != SDB_OK)
        return rc;
    /* A last record of its own shape: a spreadsheet shows it as the last
     * line; a script that reads the rows stops at "audit_head". */
    return fprintf(out, "audit_head,%lld,%s,%s\r\n", (long long)head->last_id, head->hash,
                   head->at) < 0 ? SDB_ERROR : SDB_OK;
}

/* Rows become {"rows": [...], "audit_head"}; a report that is one object
 * (first-pass yield: its totals and per_day) keeps its members and gains
 * "audit_head", so a script finds the head under one name in every report. */
static cJSON *anchored_doc(const cJSON *report)
{
    if (cJSON_IsObject(report))
        return cJSON_Duplicate(report, true);
    cJSON *doc = cJSON_CreateObject();
    cJSON *copy = cJSON_Duplicate(report, true);
    if (!doc || !copy || !cJSON_AddItemToObject(doc, "rows", copy)) {
        cJSON_Delete(doc);
        cJSON_Delete(copy);
        return NULL;
    }
    return doc;
}

int sdb_export_json_anchored(const cJSON *rows, const struct sdb_audit_head *head, FILE *out)
{
    if (!cJSON_IsArray(rows) &&
        (!cJSON_IsObject(rows) || cJSON_GetObjectItemCaseSensitive(rows, "audit_head")))
        return SDB_REFUSED;
    cJSON *doc = anchored_doc(rows);
    cJSON *h = cJSON_CreateObject();
    if (!doc || !h || !cJSON_AddItemToObject(doc, "audit_head", h)) {
        cJSON_Delete(doc);
        cJSON_Delete(h);
        return SDB_ERROR;
    }
    cJSON_AddNumberToObject(h, "last_id", (double)head->last_id);
    cJSON_AddStringToObject(h, "hash", head->hash);
    cJSON_AddStringToObject(h, "at", head->at);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return SDB_ERROR;
    int rc = fputs(text, out) < 0 || fputc('\n', out) == EOF ? SDB_ERROR : SDB_OK;
    free(text);
    return rc;
}
