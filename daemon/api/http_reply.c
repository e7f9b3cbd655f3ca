/* Replies: each handler answers exactly once, with a JSON body or a JSON
 * error {"error", "hint"}; actions and failures get a line in the log. */
#include "http_server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void queue(struct http_request *req, unsigned status,
                  struct MHD_Response *resp)
{
    req->replied = true;
    req->status = status;
    MHD_queue_response(req->conn, status, resp);
    /* Actions and failures are worth a line in the journal; reads are not. */
    if (status >= 500 || strcmp(req->method, "GET"))
        http_server_log(req->srv, "%s %s -> %u", req->method, req->path, status);
}

void http_reply_response(struct http_request *req, unsigned status,
                         struct MHD_Response *resp)
{
    queue(req, status, resp);
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
    if (allow)
        MHD_add_response_header(resp, "Allow", allow);
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"jigd\"");
    queue(req, status, resp);
    MHD_destroy_response(resp);
}

void http_reply_json(struct http_request *req, unsigned status, cJSON *body)
{
    if (!body)
        body = cJSON_CreateObject();
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        reply_text(req, 500, "{\"error\":\"out of memory\",\"hint\":\"\"}", NULL);
        return;
    }
    reply_text(req, status, text, NULL);
    free(text);
}

static void reply_error_allow(struct http_request *req, unsigned status,
                              const char *allow, const char *hint,
                              const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", msg);
    cJSON_AddStringToObject(o, "hint", hint ? hint : "");
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    reply_text(req, status, text ? text : "{\"error\":\"out of memory\",\"hint\":\"\"}",
               allow);
    free(text);
}

void http_reply_error(struct http_request *req, unsigned status,
                      const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_allow(req, status, NULL, hint, fmt, ap);
    va_end(ap);
}

void http_reply_error_with_allow(struct http_request *req, const char *allow,
                                 const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_allow(req, 405, allow, hint, fmt, ap);
    va_end(ap);
}
