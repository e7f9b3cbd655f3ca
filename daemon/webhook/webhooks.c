/* The webhook lanes (webhooks.h): one per receiver, each a small state
 * machine on the loop -- look in the outbox, wait for a retry that is not
 * due yet, POST on the thread pool, book the answer, look again. */
#include "webhooks.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>

#include "log_line.h"
#include "webhook_post.h"

#define POLL_MS 1000                /* an idle lane looks this often */
#define FIRST_RETRY_MS 1000
#define LAST_RETRY_MS (5 * 60 * 1000)
#define SECRET_MAX 256

struct lane {
    struct webhooks *owner;
    const struct webhook_config *cfg;
    char secret[SECRET_MAX];
    uv_timer_t timer;
    uv_work_t work;
    bool posting;
    bool failing;                   /* the last try failed: said once in the log */
    struct sdb_outbox_item item;
    struct webhook_post post;
};

struct webhooks {
    uv_loop_t *loop;
    struct station_db *db;
    atomic_bool stopping;
    size_t n;
    struct lane lanes[CONFIG_MAX_WEBHOOKS];
    int open_handles;               /* lane timers, and POSTs on the thread pool */
    void (*done)(void *ctx);
    void *done_ctx;
};

static void look(struct lane *l);

static void on_timer(uv_timer_t *t)
{
    look(t->data);
}

static void wait_then_look(struct lane *l, uint64_t ms)
{
    if (!atomic_load(&l->owner->stopping))
        uv_timer_start(&l->timer, on_timer, ms, 0);
}

/* 1 s, 2 s, 4 s, ... 5 min. */
static int64_t backoff_ms(int64_t tries)
{
    int64_t ms = FIRST_RETRY_MS;
    for (int64_t i = 0; i < tries && ms < LAST_RETRY_MS; i++)
        ms *= 2;
    return ms < LAST_RETRY_MS ? ms : LAST_RETRY_MS;
}

static void on_post(uv_work_t *req)
{
    struct lane *l = req->data;
    webhook_post_run(&l->post);
}

/* Says in the log when a receiver stops answering and when it is back,
 * not at every retry of a receiver that is down for a day. */
static void say_health(struct lane *l, bool ok)
{
    if (ok && l->failing)
        log_line("jigd: webhook %s: delivering again (%s)", l->cfg->name, l->post.error);
    else if (!ok && !l->failing)
        log_line("jigd: webhook %s: delivery of %s failed: %s; retrying with backoff "
                 "(jigctl webhook list shows the backlog)", l->cfg->name, l->item.key,
                 l->post.error);
    l->failing = !ok;
}

static void book(struct lane *l)
{
    struct station_db *db = l->owner->db;
    bool ok = l->post.status >= 200 && l->post.status < 300;
    int64_t retry = backoff_ms(l->item.tries);
    int rc = ok ? sdb_outbox_delivered(db, l->item.id, (int)l->post.status)
                : sdb_outbox_failed(db, l->item.id, (int)l->post.status, l->post.error, retry);
    if (rc != SDB_OK)
        log_line("jigd: webhook %s: cannot book delivery %lld: %s", l->cfg->name,
                 (long long)l->item.id, sdb_errmsg(db));
    say_health(l, ok);
    sdb_outbox_item_free(&l->item);
    wait_then_look(l, ok ? 0 : (uint64_t)retry);
}

static void let_go(struct webhooks *w)
{
    if (--w->open_handles == 0 && w->done)
        w->done(w->done_ctx);
}

static void after_post(uv_work_t *req, int status)
{
    struct lane *l = req->data;
    l->posting = false;
    if (status == UV_ECANCELED || atomic_load(&l->owner->stopping)) {
        sdb_outbox_item_free(&l->item);     /* still owed: the next start sends it */
        let_go(l->owner);
        return;
    }
    l->owner->open_handles--;
    book(l);
}

static void send_item(struct lane *l)
{
    l->post = (struct webhook_post){.url = l->cfg->url, .body = l->item.body,
                                    .event = l->item.event, .key = l->item.key,
                                    .delivery = (long long)l->item.id,
                                    .timeout_s = l->cfg->timeout_s,
                                    .stopping = &l->owner->stopping};
    if (webhook_sign(l->secret, l->item.body, l->post.signature) < 0) {
        log_line("jigd: webhook %s: cannot sign delivery %lld", l->cfg->name,
                 (long long)l->item.id);
        sdb_outbox_item_free(&l->item);
        wait_then_look(l, POLL_MS);
        return;
    }
    l->work.data = l;
    l->posting = true;
    l->owner->open_handles++;
    if (uv_queue_work(l->owner->loop, &l->work, on_post, after_post) != 0) {
        l->owner->open_handles--;
        l->posting = false;
        sdb_outbox_item_free(&l->item);
        wait_then_look(l, POLL_MS);
    }
}

static void look(struct lane *l)
{
    if (l->posting || atomic_load(&l->owner->stopping))
        return;
    int rc = sdb_outbox_next(l->owner->db, l->cfg->name, &l->item);
    if (rc == SDB_NOT_FOUND) {
        wait_then_look(l, POLL_MS);
        return;
    }
    if (rc != SDB_OK) {
        log_line("jigd: webhook %s: cannot read the outbox: %s", l->cfg->name,
                 sdb_errmsg(l->owner->db));
        wait_then_look(l, POLL_MS);
        return;
    }
    if (l->item.wait_ms > 0) {
        uint64_t ms = (uint64_t)l->item.wait_ms;
        sdb_outbox_item_free(&l->item);
        wait_then_look(l, ms < POLL_MS ? ms : POLL_MS);   /* a retry now is seen soon */
        return;
    }
    send_item(l);
}

struct webhooks *webhooks_start(uv_loop_t *loop, const struct jigd_config *cfg,
                                struct station_db *db, char *err, size_t errlen)
{
    struct webhooks *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *w = (struct webhooks){.loop = loop, .db = db, .n = cfg->n_webhooks};
    atomic_init(&w->stopping, false);
    for (size_t i = 0; i < w->n; i++) {
        struct lane *l = &w->lanes[i];
        char why[300];
        l->owner = w;
        l->cfg = &cfg->webhooks[i];
        if (config_read_secret_file("secret_file", l->cfg->secret_file, l->secret,
                                    sizeof l->secret, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s:%d: [webhook %s] %s", cfg->path, l->cfg->line,
                     l->cfg->name, why);
            webhooks_free(w);
            return NULL;
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        struct lane *l = &w->lanes[i];
        uv_timer_init(loop, &l->timer);
        l->timer.data = l;
        w->open_handles++;
        wait_then_look(l, 0);
    }
    return w;
}

void webhooks_kick(struct webhooks *w)
{
    for (size_t i = 0; w && i < w->n; i++)
        if (!w->lanes[i].posting && uv_is_active((uv_handle_t *)&w->lanes[i].timer))
            wait_then_look(&w->lanes[i], 0);
}

static void on_closed(uv_handle_t *h)
{
    struct lane *l = h->data;
    let_go(l->owner);
}

void webhooks_stop(struct webhooks *w, void (*done)(void *ctx), void *ctx)
{
    atomic_store(&w->stopping, true);
    w->done = done;
    w->done_ctx = ctx;
    if (w->open_handles == 0) {
        if (done)
            done(ctx);
        return;
    }
    /* A POST under way sees `stopping` and ends within its next progress
     * call; `done` waits for its after_post too. */
    for (size_t i = 0; i < w->n; i++)
        uv_close((uv_handle_t *)&w->lanes[i].timer, on_closed);
}

void webhooks_free(struct webhooks *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        mbedtls_platform_zeroize(w->lanes[i].secret, sizeof w->lanes[i].secret);
    free(w);
}
