/* How audit reports print: aligned tables for a person, CSV for a
 * spreadsheet, JSON for a script. */
#include "jigctl_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jigctl_command.h"

#define MAX_COLUMNS 32

void audit_cell_text(const cJSON *v, char *out, size_t cap)
{
    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return;
    if (cJSON_IsString(v)) {
        snprintf(out, cap, "%s", v->valuestring);
        for (char *p = out; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
    } else if (cJSON_IsBool(v)) {
        snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d)
            snprintf(out, cap, "%lld", (long long)d);
        else {
            /* 66.7, not 66.70: as the report computed it, to 2 places. */
            snprintf(out, cap, "%.2f", d);
            size_t n = strlen(out);
            while (n && out[n - 1] == '0')
                out[--n] = '\0';
        }
    } else {
        char *j = cJSON_PrintUnformatted(v);
        snprintf(out, cap, "%s", j ? j : "");
        free(j);
    }
}

static void print_cell(const cJSON *row, const struct audit_column *col, size_t width,
                       bool last)
{
    char cell[AUDIT_CELL_MAX + 1];
    audit_cell_text(cJSON_GetObjectItemCaseSensitive(row, col->key), cell, sizeof cell);
    if (last)
        printf("%s\n", cell);
    else
        printf("%-*s  ", (int)width, cell);
}

/* Each column as wide as its widest cell or title. */
static void measure(const cJSON *rows, const struct audit_column *cols, size_t n_cols,
                    size_t *width)
{
    char cell[AUDIT_CELL_MAX + 1];
    const cJSON *row;
    for (size_t c = 0; c < n_cols; c++)
        width[c] = strlen(cols[c].title);
    cJSON_ArrayForEach(row, rows) {
        for (size_t c = 0; c < n_cols; c++) {
            audit_cell_text(cJSON_GetObjectItemCaseSensitive(row, cols[c].key), cell,
                            sizeof cell);
            if (strlen(cell) > width[c])
                width[c] = strlen(cell);
        }
    }
}

/* Rows as an aligned table of the given columns (all of the first row's
 * keys when cols is NULL). */
static void print_table(const cJSON *rows, const struct audit_column *cols, size_t n_cols)
{
    struct audit_column all[MAX_COLUMNS];
    if (!cols) {
        const cJSON *first = cJSON_GetArrayItem(rows, 0), *k;
        n_cols = 0;
        for (k = first ? first->child : NULL; k && n_cols < MAX_COLUMNS; k = k->next)
            all[n_cols++] = (struct audit_column){k->string, k->string};
        cols = all;
    }
    if (n_cols > MAX_COLUMNS)
        n_cols = MAX_COLUMNS;
    size_t width[MAX_COLUMNS];
    measure(rows, cols, n_cols, width);
    for (size_t c = 0; c < n_cols; c++) {
        if (c + 1 < n_cols)
            printf("%-*s  ", (int)width[c], cols[c].title);
        else
            printf("%s\n", cols[c].title);
    }
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
        for (size_t c = 0; c < n_cols; c++)
            print_cell(row, &cols[c], width[c], c + 1 == n_cols);
}

int audit_emit_rows(const cJSON *rows, enum audit_format f, const struct audit_column *cols,
                    size_t n_cols, const char *empty, const struct sdb_audit_head *head)
{
    int rc = SDB_OK;
    if (f == AUDIT_FORMAT_JSON)
        rc = head ? sdb_export_json_anchored(rows, head, stdout) : sdb_export_json(rows, stdout);
    else if (f == AUDIT_FORMAT_CSV)
        rc = head ? sdb_export_csv_anchored(rows, head, stdout) : sdb_export_csv(rows, stdout);
    else if (cJSON_GetArraySize(rows) == 0)
        printf("%s\n", empty);
    else
        print_table(rows, cols, n_cols);
    fflush(stdout);
    if (rc != SDB_OK) {
        jigctl_error("cannot write the report to stdout");
        return JIGCTL_EXIT_FAILED;
    }
    return JIGCTL_EXIT_OK;
}

void audit_print_head(const struct sdb_audit_head *head)
{
    if (head->last_id == 0)
        printf("audit log head: row 0 (the log is empty), hash %s\n", head->hash);
    else
        printf("audit log head: row %lld at %s, hash %s\n", (long long)head->last_id, head->at,
               head->hash);
    fflush(stdout);
}

void audit_print_json(const cJSON *o)
{
    char *text = cJSON_Print(o);
    printf("%s\n", text ? text : "null");
    free(text);
    fflush(stdout);
}
