/* A request answered after its handler has returned (http_server.h,
 * "answering later").
 *
 * The handler suspends the connection and gets a handle. The handle's
 * reply stores the answer on the request and resumes the connection; MHD
 * then calls the access handler once more (http_server.c), which queues
 * the stored answer through http_reply_text like any other, so it is
 * counted, logged and marks the request replied. Resuming is safe at any
 * time, even from inside MHD_run (MHD only sets a flag and wakes itself).
 *
 * The handle and the request each may end first: the request when the
 * server stops, the handle when it replies. Whichever ends first unties
 * itself from the other. */
#include "http_internal.h"

#include <stdlib.h>

struct http_deferred {
    struct http_request *req;   /* NULL once the request is gone */
    char *body;                 /* the request's, lent until the reply */
    size_t body_len;
};

/* Rounds of MHD_run at stop for the answers to leave: resume, call the
 * handler, write, close; a few more for luck, never a wait. */
#define STOP_ROUNDS 16

static void list_add(struct http_server *s, struct http_request *req)
{
    req->defer_prev = NULL;
    req->defer_next = s->deferred;
    if (s->deferred)
        s->deferred->defer_prev = req;
    s->deferred = req;
}

static void list_remove(struct http_server *s, struct http_request *req)
{
    if (req->defer_prev)
        req->defer_prev->defer_next = req->defer_next;
    else
        s->deferred = req->defer_next;
    if (req->defer_next)
        req->defer_next->defer_prev = req->defer_prev;
    req->defer_prev = req->defer_next = NULL;
}

struct http_deferred *http_request_defer(struct http_request *req)
{
    struct http_server *s = req->srv;
    if (req->replied || req->defer != HTTP_DEFER_NONE)
        return NULL;            /* answered (or deferred) already */
    if (s->stopping) {
        http_reply_error(req, 503, "try again once jigd is running", "jigd is stopping");
        return NULL;
    }
    struct http_deferred *d = calloc(1, sizeof *d);
    if (!d) {
        http_reply_error(req, 503, "the station is short of memory", "out of memory");
        return NULL;
    }
    d->req = req;
    d->body = req->body;
    d->body_len = req->body_len;
    req->body_lent = true;
    req->handle = d;
    req->defer = HTTP_DEFER_WAITING;
    list_add(s, req);
    MHD_suspend_connection(req->conn);
    return d;
}

const char *http_deferred_body(const struct http_deferred *d, size_t *len)
{
    if (len)
        *len = d->body_len;
    return d->body ? d->body : "";
}

/* Stores `answer` (taken; NULL: memory ran out) and wakes the request. */
static void answer(struct http_request *req, unsigned status, char *text)
{
    req->handle = NULL;
    req->defer = HTTP_DEFER_READY;
    req->answer_status = status;
    req->answer = text;
    MHD_resume_connection(req->conn);
}

static void handle_free(struct http_deferred *d)
{
    free(d->body);
    free(d);
}

void http_deferred_reply_json(struct http_deferred *d, unsigned status, cJSON *body)
{
    if (!d->req) {
        cJSON_Delete(body);
        handle_free(d);
        return;
    }
    struct http_server *s = d->req->srv;
    answer(d->req, status, http_json_text(body));
    handle_free(d);
    http_server_kick(s);
}

void http_deferred_reply_error(struct http_deferred *d, unsigned status, const char *hint,
                               const char *fmt, ...)
{
    if (!d->req) {
        handle_free(d);
        return;
    }
    struct http_server *s = d->req->srv;
    va_list ap;
    va_start(ap, fmt);
    answer(d->req, status, http_error_vtext(hint, fmt, ap));
    va_end(ap);
    handle_free(d);
    http_server_kick(s);
}

bool http_deferred_resumed(struct http_request *req)
{
    if (req->defer == HTTP_DEFER_NONE)
        return false;
    if (req->defer == HTTP_DEFER_READY && !req->replied) {
        http_reply_text(req, req->answer_status, req->answer);
        free(req->answer);
        req->answer = NULL;
    }
    return true;
}

void http_deferred_ended(struct http_request *req)
{
    if (req->defer == HTTP_DEFER_NONE)
        return;
    if (req->handle)
        req->handle->req = NULL;
    free(req->answer);
    list_remove(req->srv, req);
}

void http_deferred_stop(struct http_server *s)
{
    if (!s->deferred)
        return;
    for (struct http_request *req = s->deferred; req; req = req->defer_next) {
        if (req->defer != HTTP_DEFER_WAITING)
            continue;
        req->handle->req = NULL;
        answer(req, 503, http_error_json("jigd is stopping", "the request was not "
               "finished; send it again once jigd is back"));
    }
    /* Each answered request leaves the list when its connection ends. */
    for (int i = 0; i < STOP_ROUNDS && s->deferred; i++)
        MHD_run(s->mhd);
}
