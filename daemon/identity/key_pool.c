/* The key pool (see key_pool.h). One job per key: a uv_work_t that makes
 * it on a worker thread and hands it back to the loop, where it goes to the
 * oldest waiting request or into the pool. */
#include "key_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool_key {
    struct unit_key *key;
    struct pool_key *next;
};

struct key_job {
    uv_work_t work;
    struct key_pool *pool;
    struct key_job *next;       /* the pool's jobs, for cancelling at close */
    struct unit_key *key;       /* made on the worker */
    char err[160];
};

struct key_pool {
    uv_loop_t *loop;
    struct key_pool_options opt;
    struct pool_key *ready;     /* stack of made keys */
    unsigned n_ready;
    unsigned generating;
    struct key_job *jobs;
    unsigned dispatching;       /* callbacks running: the pool must outlive them */
    struct key_pool_req *wait_head, *wait_tail;
    unsigned n_waiting;
    unsigned long generated, served_at_once, served_later;
    bool failing;               /* the last generation failed: no retry until a take */
    bool closing;
    void (*closed)(void *);
    void *closed_data;
};

static void refill(struct key_pool *p);

static void generate_on_worker(uv_work_t *w)
{
    struct key_job *job = w->data;
    const struct key_pool_options *o = &job->pool->opt;
    if (o->on_generate)
        o->on_generate(o->on_generate_ctx);
    job->key = unit_key_generate(o->type, job->err, sizeof job->err);
}

static struct key_pool_req *dequeue(struct key_pool *p)
{
    struct key_pool_req *r = p->wait_head;
    if (r) {
        p->wait_head = r->next;
        if (!p->wait_head)
            p->wait_tail = NULL;
        r->next = NULL;
        r->pool = NULL;
        p->n_waiting--;
    }
    return r;
}

static void keep(struct key_pool *p, struct unit_key *key)
{
    struct pool_key *k = malloc(sizeof *k);
    if (!k) {
        unit_key_free(key);
        return;
    }
    k->key = key;
    k->next = p->ready;
    p->ready = k;
    p->n_ready++;
}

static void drain_ready(struct key_pool *p)
{
    while (p->ready) {
        struct pool_key *k = p->ready;
        p->ready = k->next;
        unit_key_free(k->key);
        free(k);
    }
    p->n_ready = 0;
}

static void finish_close_if_idle(struct key_pool *p)
{
    if (!p->closing || p->generating || p->dispatching)
        return;
    drain_ready(p);
    void (*closed)(void *) = p->closed;
    void *data = p->closed_data;
    free(p);
    if (closed)
        closed(data);
}

/* A callback may take again, cancel others or even close the pool. */
static void deliver(struct key_pool *p, struct key_pool_req *r, struct unit_key *key,
                    const char *err)
{
    p->dispatching++;
    r->cb(r, key, err);
    p->dispatching--;
}

static void forget_job(struct key_pool *p, struct key_job *job)
{
    struct key_job **at = &p->jobs;
    while (*at && *at != job)
        at = &(*at)->next;
    if (*at)
        *at = job->next;
    p->generating--;
}

static void key_made(uv_work_t *w, int status)
{
    struct key_job *job = w->data;
    struct key_pool *p = job->pool;
    struct unit_key *key = job->key;
    forget_job(p, job);
    if (status == UV_ECANCELED || p->closing) {
        unit_key_free(key);
    } else if (!key) {
        p->failing = true;
        struct key_pool_req *r = dequeue(p);
        if (r)
            deliver(p, r, NULL, job->err);
    } else {
        p->generated++;
        p->failing = false;
        struct key_pool_req *r = dequeue(p);
        if (r) {
            p->served_later++;
            deliver(p, r, key, NULL);
        } else {
            keep(p, key);
        }
    }
    free(job);
    if (p->closing)
        finish_close_if_idle(p);
    else
        refill(p);
}

/* Keeps `size` keys ready beyond those the waiting requests will take, with
 * at most `workers` being made at once. */
static void refill(struct key_pool *p)
{
    while (!p->closing && !p->failing && p->generating < p->opt.workers &&
           p->n_ready + p->generating < p->opt.size + p->n_waiting) {
        struct key_job *job = calloc(1, sizeof *job);
        if (!job)
            return;
        job->pool = p;
        job->work.data = job;
        if (uv_queue_work(p->loop, &job->work, generate_on_worker, key_made) != 0) {
            free(job);
            return;
        }
        job->next = p->jobs;
        p->jobs = job;
        p->generating++;
    }
}

struct key_pool *key_pool_new(uv_loop_t *loop, const struct key_pool_options *o, char *err,
                              size_t errlen)
{
    if (o->size < 1 || o->workers < 1) {
        snprintf(err, errlen, "the key pool needs a size and a number of workers of at least "
                 "1 (got %u and %u)", o->size, o->workers);
        return NULL;
    }
    struct key_pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory for the key pool");
        return NULL;
    }
    p->loop = loop;
    p->opt = *o;
    refill(p);
    return p;
}

struct unit_key *key_pool_take(struct key_pool *p, struct key_pool_req *req,
                               key_pool_ready_cb cb)
{
    p->failing = false;     /* a take is a new reason to try again */
    if (p->ready && !p->closing) {
        struct pool_key *k = p->ready;
        struct unit_key *key = k->key;
        p->ready = k->next;
        p->n_ready--;
        free(k);
        p->served_at_once++;
        refill(p);
        return key;
    }
    req->cb = cb;
    req->next = NULL;
    req->pool = p;
    if (p->closing) {
        req->pool = NULL;
        deliver(p, req, NULL, "the key pool is closing");
        return NULL;
    }
    if (p->wait_tail)
        p->wait_tail->next = req;
    else
        p->wait_head = req;
    p->wait_tail = req;
    p->n_waiting++;
    refill(p);
    return NULL;
}

bool key_pool_cancel(struct key_pool_req *req)
{
    struct key_pool *p = req->pool;
    if (!p)
        return false;
    struct key_pool_req **at = &p->wait_head, *prev = NULL;
    while (*at && *at != req) {
        prev = *at;
        at = &(*at)->next;
    }
    if (!*at)
        return false;
    *at = req->next;
    if (p->wait_tail == req)
        p->wait_tail = prev;
    req->next = NULL;
    req->pool = NULL;
    p->n_waiting--;
    return true;
}

void key_pool_stats(const struct key_pool *p, struct key_pool_stats *s)
{
    s->ready = p->n_ready;
    s->generating = p->generating;
    s->waiting = p->n_waiting;
    s->generated = p->generated;
    s->served_at_once = p->served_at_once;
    s->served_later = p->served_later;
}

void key_pool_close(struct key_pool *p, void (*closed)(void *data), void *data)
{
    if (p->closing)
        return;     /* a second close (e.g. from a callback of the first) */
    p->closing = true;
    p->closed = closed;
    p->closed_data = data;
    p->dispatching++;
    struct key_pool_req *r;
    while ((r = dequeue(p)))
        deliver(p, r, NULL, "the key pool is closing");
    drain_ready(p);
    /* Jobs not yet started are cancelled; their after-work callback still
     * runs (with UV_ECANCELED), and the last one ends the close. Running
     * ones cannot be stopped and are waited for. */
    for (struct key_job *j = p->jobs; j; j = j->next)
        uv_cancel((uv_req_t *)&j->work);
    p->dispatching--;
    finish_close_if_idle(p);
}
