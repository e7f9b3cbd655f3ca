/* Test harness: the API on a loop thread; see api_harness.h. */
#include "api_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void on_async(uv_async_t *a)
{
    struct harness *h = a->data;
    pthread_mutex_lock(&h->lock);
    void (*job)(struct harness *, void *) = h->job;
    void *arg = h->job_arg;
    pthread_mutex_unlock(&h->lock);
    if (!job)
        return;
    job(h, arg);
    pthread_mutex_lock(&h->lock);
    h->job = NULL;
    h->job_done = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

static void *loop_main(void *arg)
{
    struct harness *h = arg;
    uv_run(&h->loop, UV_RUN_DEFAULT);
    return NULL;
}

void harness_on_loop(struct harness *h, void (*fn)(struct harness *h, void *arg),
                     void *arg)
{
    pthread_mutex_lock(&h->lock);
    h->job = fn;
    h->job_arg = arg;
    h->job_done = false;
    pthread_mutex_unlock(&h->lock);
    uv_async_send(&h->async);
    pthread_mutex_lock(&h->lock);
    while (!h->job_done)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
}

struct harness *harness_start(const struct harness_options *opt)
{
    static const struct harness_options none;
    if (!opt)
        opt = &none;
    struct harness *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    uv_loop_init(&h->loop);
    uv_async_init(&h->loop, &h->async, on_async);
    h->async.data = h;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->bus = event_bus_new(opt->ring ? opt->ring : 1024, NULL);
    fake_station_init(&h->station, h->bus);
    struct api_backend be = fake_station_backend(&h->station);
    struct api_options ao = {
        .http = {.host = "127.0.0.1", .port = 0, .token = opt->token,
                 .trust_local = opt->trust_local, .max_body = opt->max_body,
                 .max_upload = opt->max_upload, .max_requests = opt->max_requests,
                 .body_timeout_ms = opt->body_timeout_ms},
        .sse = opt->sse,
        .web_ui_dir = opt->web_ui_dir,
    };
    char err[256];
    h->api = api_start(&h->loop, &ao, &be, h->bus, err, sizeof err);
    if (!h->api) {
        fprintf(stderr, "harness: %s\n", err);
        abort();
    }
    h->port = http_server_port(api_http_server(h->api));
    snprintf(h->url, sizeof h->url, "http://127.0.0.1:%u", h->port);
    if (http_client_init(&h->client, h->url, err, sizeof err))
        abort();
    h->client.timeout_ms = 20000;
    pthread_create(&h->thread, NULL, loop_main, h);
    return h;
}

static void on_api_stopped(void *ctx)
{
    struct harness *h = ctx;
    uv_close((uv_handle_t *)&h->async, NULL);
}

static void stop_job(struct harness *h, void *arg)
{
    api_stop(h->api, on_api_stopped, h);
}

void harness_stop(struct harness *h)
{
    /* The job's reply comes before the loop winds down; join waits for it. */
    harness_on_loop(h, stop_job, NULL);
    pthread_join(h->thread, NULL);
    uv_loop_close(&h->loop);
    event_bus_free(h->bus);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
}

struct count_job { size_t n; };

static void count_job(struct harness *h, void *arg)
{
    ((struct count_job *)arg)->n = api_sse_client_count(api_event_stream(h->api));
}

size_t harness_stream_count(struct harness *h)
{
    struct count_job j = {0};
    harness_on_loop(h, count_job, &j);
    return j.n;
}

struct progress_job { int slot; uint64_t done, total, id; unsigned n; };

static void progress_job(struct harness *h, void *arg)
{
    struct progress_job *j = arg;
    j->id = fake_station_progress(&h->station, j->slot, j->done, j->total);
}

uint64_t harness_publish_progress(struct harness *h, int slot, uint64_t done,
                                  uint64_t total)
{
    struct progress_job j = {.slot = slot, .done = done, .total = total};
    harness_on_loop(h, progress_job, &j);
    return j.id;
}

static void many_job(struct harness *h, void *arg)
{
    struct progress_job *j = arg;
    for (unsigned i = 0; i < j->n; i++)
        fake_station_progress(&h->station, j->slot, i + 1, j->n);
}

void harness_publish_many(struct harness *h, int slot, unsigned n)
{
    struct progress_job j = {.slot = slot, .n = n};
    harness_on_loop(h, many_job, &j);
}

bool harness_wait_streams(struct harness *h, size_t n, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if (harness_stream_count(h) == n)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

int harness_connect(struct harness *h)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(h->port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}
