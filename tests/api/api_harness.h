/* Runs the API (on fake_station) on an ephemeral port in a loop thread, so
 * a test's main thread can be the client. Anything that touches the loop's
 * objects (publishing, counting streams) goes through harness_on_loop. */
#ifndef JIGD_TESTS_API_HARNESS_H
#define JIGD_TESTS_API_HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "fake_station.h"
#include "http_client.h"

struct harness {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void (*job)(struct harness *h, void *arg);
    void *job_arg;
    bool job_done;
    struct event_bus *bus;
    struct fake_station station;
    struct api *api;
    uint16_t port;
    char url[64];
    struct http_client client;
};

struct harness_options {
    const char *token;
    bool trust_local;       /* no token, yet state changes from this machine */
    size_t ring;            /* event bus capacity; 0 = 1024 */
    struct api_sse_options sse;
    size_t max_body;
    size_t max_upload;          /* 0 = the server's default */
    unsigned max_requests;      /* 0 = the server's default */
    unsigned body_timeout_ms;   /* 0 = the server's default */
    const char *web_ui_dir;     /* the dashboard's files; NULL = none */
};

struct harness *harness_start(const struct harness_options *opt);
void harness_stop(struct harness *h);

/* Runs fn(h, arg) on the loop thread and waits for it. */
void harness_on_loop(struct harness *h, void (*fn)(struct harness *h, void *arg),
                     void *arg);

/* Convenience, each done on the loop thread. */
size_t harness_stream_count(struct harness *h);
uint64_t harness_publish_progress(struct harness *h, int slot, uint64_t done,
                                  uint64_t total);
void harness_publish_many(struct harness *h, int slot, unsigned n);

/* Waits (up to timeout_ms, polling) until the number of open event streams
 * is `n`. Returns true if it was reached. */
bool harness_wait_streams(struct harness *h, size_t n, int timeout_ms);

/* A raw TCP connection to the server, for malformed requests. */
int harness_connect(struct harness *h);

#endif
