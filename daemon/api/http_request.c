/* A request as a handler sees it: what was asked (method, path, route
 * parameters, headers, body) and the one reply it gives. */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_json_body.h"

/* ---- replies ----------------------------------------------------------- */

static void queue(struct http_request *req, unsigned status,
                  struct MHD_Response *resp)
{
    req->replied = true;
    req->status = status;
    MHD_queue_response(req->conn, status, resp);
    http_count_answer(req->srv, req->route, req->method, req->path, status);
    /* Actions and failures are worth a line in the journal; reads are not. */
    if (status >= 500 || (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")))
        http_server_log(req->srv, "%s %s -> %u", req->method, req->path, status);
}

void http_reply_response(struct http_request *req, unsigned status,
                         struct MHD_Response *resp)
{
    queue(req, status, resp);
}

void http_reply_bytes(struct http_request *req, unsigned status, const char *type,
                      const void *bytes, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)bytes, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return;
    MHD_add_response_header(resp, "Content-Type", type);
    /* Revalidated every time: a dashboard updated with jigd is seen at
     * the next load, never a mix of old and new files. */
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                            "form-action 'none'");
    MHD_add_response_header(resp, "Connection", "close");
    queue(req, status, resp);
    MHD_destroy_response(resp);
}

static void reply_text(struct http_request *req, unsigned status,
                       const char *text, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return;
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    /* One request per connection: the next one meets the gate again. */
    MHD_add_response_header(resp, "Connection", "close");
    if (allow)
        MHD_add_response_header(resp, "Allow", allow);
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"jigd\"");
    queue(req, status, resp);
    MHD_destroy_response(resp);
}

char *http_json_text(cJSON *body)
{
    if (!body)
        body = cJSON_CreateObject();
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    return text;
}

void http_reply_text(struct http_request *req, unsigned status, const char *text)
{
    if (text)
        reply_text(req, status, text, NULL);
    else
        reply_text(req, 500, "{\"error\":\"out of memory\",\"hint\":\"\"}", NULL);
}

void http_reply_json(struct http_request *req, unsigned status, cJSON *body)
{
    char *text = http_json_text(body);
    http_reply_text(req, status, text);
    free(text);
}

char *http_error_json(const char *error, const char *hint)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "error", error);
    cJSON_AddStringToObject(o, "hint", hint ? hint : "");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

char *http_error_vtext(const char *hint, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return http_error_json(msg, hint);
}

static void reply_error_v(struct http_request *req, unsigned status,
                          const char *allow, const char *hint,
                          const char *fmt, va_list ap)
{
    char *text = http_error_vtext(hint, fmt, ap);
    reply_text(req, status, text ? text : "{\"error\":\"out of memory\",\"hint\":\"\"}",
               allow);
    free(text);
}

void http_reply_error(struct http_request *req, unsigned status,
                      const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(req, status, NULL, hint, fmt, ap);
    va_end(ap);
}

void http_reply_error_allow(struct http_request *req, unsigned status,
                            const char *allow, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(req, status, allow, hint, fmt, ap);
    va_end(ap);
}

/* ---- request accessors ------------------------------------------------- */

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

const char *http_request_actor(const struct http_request *req) { return req->actor; }
enum http_role http_request_role(const struct http_request *req) { return req->role; }

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

const char *http_request_content_type(const struct http_request *req)
{
    return req->content_type;
}

cJSON *http_request_json_object(struct http_request *req, const char *example)
{
    char hint[256], error[128];
    snprintf(hint, sizeof hint, "send a JSON object, e.g. %s, with "
             "Content-Type: application/json", example);
    cJSON *o = http_json_object(req->body, req->body_len, error, sizeof error);
    if (!o)
        http_reply_error(req, 400, hint, "%s", error);
    return o;
}

/* ---- authentication ---------------------------------------------------- */

bool http_token_equal(const char *expected, const char *given)
{
    return http_token_equal_n(expected, given, strlen(given));
}
