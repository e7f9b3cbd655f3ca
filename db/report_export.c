/* Report rows as CSV (for the quality engineer's spreadsheet) and JSON. */
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
