/* jigd's address, and one request with its whole answer. The transfer
 * itself (deadlines, the words of failure) is http_transfer.c's. */
#include "http_client.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_transfer.h"

/* ---- URL ----------------------------------------------------------------- */

static int bad_url(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_url(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return HTTP_CLIENT_BAD_URL;
}

/* A part of the parsed URL, or NULL when it has none. Free with curl_free. */
static char *url_part(CURLU *u, CURLUPart part)
{
    char *v = NULL;
    return curl_url_get(u, part, &v, 0) == CURLUE_OK ? v : NULL;
}

static bool url_has(CURLU *u, CURLUPart part)
{
    char *v = url_part(u, part);
    bool has = v != NULL;
    curl_free(v);
    return has;
}

static int check_scheme(CURLU *u, const char *url, char *err, size_t errlen)
{
    char *scheme = url_part(u, CURLUPART_SCHEME);
    int r = HTTP_CLIENT_OK;
    if (scheme && !strcasecmp(scheme, "https"))
        r = bad_url(err, errlen, "%s: https is not supported; jigd serves plain HTTP "
                    "(reach a remote station through an SSH tunnel)", url);
    else if (!scheme || strcasecmp(scheme, "http"))
        r = bad_url(err, errlen, "%s: jigd speaks http, not %s; write e.g. --url "
                    "http://127.0.0.1:8080", url, scheme ? scheme : "this");
    curl_free(scheme);
    return r;
}

/* jigd's URL is a host, a port and perhaps a path prefix (behind a reverse
 * proxy); anything else in it would be silently lost, so say so. */
static int check_parts(CURLU *u, const char *url, char *err, size_t errlen)
{
    if (url_has(u, CURLUPART_USER) || url_has(u, CURLUPART_QUERY) ||
        url_has(u, CURLUPART_FRAGMENT))
        return bad_url(err, errlen, "%s: give only a host, a port and a path "
                       "(the token goes in --token-file or $JIGD_TOKEN)", url);
    char *port = url_part(u, CURLUPART_PORT);
    bool has_port = port != NULL, zero = port && !strcmp(port, "0");
    curl_free(port);
    if (zero)
        return bad_url(err, errlen, "%s: the port must be a number from 1 to 65535", url);
    if (!has_port && curl_url_set(u, CURLUPART_PORT, HTTP_CLIENT_DEFAULT_PORT, 0) != CURLUE_OK)
        return bad_url(err, errlen, "out of memory");
    return HTTP_CLIENT_OK;
}

/* The URL as libcurl writes it back, without the trailing '/' a path gets:
 * request paths begin with '/'. */
static int store_base(struct http_client *c, CURLU *u, char *err, size_t errlen)
{
    char *host = url_part(u, CURLUPART_HOST);
    char *base = url_part(u, CURLUPART_URL);
    int r = HTTP_CLIENT_OK;
    if (!host || !base)
        r = bad_url(err, errlen, "%s: no host name; write e.g. --url http://127.0.0.1:8080",
                    c->url);
    else if (strlen(base) >= sizeof c->base_url || strlen(host) >= sizeof c->host)
        r = bad_url(err, errlen, "%s: the URL is too long", c->url);
    if (!r) {
        snprintf(c->host, sizeof c->host, "%s", host);
        snprintf(c->base_url, sizeof c->base_url, "%s", base);
        size_t n = strlen(c->base_url);
        while (n && c->base_url[n - 1] == '/')
            c->base_url[--n] = '\0';
    }
    curl_free(host);
    curl_free(base);
    return r;
}

/* Why libcurl could not parse the URL, in the words of the rest of jigctl. */
static int unparsable(CURLUcode rc, const char *url, char *err, size_t errlen)
{
    if (rc == CURLUE_BAD_PORT_NUMBER)
        return bad_url(err, errlen, "%s: the port must be a number from 1 to 65535", url);
    if (rc == CURLUE_NO_HOST)
        return bad_url(err, errlen, "%s: no host name; write e.g. --url "
                       "http://127.0.0.1:8080", url);
    char why[128];
    snprintf(why, sizeof why, "%s", curl_url_strerror(rc));
    why[0] = (char)tolower((unsigned char)why[0]);
    return bad_url(err, errlen, "%s: %s; write e.g. --url http://127.0.0.1:8080", url, why);
}

/* "127.0.0.1:8080" means http, not libcurl's default of https. */
static CURLUcode set_url(CURLU *u, const char *url)
{
    if (strstr(url, "://"))
        return curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    size_t n = strlen(url) + sizeof "http://";
    char *with_scheme = malloc(n);
    if (!with_scheme)
        return CURLUE_OUT_OF_MEMORY;
    snprintf(with_scheme, n, "http://%s", url);
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, with_scheme, 0);
    free(with_scheme);
    return rc;
}

int http_client_init(struct http_client *c, const char *url, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    snprintf(c->url, sizeof c->url, "%s", url);
    int r = http_transfer_global_init(err, errlen);
    if (r)
        return r;
    CURLU *u = curl_url();
    if (!u)
        return bad_url(err, errlen, "out of memory");
    CURLUcode rc = set_url(u, url);
    if (rc != CURLUE_OK)
        r = unparsable(rc, url, err, errlen);
    if (!r)
        r = check_scheme(u, url, err, errlen);
    if (!r)
        r = check_parts(u, url, err, errlen);
    if (!r)
        r = store_base(c, u, err, errlen);
    curl_url_cleanup(u);
    return r;
}

/* ---- one request --------------------------------------------------------- */

struct answer {
    struct http_response *resp;
    size_t cap;
};

static bool collect(struct http_transfer *t, const char *data, size_t len)
{
    struct answer *a = t->req->ctx;
    struct http_response *resp = a->resp;
    if (resp->body_len + len >= HTTP_CLIENT_MAX_BODY)
        return http_transfer_fail(t, HTTP_CLIENT_PROTOCOL, "the answer from %s is larger "
                                  "than %u MiB", t->client->url, HTTP_CLIENT_MAX_BODY >> 20);
    if (resp->body_len + len + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 4096;
        while (cap < resp->body_len + len + 1)
            cap *= 2;
        char *p = realloc(resp->body, cap);
        if (!p)
            return http_transfer_fail(t, HTTP_CLIENT_PROTOCOL, "out of memory");
        resp->body = p;
        a->cap = cap;
    }
    memcpy(resp->body + resp->body_len, data, len);
    resp->body_len += len;
    resp->body[resp->body_len] = '\0';
    return true;
}

static int exchange(const struct http_client *c, struct http_request *req,
                    struct http_response *resp, char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    struct answer a = {.resp = resp};
    req->accept = "application/json";
    req->idle_ms = c->timeout_ms > 0 ? c->timeout_ms : HTTP_CLIENT_DEFAULT_TIMEOUT_MS;
    req->on_body = collect;
    req->ctx = &a;
    int r = http_transfer_run(c, req, &resp->status, resp->content_type,
                              sizeof resp->content_type, err, errlen);
    if (!r && !resp->body && !(resp->body = calloc(1, 1))) {
        snprintf(err, errlen, "out of memory");
        r = HTTP_CLIENT_PROTOCOL;
    }
    if (r)
        http_response_free(resp);
    return r;
}

int http_client_request(const struct http_client *c, const char *method,
                        const char *path, const char *body,
                        struct http_response *resp, char *err, size_t errlen)
{
    struct http_request req = {.method = method, .path = path, .body = body};
    return exchange(c, &req, resp, err, errlen);
}

int http_client_upload(const struct http_client *c, const char *path, const void *data,
                       size_t len, const char *content_type, struct http_response *resp,
                       char *err, size_t errlen)
{
    struct http_request req = {.method = "POST", .path = path, .body = data,
                               .body_len = len, .content_type = content_type};
    return exchange(c, &req, resp, err, errlen);
}

void http_response_free(struct http_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}
