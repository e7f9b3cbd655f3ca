/* CSV records, Python csv "excel" dialect with strict=False (see header).
 * Non-strict details kept on purpose: a quote inside an unquoted cell is an
 * ordinary character, and text after a closing quote joins the cell. */
#include "csv_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cell_state { CELL_START, CELL_PLAIN, CELL_QUOTED, CELL_QUOTE_IN_QUOTED };

void csv_reader_init(struct csv_reader *r, const char *text, size_t len,
                     bool drop_hash_lines)
{
    memset(r, 0, sizeof *r);
    r->pos = text;
    r->end = text + len;
    r->next_line = 1;
    r->drop_hash_lines = drop_hash_lines;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->pos += 3;
}

void csv_reader_free(struct csv_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->len = 0;
}

static int push(struct csv_reader *r, char c)
{
    if (r->len + 1 >= r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *nb = realloc(r->buf, cap);
        if (!nb)
            return -1;
        r->buf = nb;
        r->cap = cap;
    }
    r->buf[r->len++] = c;
    return 0;
}

static int end_cell(struct csv_reader *r, size_t start)
{
    size_t n = r->len - start;
    if (push(r, '\0') < 0)
        return -1;
    if (r->total_fields < CSV_MAX_FIELDS) {
        r->offs[r->total_fields] = start;
        r->lens[r->total_fields] = n;
    }
    r->total_fields++;
    return 0;
}

/* Next physical line without its terminator; false at the end. */
static bool take_line(struct csv_reader *r, const char **s, size_t *n)
{
    if (r->pos >= r->end)
        return false;
    const char *p = r->pos;
    while (p < r->end && *p != '\n' && *p != '\r')
        p++;
    *s = r->pos;
    *n = (size_t)(p - r->pos);
    if (p < r->end)
        p += (*p == '\r' && p + 1 < r->end && p[1] == '\n') ? 2 : 1;
    r->pos = p;
    r->next_line++;
    return true;
}

static void finish_record(struct csv_reader *r)
{
    r->nfields = r->total_fields < CSV_MAX_FIELDS ? r->total_fields
                                                  : CSV_MAX_FIELDS;
    for (size_t i = 0; i < r->nfields; i++) {
        r->field[i] = r->buf + r->offs[i];
        r->field_len[i] = r->lens[i];
    }
}

int csv_reader_next(struct csv_reader *r, char *err, size_t err_cap)
{
    for (;;) {
        r->len = 0;
        r->total_fields = 0;
        enum cell_state st = CELL_START;
        size_t start = 0;
        bool started = false;
        const char *s;
        size_t n;
        for (;;) {
            unsigned this_line = r->next_line;
            if (!take_line(r, &s, &n)) {
                if (st == CELL_QUOTED) {
                    snprintf(err, err_cap, "line %u: a quoted value is never "
                             "closed (missing '\"')", r->line);
                    return -1;
                }
                if (!started)
                    return 0;
                break;
            }
            if (r->drop_hash_lines && n > 0 && s[0] == '#')
                continue;
            if (!started) {
                r->line = this_line;
                started = true;
            }
            for (size_t i = 0; i <= n; i++) {
                char c = i < n ? s[i] : '\n';
                if (c == '\0') {
                    snprintf(err, err_cap, "line %u: NUL byte in CSV text",
                             this_line);
                    return -1;
                }
                switch (st) {
                case CELL_START:
                    start = r->len;
                    if (c == '"') {
                        st = CELL_QUOTED;
                        continue;
                    }
                    st = CELL_PLAIN;
                    /* fall through */
                case CELL_PLAIN:
                    if (c == ',' || c == '\n') {
                        /* A blank line is no record at all. */
                        if (c == '\n' && r->total_fields == 0 &&
                            r->len == start && start == 0) {
                            st = CELL_START;
                            goto line_done;
                        }
                        if (end_cell(r, start) < 0)
                            goto oom;
                        st = CELL_START;
                        continue;
                    }
                    if (push(r, c) < 0)
                        goto oom;
                    continue;
                case CELL_QUOTED:
                    if (c == '"') {
                        st = CELL_QUOTE_IN_QUOTED;
                        continue;
                    }
                    if (push(r, c) < 0)
                        goto oom;
                    continue;
                case CELL_QUOTE_IN_QUOTED:
                    if (c == '"') {
                        st = CELL_QUOTED;
                        if (push(r, c) < 0)
                            goto oom;
                        continue;
                    }
                    if (c == ',' || c == '\n') {
                        if (end_cell(r, start) < 0)
                            goto oom;
                        st = CELL_START;
                        continue;
                    }
                    st = CELL_PLAIN;
                    if (push(r, c) < 0)
                        goto oom;
                    continue;
                }
            }
        line_done:
            if (st == CELL_QUOTED)
                continue;   /* the cell goes on on the next line */
            break;
        }
        if (r->total_fields == 0) {
            if (r->pos >= r->end)
                return 0;
            continue;       /* blank line */
        }
        finish_record(r);
        return 1;
    }
oom:
    snprintf(err, err_cap, "out of memory reading CSV");
    return -1;
}
