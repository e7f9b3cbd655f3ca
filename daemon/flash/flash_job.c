/* One board's job on the loop: the glue between a loader and a port.
 *
 * The loader says what to do (send, set lines, change rate, flush) and when
 * to wake it (loader_deadline); the port brings bytes. job_drive() is the
 * one place that asks the loader for events and acts on them; it runs
 * after every input, every timer and every step start. This file is the
 * job's life; flash_job_internal.h lists the others. See flash_job.h. */
#include "flash_job_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "stub_cache.h"

uint64_t job_now_us(void)
{
    return uv_hrtime() / 1000;
}

struct flash_job_step *job_current(struct flash_job *j)
{
    return &j->steps[j->cur];
}

/* ---- ending ------------------------------------------------------------ */

void job_one_closed(struct flash_job *j)
{
    if (--j->closes_pending > 0)
        return;
    j->state = JOB_DONE;
    /* Last thing we do: the owner may free the job inside on_done. */
    j->cb->on_done(j, j->failed ? &j->error : NULL);
}

static void on_timer_closed(uv_handle_t *h)
{
    job_one_closed(h->data);
}

void job_end(struct flash_job *j)
{
    if (j->state != JOB_RUNNING)
        return;
    j->state = JOB_ENDING;
    if (j->cur < j->n_steps && j->steps[j->cur].started_us && !j->steps[j->cur].ended_us)
        j->steps[j->cur].ended_us = job_now_us();
    j->closes_pending = 1 + (j->port != NULL);
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    if (j->port)
        port_close(j->port);
}

void job_fail(struct flash_job *j, int code, const char *fmt, ...)
{
    if (j->state != JOB_RUNNING)
        return;
    j->failed = true;
    j->error.phase = flash_job_step_phase(job_current(j)->kind);
    j->error.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->error.message, sizeof j->error.message, fmt, ap);
    va_end(ap);
    job_end(j);
}

void job_fail_loader(struct flash_job *j)
{
    if (j->state != JOB_RUNNING)
        return;
    j->failed = true;
    j->error = *loader_error(&j->loader);
    job_end(j);
}

/* ---- life cycle -------------------------------------------------------- */

struct flash_job *flash_job_new(uv_loop_t *loop, const struct flash_job_config *cfg,
                                const struct flash_job_callbacks *cb, void *owner,
                                char *err, size_t errlen)
{
    if (cfg->action == FLASH_JOB_WRITE && cfg->n_regions == 0) {
        snprintf(err, errlen, "nothing to write");
        return NULL;
    }
    if (cfg->reset == LOADER_RESET_GPIO && !cfg->reset_lines) {
        snprintf(err, errlen, "reset = gpio needs the EN/IO0 lines");
        return NULL;
    }
    if (cfg->action == FLASH_JOB_READ && !cfg->read_dst) {
        snprintf(err, errlen, "read needs a destination buffer");
        return NULL;
    }
    struct flash_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->cfg = *cfg;
    j->cb = cb;
    j->owner = owner;
    j->loop = loop;
    if (job_plan(j, err, errlen) < 0) {
        free(j);
        return NULL;
    }
    job_hash_regions(j, false);
    struct loader_config lc;
    loader_config_default(&lc);
    lc.reset = cfg->reset;
    if (cfg->connect_attempts > 0)
        lc.connect_attempts = cfg->connect_attempts;
    if (cfg->sync_tries > 0)
        lc.sync_tries = cfg->sync_tries;
    loader_init(&j->loader, &lc);
    return j;
}

int flash_job_start(struct flash_job *j)
{
    if (j->state != JOB_NEW)
        return -1;
    j->state = JOB_RUNNING;
    uv_timer_init(j->loop, &j->timer);
    j->timer.data = j;
    j->cur = 0;
    j->steps[0].started_us = job_now_us();

    char err[200];
    j->port = port_new(j->loop, j->cfg.port, &job_port_callbacks, j, err, sizeof err);
    if (!j->port) {
        job_fail(j, LOADER_ERR_PORT, "%s", err);
        return 0;
    }
    if (port_open(j->port) < 0)
        job_fail(j, LOADER_ERR_PORT, "cannot open the port: %s", j->port->error);
    return 0;
}

void flash_job_hold(struct flash_job *j)
{
    j->held = true;
}

void flash_job_resume(struct flash_job *j)
{
    if (!j->held || j->state != JOB_RUNNING)
        return;
    j->held = false;
    job_hash_regions(j, true);
    job_next_step(j);
    if (j->state == JOB_RUNNING)
        job_drive(j);
}

void flash_job_cancel(struct flash_job *j)
{
    job_fail(j, LOADER_ERR_CANCELLED, "cancelled during %s",
             flash_job_step_name(job_current(j)->kind));
}

void flash_job_free(struct flash_job *j)
{
    if (!j)
        return;
    /* Freeing a running job would leave handles pointing at freed memory. */
    if (j->state == JOB_RUNNING || j->state == JOB_ENDING)
        abort();
    stub_cache_release(j->stub);
    free(j);
}

/* ---- what the caller may read ------------------------------------------ */

void *flash_job_owner(const struct flash_job *j)
{
    return j->owner;
}

const struct loader_chip_info *flash_job_chip(const struct flash_job *j)
{
    return loader_info(&j->loader);
}

const uint8_t *flash_job_md5(const struct flash_job *j)
{
    return loader_md5(&j->loader);
}

bool flash_job_stub_running(const struct flash_job *j)
{
    return loader_stub_running(&j->loader);
}

uint64_t flash_job_turnaround_us(const struct flash_job *j, uint64_t *count)
{
    *count = j->turnarounds;
    return j->turnaround_us;
}

const struct flash_job_step *flash_job_steps(const struct flash_job *j, size_t *n)
{
    *n = j->n_steps;
    return j->steps;
}
