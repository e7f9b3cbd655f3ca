/* A ZPL label template: parsed once (every mistake found with its line and
 * column), filled for each unit with its values escaped (label_template.h
 * says how and why). */
#include "label_template.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_buf.h"

/* The placeholders, in the order of struct label_values. */
static const char *const names[] = {"serial", "mac", "board_code", "date", "work_order",
                                    "station"};
#define N_NAMES (sizeof names / sizeof names[0])
#define KNOWN "{serial} {mac} {board_code} {date} {work_order} {station}"
#define NAME_MAX_LEN 32

enum piece_kind { PIECE_TEXT, PIECE_VALUE };

/* The template as runs of its own text and the values between them. */
struct piece {
    enum piece_kind kind;
    size_t off, len;        /* PIECE_TEXT: the run in text */
    unsigned value;         /* PIECE_VALUE: index into names */
    int field;              /* the ^FD data it belongs to; -1 = outside any */
    bool starts_fd;         /* the run that begins with that field's ^FD */
};

struct label_template {
    char *text;
    struct piece *pieces;
    size_t n_pieces, cap_pieces;
    bool *field_hex;        /* per ^FD: it holds a placeholder, so it gets ^FH */
    size_t n_fields, cap_fields;
};

/* Where the parser is in the text, and what it is inside of. */
struct parse {
    struct label_template *t;
    const char *name;
    char *err;
    size_t errlen;
    size_t i, text_start;
    int line, col;          /* of byte i, from 1 */
    bool in_data;           /* after a ^FD, before the next command */
    bool in_comment;        /* after a ^FX, before the next command */
    bool fh_in_field;       /* a ^FH since the last ^FS */
    bool field_has_fh;      /* the current field's ^FD came after a ^FH */
    bool pending_fd;        /* the next run begins with ^FD */
    int field;
};

static int fail(struct parse *p, const char *fmt, const char *what)
{
    int n = snprintf(p->err, p->errlen, "%s:%d:%d: ", p->name, p->line, p->col);
    if (n >= 0 && (size_t)n < p->errlen)
        snprintf(p->err + n, p->errlen - (size_t)n, fmt, what);
    return -1;
}

static int oom(struct parse *p)
{
    snprintf(p->err, p->errlen, "out of memory");
    return -1;
}

static int add_piece(struct parse *p, struct piece pc)
{
    struct label_template *t = p->t;
    if (t->n_pieces == t->cap_pieces) {
        size_t cap = t->cap_pieces ? 2 * t->cap_pieces : 16;
        struct piece *np = realloc(t->pieces, cap * sizeof *np);
        if (!np)
            return oom(p);
        t->pieces = np;
        t->cap_pieces = cap;
    }
    t->pieces[t->n_pieces++] = pc;
    return 0;
}

/* The text from text_start up to `end` becomes a run. */
static int flush_text(struct parse *p, size_t end)
{
    if (end <= p->text_start)
        return 0;
    struct piece pc = {.kind = PIECE_TEXT, .off = p->text_start, .len = end - p->text_start,
                       .field = p->in_data ? p->field : -1, .starts_fd = p->pending_fd};
    p->pending_fd = false;
    p->text_start = end;
    return add_piece(p, pc);
}

static int open_field(struct parse *p)
{
    struct label_template *t = p->t;
    if (t->n_fields == t->cap_fields) {
        size_t cap = t->cap_fields ? 2 * t->cap_fields : 16;
        bool *nf = realloc(t->field_hex, cap * sizeof *nf);
        if (!nf)
            return oom(p);
        t->field_hex = nf;
        t->cap_fields = cap;
    }
    t->field_hex[t->n_fields] = false;
    p->field = (int)t->n_fields++;
    p->in_data = true;
    p->pending_fd = true;
    p->field_has_fh = p->fh_in_field;
    return 0;
}

static bool is_cmd(const char *s, size_t left, const char *two)
{
    return left >= 3 && (s[1] & ~0x20) == two[0] && (s[2] & ~0x20) == two[1];
}

/* A '^' or '~' at p->i: it ends a field's data or a comment, and a few
 * commands matter to where values may go. */
static int command(struct parse *p, const char *text, size_t len)
{
    const char *s = text + p->i;
    size_t left = len - p->i;
    if (p->in_data) {
        if (flush_text(p, p->i))
            return -1;
        p->in_data = false;
    }
    p->in_comment = false;
    if (is_cmd(s, left, "CC") || is_cmd(s, left, "CT")) {
        char cmd[4];
        snprintf(cmd, sizeof cmd, "%.3s", s);
        return fail(p, "%s changes ZPL's command prefix; leave it out: jigd escapes values "
                    "for the prefixes ^ and ~", cmd);
    }
    if (*s != '^')
        return 0;
    if (is_cmd(s, left, "FS"))
        p->fh_in_field = false;
    else if (is_cmd(s, left, "FH"))
        p->fh_in_field = true;
    else if (is_cmd(s, left, "FX"))
        p->in_comment = true;
    else if (is_cmd(s, left, "FD")) {
        if (flush_text(p, p->i))
            return -1;
        return open_field(p);
    }
    return 0;
}

static int lookup(const char *s, size_t n)
{
    for (size_t k = 0; k < N_NAMES; k++)
        if (strlen(names[k]) == n && !memcmp(names[k], s, n))
            return (int)k;
    return -1;
}

/* "{name}" at p->i; on success p->i is on its '}'. */
static int placeholder(struct parse *p, const char *text, size_t len)
{
    size_t n = 0;
    const char *s = text + p->i + 1;
    while (p->i + 1 + n < len && n <= NAME_MAX_LEN && s[n] != '}' && s[n] != '\n')
        n++;
    if (p->i + 1 + n >= len || s[n] != '}')
        return fail(p, "%s opens no placeholder (no '}' after a name); write {{ for a "
                    "literal '{'", "'{'");
    char name[NAME_MAX_LEN + 3];
    snprintf(name, sizeof name, "{%.*s}", (int)n, s);
    int k = lookup(s, n);
    if (k < 0)
        return fail(p, "unknown placeholder %s; known placeholders: " KNOWN, name);
    if (!p->in_data)
        return fail(p, "%s stands outside a field's data; a value may only be printed: "
                    "put it between ^FD and ^FS, e.g. ^FO20,20^A0N,30,30^FD{serial}^FS", name);
    if (p->field_has_fh)
        return fail(p, "the field of %s brings its own ^FH; leave ^FH out: jigd writes it "
                    "before every field that holds a value, so that no value can carry a "
                    "ZPL command", name);
    if (flush_text(p, p->i))
        return -1;
    p->t->field_hex[p->field] = true;
    p->i += n + 1;
    p->text_start = p->i + 1;
    return add_piece(p, (struct piece){.kind = PIECE_VALUE, .value = (unsigned)k,
                                       .field = p->field});
}

/* "{{" or "}}" at p->i: one literal brace (the run keeps the first). */
static int literal_brace(struct parse *p)
{
    if (flush_text(p, p->i + 1))
        return -1;
    p->i++;
    p->col++;
    p->text_start = p->i + 1;
    return 0;
}

static int step(struct parse *p, const char *text, size_t len)
{
    char c = text[p->i];
    char next = p->i + 1 < len ? text[p->i + 1] : '\0';
    if (c == '\0')
        return fail(p, "%s; is this a ZPL text file?", "a NUL byte");
    if (c == '^' || c == '~')
        return command(p, text, len);
    if (p->in_comment)
        return 0;
    if (c == '{')
        return next == '{' ? literal_brace(p) : placeholder(p, text, len);
    if (c == '}') {
        if (next == '}')
            return literal_brace(p);
        return fail(p, "%s closes no placeholder; write }} for a literal '}'", "a lone '}'");
    }
    return 0;
}

static int parse_all(struct parse *p, const char *text, size_t len)
{
    if (len > LABEL_TEMPLATE_MAX) {
        snprintf(p->err, p->errlen, "%s: %zu bytes; a label template is at most %u bytes "
                 "(is this the right file?)", p->name, len, LABEL_TEMPLATE_MAX);
        return -1;
    }
    for (p->i = 0, p->line = 1, p->col = 1; p->i < len; p->i++) {
        if (step(p, text, len))
            return -1;
        if (text[p->i] == '\n') {
            p->line++;
            p->col = 1;
        } else {
            p->col++;
        }
    }
    return flush_text(p, len);
}

struct label_template *label_template_parse(const char *text, size_t len, const char *name,
                                            char *err, size_t errlen)
{
    struct label_template *t = calloc(1, sizeof *t);
    if (!t || !(t->text = malloc(len + 1))) {
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(t->text, text, len);
    t->text[len] = '\0';
    struct parse p = {.t = t, .name = name, .err = err, .errlen = errlen, .field = -1};
    if (parse_all(&p, text, len)) {
        label_template_free(t);
        return NULL;
    }
    return t;
}

void label_template_free(struct label_template *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->pieces);
    free(t->field_hex);
    free(t);
}

/* ---- filling ------------------------------------------------------------ */

/* Inside a ^FH field: '_' starts a hex escape, '^' and '~' would start a
 * command, and a byte outside printable ASCII may not survive the printer's
 * code page; each goes as _XX. */
static bool needs_hex(unsigned char c)
{
    return c < 0x20 || c > 0x7e || c == '^' || c == '~' || c == '_';
}

static void put_escaped(struct label_buf *b, const char *s, size_t n, bool all)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (all ? needs_hex(c) : c == '_')
            label_buf_printf(b, "_%02X", c);
        else
            label_buf_put(b, s + i, 1);
    }
}

static const char *value_of(const struct label_values *v, unsigned k)
{
    const char *by_index[N_NAMES] = {v->serial, v->mac, v->board_code, v->date,
                                     v->work_order, v->station};
    return k < N_NAMES && by_index[k] ? by_index[k] : "";
}

char *label_template_fill(const struct label_template *t, const struct label_values *v,
                          size_t *len)
{
    struct label_buf b = {0};
    for (size_t i = 0; i < t->n_pieces; i++) {
        const struct piece *pc = &t->pieces[i];
        if (pc->kind == PIECE_VALUE) {
            const char *s = value_of(v, pc->value);
            put_escaped(&b, s, strlen(s), true);
            continue;
        }
        bool hex = pc->field >= 0 && t->field_hex[pc->field];
        if (hex && pc->starts_fd)
            label_buf_put(&b, "^FH", 3);
        if (hex)
            put_escaped(&b, t->text + pc->off, pc->len, false);
        else
            label_buf_put(&b, t->text + pc->off, pc->len);
    }
    return label_buf_take(&b, len);
}

/* 4 x 2 inches at 203 dpi: text on the left, the QR code on the right. */
const char label_default_zpl[] =
    "^XA\n"
    "^CI28\n"
    "^PW812\n"
    "^LL406\n"
    "^FO30,30^A0N,48,48^FD{serial}^FS\n"
    "^FO30,100^A0N,30,30^FDMAC {mac}^FS\n"
    "^FO30,145^A0N,30,30^FD{board_code}^FS\n"
    "^FO30,190^A0N,30,30^FD{work_order}^FS\n"
    "^FO30,235^A0N,30,30^FD{date}  {station}^FS\n"
    "^FO560,30^BQN,2,6^FDQA,{serial}^FS\n"
    "^XZ\n";

struct label_template *label_template_default(char *err, size_t errlen)
{
    return label_template_parse(label_default_zpl, sizeof label_default_zpl - 1,
                                "(the built-in label)", err, errlen);
}
