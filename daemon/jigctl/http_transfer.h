/* One HTTP exchange on a libcurl easy handle, with jigctl's rules: the
 * token and JSON headers, a deadline on connecting and on every silence
 * after it, and each libcurl failure turned into a sentence that says what
 * to check. Private to the client (http_client.c, http_events.c). */
#ifndef JIGD_HTTP_TRANSFER_H
#define JIGD_HTTP_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "http_client.h"

struct http_transfer;

/* Takes each piece of the body as it arrives. Returns true to go on; to
 * stop, returns http_transfer_done(t) or http_transfer_fail(t, ...). */
typedef bool (*http_body_fn)(struct http_transfer *t, const char *data, size_t len);

struct http_request {
    const char *method;         /* "GET", "POST", ... */
    const char *path;           /* under the client's URL, may hold a query */
    const char *body;           /* JSON, or NULL */
    size_t body_len;            /* 0: strlen(body) */
    const char *content_type;   /* of the body; NULL: application/json */
    const char *accept;         /* the Accept header */
    const char *last_event_id;  /* NULL = none */
    int idle_ms;                /* longest silence once connected */
    http_body_fn on_body;
    void *ctx;                  /* for on_body */
};

struct http_transfer {
    const struct http_client *client;
    const struct http_request *req;
    CURL *curl;
    struct curl_slist *headers;
    char *err;
    size_t errlen;
    /* The silence deadline: time of the last sign of life. */
    int64_t last_activity_ms;
    curl_off_t last_sent;
    bool connected, idle_expired;
    /* Set when on_body stopped the transfer on purpose. */
    bool stopped;
    int stop_status;
    char curl_error[CURL_ERROR_SIZE];
};

/* Readies libcurl once per process (thread-safe since libcurl 7.84). */
int http_transfer_global_init(char *err, size_t errlen);

/* Runs the request to its end and returns HTTP_CLIENT_OK or a status with
 * a sentence in err. *status gets the HTTP status (0 if none came);
 * content_type (may be NULL) the Content-Type. */
int http_transfer_run(const struct http_client *c, const struct http_request *req,
                      int *status, char *content_type, size_t ct_len,
                      char *err, size_t errlen);

/* For on_body: the HTTP status of the answer being read. */
int http_transfer_status(struct http_transfer *t);

/* For on_body: ends the transfer because the reader has what it wanted
 * (http_transfer_run returns HTTP_CLIENT_OK). Returns false. */
bool http_transfer_done(struct http_transfer *t);

/* For on_body: ends the transfer with `status` and a sentence. Returns false. */
bool http_transfer_fail(struct http_transfer *t, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
