/* Bundle lifetime: references, swapping the active bundle, and loading on a
 * worker thread so that reading, hashing and compressing megabytes never
 * stalls the loop that drives the ports. */
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_internal.h"

struct bundle *bundle_ref(struct bundle *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void bundle_unref(struct bundle *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    bundle_free(b);
}

void bundle_swap(struct bundle **active, struct bundle *next)
{
    struct bundle *old = *active;
    *active = next;
    bundle_unref(old);
}

const struct bundle_part *bundle_find_part(const struct bundle *b,
                                           enum bundle_role role)
{
    for (size_t i = 0; i < b->n_parts; i++)
        if (b->parts[i].role == role)
            return &b->parts[i];
    return NULL;
}

bool bundle_app_fits_revision(const struct bundle *b, int rev, char *why,
                              size_t cap)
{
    unsigned min = b->app.min_rev_full, max = b->app.max_rev_full;
    bool has_max = max != 0 && max != 0xFFFF;
    if (rev >= (int)min && (!has_max || rev <= (int)max))
        return true;
    snprintf(why, cap, "chip revision v%d.%d is %s than %s %s accepts (v%u.%u%s); "
             "use boards of a supported revision or a firmware built for them",
             rev / 100, rev % 100, rev < (int)min ? "older" : "newer",
             b->name, b->version, rev < (int)min ? min / 100 : max / 100,
             rev < (int)min ? min % 100 : max % 100,
             rev < (int)min ? " or later" : " at most");
    return false;
}

struct bundle *bundle_new(const char *dir, size_t n_parts)
{
    struct bundle *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->dir = strdup(dir);
    b->parts = calloc(n_parts ? n_parts : 1, sizeof *b->parts);
    b->n_parts = n_parts;
    if (!b->dir || !b->parts) {
        bundle_free(b);
        return NULL;
    }
    return b;
}

void bundle_free(struct bundle *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->parts && i < b->n_parts; i++) {
        free((void *)b->parts[i].region.data);
        free((void *)b->parts[i].region.zdata);
    }
    free(b->parts);
    free(b->dir);
    free(b);
}

/* ---- loading on a worker thread ---------------------------------------- */

struct load_work {
    uv_work_t req;
    char *dir;
    bundle_ready_cb cb;
    void *arg;
    struct bundle *result;
    char err[512];
};

static void load_in_worker(uv_work_t *req)
{
    struct load_work *w = req->data;
    struct bundle *b = NULL;
    if (bundle_load(w->dir, &b, w->err, sizeof w->err))
        return;
    if (bundle_compress(b, w->err, sizeof w->err)) {
        bundle_unref(b);
        return;
    }
    w->result = b;
}

static void on_load_done(uv_work_t *req, int status)
{
    struct load_work *w = req->data;
    if (status == UV_ECANCELED) {
        snprintf(w->err, sizeof w->err, "%s: loading was cancelled", w->dir);
        bundle_unref(w->result);
        w->result = NULL;
    }
    w->cb(w->result, w->result ? NULL : w->err, w->arg);
    free(w->dir);
    free(w);
}

int bundle_load_async(uv_loop_t *loop, const char *dir, bundle_ready_cb cb,
                      void *arg)
{
    struct load_work *w = calloc(1, sizeof *w);
    if (!w)
        return UV_ENOMEM;
    w->dir = strdup(dir);
    if (!w->dir) {
        free(w);
        return UV_ENOMEM;
    }
    w->req.data = w;
    w->cb = cb;
    w->arg = arg;
    int rc = uv_queue_work(loop, &w->req, load_in_worker, on_load_done);
    if (rc) {
        free(w->dir);
        free(w);
    }
    return rc;
}
