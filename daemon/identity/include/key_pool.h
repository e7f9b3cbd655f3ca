/* Keys made ahead of need: a pool of unit keys, refilled in the background
 * on libuv's thread pool, so that a board never waits for a key to be
 * generated (RSA-2048 can take seconds on a Raspberry Pi).
 *
 * Everything but the generation itself runs on the loop thread: take,
 * cancel and the callbacks. Keys wait in the pool as mbedTLS contexts and
 * are zeroised when freed, including those still there at close. */
#ifndef JIGD_KEY_POOL_H
#define JIGD_KEY_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "unit_key.h"

struct key_pool;
struct key_pool_req;

/* A key for the request (now the caller's: free it with unit_key_free), or
 * NULL and a reason (the pool is closing, or generation failed). Called on
 * the loop thread. */
typedef void (*key_pool_ready_cb)(struct key_pool_req *req, struct unit_key *key,
                                  const char *err);

/* A waiting take. Owned by the caller (embed it in the slot) and left alone
 * until its callback has run or it was cancelled. */
struct key_pool_req {
    key_pool_ready_cb cb;
    void *data;                         /* the caller's */
    struct key_pool_req *next;          /* private */
    struct key_pool *pool;              /* private */
};

struct key_pool_options {
    enum unit_key_type type;
    unsigned size;          /* keys kept ready (>= 1) */
    unsigned workers;       /* generations at once (>= 1; libuv's pool has 4 threads) */
    /* Called on the worker thread before each generation: for tests and
     * metrics (e.g. to see which thread does the work). May be NULL. */
    void (*on_generate)(void *ctx);
    void *on_generate_ctx;
};

struct key_pool_stats {
    unsigned ready;         /* keys in the pool */
    unsigned generating;    /* on worker threads now */
    unsigned waiting;       /* takes not yet served */
    unsigned long generated;/* since the pool was made */
    unsigned long served_at_once, served_later;
};

/* Makes the pool and starts filling it. NULL with err for bad options. */
struct key_pool *key_pool_new(uv_loop_t *loop, const struct key_pool_options *o, char *err,
                              size_t errlen);

/* Takes a key: returns one at once when the pool has one (the request is
 * not used), else NULL, queues the request, and calls req->cb when a key is
 * made. Either way the pool starts refilling. */
struct unit_key *key_pool_take(struct key_pool *p, struct key_pool_req *req,
                               key_pool_ready_cb cb);

/* Withdraws a queued request (the slot gave up); its callback will not run.
 * Returns false if it was not queued. */
bool key_pool_cancel(struct key_pool_req *req);

void key_pool_stats(const struct key_pool *p, struct key_pool_stats *s);

/* Closes the pool: queued requests get their callback with NULL and
 * "closing", generation still running is waited for, every key is
 * zeroised and freed, then `closed` runs (on the loop) and the pool is gone.
 * The loop must keep running until then. */
void key_pool_close(struct key_pool *p, void (*closed)(void *data), void *data);

#endif
