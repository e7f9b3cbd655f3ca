/* One request through MHD's access handler: the headers first (refused
 * early without a token or with a declared body too large), then the body,
 * then the handler; and what a handler may read of it. */
#include "http_server_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_on_completed(void *cls, struct MHD_Connection *conn,
                       void **con_cls, enum MHD_RequestTerminationCode why)
{
    struct http_request *req = *con_cls;
    if (!req)
        return;
    free(req->body);
    free(req);
    *con_cls = NULL;
}

static bool body_append(struct http_request *req, const char *data, size_t len)
{
    if (req->body_too_big || req->body_len + len > req->srv->max_body) {
        req->body_too_big = true;       /* keep reading, drop the bytes */
        return false;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 1024;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        char *b = realloc(req->body, cap);
        if (!b) {
            req->body_too_big = true;
            return false;
        }
        req->body = b;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return true;
}

static void reply_too_big(struct http_request *req)
{
    http_reply_error(req, 413, "request bodies are small JSON objects; "
                     "send a path, not the file itself",
                     "the request body is larger than %zu bytes", req->srv->max_body);
}

/* The first call sees only the headers: refuse what we can refuse before
 * reading a body (no token, a declared body that is too large). */
static void on_headers(struct http_request *req)
{
    if (!http_authorised(req)) {
        http_reply_error(req, 401, "send 'Authorization: Bearer <token>' with the "
                         "token from the station's api_token_file",
                         "this station requires an API token");
        return;
    }
    const char *cl = http_request_header(req, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || *end || n > req->srv->max_body)
            reply_too_big(req);
    }
}

enum MHD_Result http_on_request(void *cls, struct MHD_Connection *conn,
                                const char *url, const char *method,
                                const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->srv = s;
        req->conn = conn;
        req->method = method;
        req->path = url;
        *con_cls = req;
        on_headers(req);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->replied)
            body_append(req, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->replied)
        return MHD_YES;
    if (req->body_too_big)
        reply_too_big(req);
    else
        http_dispatch(req);
    return MHD_YES;
}

/* ---- what a handler may read ------------------------------------------ */

const char *http_request_method(const struct http_request *req) { return req->method; }
const char *http_request_path(const struct http_request *req) { return req->path; }
struct MHD_Connection *http_request_connection(const struct http_request *req) { return req->conn; }
struct http_server *http_request_server(const struct http_request *req) { return req->srv; }

const struct api_route_params *http_request_params(const struct http_request *req)
{
    return &req->params;
}

int http_request_slot(const struct http_request *req)
{
    return req->params.slot;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_body(const struct http_request *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body ? req->body : "";
}

cJSON *http_request_json_object(struct http_request *req, const char *example)
{
    char hint[256];
    snprintf(hint, sizeof hint, "send a JSON object, e.g. %s, with "
             "Content-Type: application/json", example);
    if (req->body_len == 0) {
        http_reply_error(req, 400, hint, "the request has no body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, false);
    if (!o) {
        size_t at = end && end >= req->body ? (size_t)(end - req->body) : 0;
        http_reply_error(req, 400, hint, "the body is not valid JSON (near byte %zu)", at);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        http_reply_error(req, 400, hint, "the body is JSON but not an object");
        return NULL;
    }
    return o;
}

