/* Who may ask, and who answers: the API token (from the header, or the
 * query for a browser's EventSource), then the first route whose pattern
 * and method match; 404, 405 with Allow, or a bad {slot} otherwise. */
#include "http_server_internal.h"

#include <string.h>
#include <strings.h>

bool http_token_equal(const char *expected, const char *given)
{
    /* Walk the whole expected token whatever the input, so the time taken
     * says nothing about how much of a guess was right. */
    size_t elen = strlen(expected), glen = strlen(given);
    unsigned char diff = (unsigned char)(elen != glen);
    for (size_t i = 0; i < elen; i++) {
        unsigned char g = i < glen ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)expected[i] ^ g;
    }
    return diff == 0;
}

bool http_authorised(struct http_request *req)
{
    const struct http_server *s = req->srv;
    if (!s->token[0])
        return true;
    const char *auth = http_request_header(req, "Authorization");
    if (auth && !strncasecmp(auth, "Bearer ", 7))
        return http_token_equal(s->token, auth + 7);
    /* EventSource in a browser cannot send headers: allow the query. */
    const char *q = http_request_query(req, "access_token");
    if (q && !strcmp(req->method, "GET"))
        return http_token_equal(s->token, q);
    return false;
}

void http_dispatch(struct http_request *req)
{
    struct http_server *s = req->srv;
    char allow[64] = "";
    const struct route_entry *bad = NULL;
    struct api_route_params bad_params;
    for (size_t i = 0; i < s->n_routes; i++) {
        const struct route_entry *r = &s->routes[i];
        struct api_route_params params;
        enum api_route_match m = api_route_match(r->route.pattern, req->path, &params);
        if (m == API_ROUTE_NO_MATCH)
            continue;
        if (strcmp(r->route.method, req->method)) {
            if (!strstr(allow, r->route.method) &&
                strlen(allow) + strlen(r->route.method) + 3 < sizeof allow) {
                if (allow[0])
                    strcat(allow, ", ");
                strcat(allow, r->route.method);
            }
            continue;
        }
        if (m == API_ROUTE_BAD_PARAM) {
            if (!bad) {
                bad = r;
                bad_params = params;
            }
            continue;
        }
        req->params = params;
        r->route.handler(req, r->ctx);
        if (!req->replied)
            http_reply_error(req, 500, "this is a bug in jigd; please report it",
                             "the handler for %s %s gave no answer",
                             req->method, r->route.pattern);
        return;
    }
    if (bad) {
        http_reply_error(req, 404, "slots are numbered 1, 2, ...; "
                         "GET /api/v1/slots lists this station's slots",
                         "'%s' is not a slot number", bad_params.bad);
        return;
    }
    if (allow[0]) {
        http_reply_error_with_allow(req, allow, "see docs/api.md for the endpoints",
                                    "%s is not allowed on %s (allowed: %s)",
                                    req->method, req->path, allow);
        return;
    }
    http_reply_error(req, 404, "the API lives under /api/v1; see docs/api.md",
                     "no endpoint %s", req->path);
}
