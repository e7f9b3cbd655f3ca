/* The key pool: fills to its size on libuv's worker threads (never on the
 * loop's), serves a burst of takes larger than itself (some at once, the
 * rest by callback), refills, cancels, and closes cleanly with requests
 * waiting and keys still being made (ASan checks that every key is freed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/pk.h>
#include <uv.h>

#include "key_pool.h"

#define DEADLINE_MS 60000
#define MAX_KEYS 16

/* Which threads made keys, recorded by the pool's on_generate hook. */
struct thread_log {
    uv_mutex_t lock;
    uv_thread_t threads[64];
    unsigned n;
};

static void record_thread(void *ctx)
{
    struct thread_log *log = ctx;
    uv_mutex_lock(&log->lock);
    if (log->n < 64)
        log->threads[log->n++] = uv_thread_self();
    uv_mutex_unlock(&log->lock);
}

struct fixture {
    uv_loop_t loop;
    uv_thread_t loop_thread;
    struct thread_log log;
    struct key_pool *pool;
    bool closed;
};

struct taker {
    struct key_pool_req req;
    struct unit_key *key;
    char err[160];
    int calls;
};

static void on_key(struct key_pool_req *req, struct unit_key *key, const char *err)
{
    struct taker *t = req->data;
    t->calls++;
    t->key = key;
    snprintf(t->err, sizeof t->err, "%s", err ? err : "");
}

static void on_deadline(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

/* Runs the loop until done(ctx) or the deadline; fails the test on the
 * deadline rather than hanging. */
static void run_until(struct fixture *f, bool (*done)(void *), void *ctx, const char *what)
{
    bool late = false;
    uv_timer_t timer;
    uv_timer_init(&f->loop, &timer);
    timer.data = &late;
    uv_timer_start(&timer, on_deadline, DEADLINE_MS, 0);
    while (!done(ctx) && !late)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&timer, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    if (late)
        fail_msg("no %s within %d s", what, DEADLINE_MS / 1000);
}

static struct fixture *make(unsigned size, unsigned workers, enum unit_key_type type)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    f->loop_thread = uv_thread_self();
    assert_int_equal(uv_mutex_init(&f->log.lock), 0);
    struct key_pool_options o = {
        .type = type, .size = size, .workers = workers,
        .on_generate = record_thread, .on_generate_ctx = &f->log,
    };
    char err[200];
    f->pool = key_pool_new(&f->loop, &o, err, sizeof err);
    assert_non_null(f->pool);
    return f;
}

static void on_closed(void *data)
{
    ((struct fixture *)data)->closed = true;
}

static bool is_closed(void *ctx)
{
    return ((struct fixture *)ctx)->closed;
}

static void destroy(struct fixture *f)
{
    if (!f->closed) {
        key_pool_close(f->pool, on_closed, f);
        run_until(f, is_closed, f, "close");
    }
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    uv_mutex_destroy(&f->log.lock);
    free(f);
}

struct fill_goal {
    struct key_pool *pool;
    unsigned ready;
};

static bool pool_filled(void *ctx)
{
    struct fill_goal *g = ctx;
    struct key_pool_stats s;
    key_pool_stats(g->pool, &s);
    return s.ready >= g->ready && s.generating == 0;
}

static void wait_filled(struct fixture *f, unsigned ready)
{
    struct fill_goal g = {f->pool, ready};
    run_until(f, pool_filled, &g, "full pool");
}

static void fills_to_its_size_off_the_loop_thread(void **state)
{
    struct fixture *f = make(3, 2, UNIT_KEY_EC_P256);
    wait_filled(f, 3);
    struct key_pool_stats s;
    key_pool_stats(f->pool, &s);
    assert_int_equal(s.ready, 3);
    assert_int_equal(s.generated, 3);   /* and no more than its size */
    assert_int_equal(f->log.n, 3);
    for (unsigned i = 0; i < f->log.n; i++)
        assert_false(uv_thread_equal(&f->log.threads[i], &f->loop_thread));
    destroy(f);
}

/* The public half, to tell keys apart. */
static size_t public_der(struct unit_key *k, unsigned char *out, size_t cap)
{
    int n = mbedtls_pk_write_pubkey_der(unit_key_pk(k), out, cap);
    assert_true(n > 0);
    memmove(out, out + cap - (size_t)n, (size_t)n);
    return (size_t)n;
}

struct burst {
    struct taker *t;
    unsigned n;
};

static bool all_served(void *ctx)
{
    struct burst *b = ctx;
    for (unsigned i = 0; i < b->n; i++)
        if (!b->t[i].key)
            return false;
    return true;
}

static void a_burst_larger_than_the_pool_is_served(void **state)
{
    enum { N = 10, SIZE = 3 };
    struct fixture *f = make(SIZE, 2, UNIT_KEY_EC_P256);
    wait_filled(f, SIZE);

    struct taker t[N];
    memset(t, 0, sizeof t);
    unsigned at_once = 0;
    for (unsigned i = 0; i < N; i++) {
        t[i].req.data = &t[i];
        t[i].key = key_pool_take(f->pool, &t[i].req, on_key);
        if (t[i].key)
            at_once++;
    }
    assert_int_equal(at_once, SIZE);
    struct key_pool_stats s;
    key_pool_stats(f->pool, &s);
    assert_int_equal(s.waiting, N - SIZE);
    assert_true(s.generating >= 1 && s.generating <= 2);

    struct burst b = {t, N};
    run_until(f, all_served, &b, "key for every take");
    key_pool_stats(f->pool, &s);
    assert_int_equal(s.served_at_once, SIZE);
    assert_int_equal(s.served_later, N - SIZE);
    assert_int_equal(s.waiting, 0);
    for (unsigned i = 0; i < N; i++)
        assert_int_equal(t[i].calls, t[i].key && i < SIZE ? 0 : 1);

    unsigned char der[N][200];
    size_t len[N];
    for (unsigned i = 0; i < N; i++) {
        len[i] = public_der(t[i].key, der[i], sizeof der[i]);
        for (unsigned j = 0; j < i; j++)
            assert_false(len[i] == len[j] && memcmp(der[i], der[j], len[i]) == 0);
    }

    /* and it fills up again behind the burst, still off the loop thread */
    wait_filled(f, SIZE);
    for (unsigned i = 0; i < f->log.n; i++)
        assert_false(uv_thread_equal(&f->log.threads[i], &f->loop_thread));
    assert_int_equal(f->log.n, N + SIZE);
    for (unsigned i = 0; i < N; i++)
        unit_key_free(t[i].key);
    destroy(f);
}

static bool first_served(void *ctx)
{
    return ((struct taker *)ctx)->calls > 0;
}

static void a_waiting_take_can_be_cancelled(void **state)
{
    struct fixture *f = make(1, 1, UNIT_KEY_EC_P256);
    struct taker a = {.req.data = &a}, b = {.req.data = &b};
    /* Just made: its first key is still being generated. */
    assert_null(key_pool_take(f->pool, &a.req, on_key));
    assert_null(key_pool_take(f->pool, &b.req, on_key));
    assert_true(key_pool_cancel(&b.req));
    assert_false(key_pool_cancel(&b.req));
    run_until(f, first_served, &a, "key for the first take");
    assert_non_null(a.key);
    wait_filled(f, 1);
    assert_int_equal(b.calls, 0);
    assert_false(key_pool_cancel(&a.req));     /* served: nothing to cancel */
    unit_key_free(a.key);
    destroy(f);
}

static void closing_answers_waiters_and_frees_every_key(void **state)
{
    struct fixture *f = make(2, 2, UNIT_KEY_EC_P256);
    struct taker t[3];
    memset(t, 0, sizeof t);
    for (unsigned i = 0; i < 3; i++) {
        t[i].req.data = &t[i];
        assert_null(key_pool_take(f->pool, &t[i].req, on_key));
    }
    key_pool_close(f->pool, on_closed, f);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(t[i].calls, 1);
        assert_null(t[i].key);
        assert_non_null(strstr(t[i].err, "closing"));
    }
    /* Keys being made when it closed are waited for, then freed (ASan's
     * leak check fails the test otherwise). */
    run_until(f, is_closed, f, "close");
    destroy(f);
}

static void rsa_keys_come_from_the_pool_too(void **state)
{
    struct fixture *f = make(1, 1, UNIT_KEY_RSA_2048);
    struct taker t = {.req.data = &t};
    struct unit_key *k = key_pool_take(f->pool, &t.req, on_key);
    if (!k) {
        run_until(f, first_served, &t, "RSA key");
        k = t.key;
    }
    assert_non_null(k);
    assert_int_equal(unit_key_type(k), UNIT_KEY_RSA_2048);
    assert_int_equal(mbedtls_pk_get_bitlen(unit_key_pk(k)), 2048);
    unit_key_free(k);
    destroy(f);
}

static void bad_options_are_refused(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct key_pool_options o = {.type = UNIT_KEY_EC_P256, .size = 0, .workers = 1};
    char err[200];
    assert_null(key_pool_new(&loop, &o, err, sizeof err));
    assert_non_null(strstr(err, "at least 1"));
    uv_loop_close(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fills_to_its_size_off_the_loop_thread),
        cmocka_unit_test(a_burst_larger_than_the_pool_is_served),
        cmocka_unit_test(a_waiting_take_can_be_cancelled),
        cmocka_unit_test(closing_answers_waiters_and_frees_every_key),
        cmocka_unit_test(rsa_keys_come_from_the_pool_too),
        cmocka_unit_test(bad_options_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
