/* Who a request's token says it is (http_token.h). */
#include "http_token.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hex.h"
#include "mbedtls_compat.h"

static const char *const role_names[] = {
    [HTTP_ROLE_VIEWER] = "viewer", [HTTP_ROLE_OPERATOR] = "operator",
    [HTTP_ROLE_MES] = "mes", [HTTP_ROLE_ADMIN] = "admin",
};

const char *http_role_name(enum http_role r)
{
    return r > HTTP_ROLE_NONE && r <= HTTP_ROLE_ADMIN ? role_names[r] : NULL;
}

enum http_role http_role_parse(const char *name)
{
    for (int r = HTTP_ROLE_VIEWER; r <= HTTP_ROLE_ADMIN; r++)
        if (name && !strcmp(name, role_names[r]))
            return (enum http_role)r;
    return HTTP_ROLE_NONE;
}

bool http_token_equal_n(const char *expected, const char *given, size_t given_len)
{
    /* Walk the whole expected token whatever the input, so the time taken
     * says nothing about how much of a guess was right. */
    size_t elen = strlen(expected);
    unsigned char diff = (unsigned char)(elen != given_len);
    for (size_t i = 0; i < elen; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)((unsigned char)expected[i] ^ g);
    }
    return diff == 0;
}

/* ?access_token=..., percent-decoded into out. 0 found once, -1 absent,
 * malformed, too long or given twice. */
static int query_token(struct http_slice query, char *out, size_t cap)
{
    static const char key[] = "access_token=";
    int found = -1;
    const char *p = query.p, *end = query.p + query.n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) >= sizeof key - 1 && !memcmp(p, key, sizeof key - 1)) {
            if (found == 0)
                return -1;
            size_t n = 0;
            for (const char *c = p + sizeof key - 1; c < stop; c++) {
                int ch = (unsigned char)*c;
                if (*c == '%') {
                    if (stop - c < 3 || hex_digit(c[1]) < 0 || hex_digit(c[2]) < 0)
                        return -1;
                    ch = hex_digit(c[1]) * 16 + hex_digit(c[2]);
                    c += 2;
                }
                if (n + 1 >= cap)
                    return -1;
                out[n++] = (char)ch;
            }
            out[n] = '\0';
            found = 0;
        }
        p = stop + 1;
    }
    return found;
}

/* The token given, copied into out (NUL-terminated); false if none. */
static bool token_given(const struct http_slice *auth, struct http_slice query, bool is_read,
                        char *out, size_t cap)
{
    if (auth) {
        if (auth->n < 7 || strncasecmp(auth->p, "Bearer ", 7))
            return false;
        size_t skip = 7;
        while (skip < auth->n && auth->p[skip] == ' ')
            skip++;
        if (auth->n - skip >= cap)
            return false;
        memcpy(out, auth->p + skip, auth->n - skip);
        out[auth->n - skip] = '\0';
        return true;
    }
    /* A browser's EventSource cannot send headers: GET may use the query. */
    return is_read && query_token(query, out, cap) == 0;
}

/* The named token whose hash is the given token's, or NULL. Every entry is
 * compared in full, so the time says nothing about which one matched. */
static const struct http_token *named(const struct http_policy *p, const char *given)
{
    uint8_t sum[32];
    if (!p->n_tokens || sha256_once(given, strlen(given), sum) != 0)
        return NULL;
    const struct http_token *found = NULL;
    for (size_t i = 0; i < p->n_tokens; i++) {
        unsigned char diff = 0;
        for (size_t k = 0; k < sizeof sum; k++)
            diff |= (unsigned char)(sum[k] ^ p->tokens[i].sha256[k]);
        if (diff == 0)
            found = &p->tokens[i];
    }
    return found;
}

bool http_token_identify(const struct http_policy *p, const struct http_slice *auth,
                         struct http_slice query, bool is_read, struct http_verdict *v)
{
    char given[512];
    if (!token_given(auth, query, is_read, given, sizeof given))
        return false;
    const struct http_token *t = NULL;
    bool file = p->token && p->token[0] && http_token_equal_n(p->token, given, strlen(given));
    if (!file)
        t = named(p, given);
    memset(given, 0, sizeof given);
    if (!file && !t)
        return false;
    v->role = file ? HTTP_ROLE_ADMIN : t->role;
    snprintf(v->actor, sizeof v->actor, "%s", file ? HTTP_ACTOR_TOKEN_FILE : t->name);
    return true;
}
