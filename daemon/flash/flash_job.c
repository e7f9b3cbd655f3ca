/* One board's job on the loop: the glue between a loader and a port.
 *
 * The loader says what to do (send, set lines, change rate, flush) and when
 * to wake it (loader_deadline); the port brings bytes. drive() is the one
 * place that asks the loader for events and acts on them; it runs after
 * every input, every timer and every step start. See flash_job.h. */
#include "flash_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "mbedtls_compat.h"
#include "port.h"
#include "reset_gpio.h"
#include "stub_cache.h"

enum job_state {
    JOB_NEW,
    JOB_RUNNING,
    JOB_ENDING,             /* closing the port and the timer */
    JOB_DONE,               /* on_done has run */
};

struct flash_job {
    struct flash_job_config cfg;
    const struct flash_job_callbacks *cb;
    void *owner;
    uv_loop_t *loop;
    enum job_state state;

    struct port *port;
    uv_timer_t timer;
    int closes_pending;

    struct flash_job_step steps[FLASH_JOB_MAX_STEPS];
    size_t n_steps, cur;
    bool driving;           /* inside drive(): don't recurse */

    /* How long we take to answer the board: from a read that completes a
     * reply to the next send it causes (our share of every round trip). */
    uint64_t fed_at_us;     /* 0 outside on_port_data */
    uint64_t turnaround_us, turnarounds;

    struct loader_error error;
    bool failed;
    const struct stub_image *stub;  /* from the stub cache; the loader points into it */

    /* A step that waits on its own (blink pauses, boot log) wakes at this
     * time; 0 = none. The one timer serves it and the loader's deadline. */
    uint64_t step_wake_us;
    uint64_t blink_end_us;
    bool led_on;            /* BLINK: what the last register write set */
    bool held;              /* after identify, until flash_job_resume */

    struct loader loader;   /* large: last, so the fields above stay close */
};

static const char *const step_names[] = {
    [STEP_OPEN] = "open port",
    [STEP_CONNECT] = "connect",
    [STEP_IDENTIFY] = "identify",
    [STEP_STUB] = "stub upload",
    [STEP_BAUD] = "baud change",
    [STEP_WRITE] = "write",
    [STEP_VERIFY] = "verify",
    [STEP_MD5] = "md5",
    [STEP_READ] = "read",
    [STEP_ERASE] = "erase",
    [STEP_RESET] = "hard reset",
    [STEP_CHECK] = "check",
    [STEP_BLINK] = "blink",
    [STEP_BOOT_LOG] = "boot log",
};

const char *flash_job_step_name(enum flash_job_step_kind k)
{
    return (unsigned)k < sizeof step_names / sizeof step_names[0] ? step_names[k] : "?";
}

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

static enum loader_phase phase_of(enum flash_job_step_kind k)
{
    switch (k) {
    case STEP_OPEN:
    case STEP_CONNECT: return LOADER_PHASE_CONNECT;
    case STEP_IDENTIFY: return LOADER_PHASE_IDENTIFY;
    case STEP_STUB: return LOADER_PHASE_STUB;
    case STEP_BAUD: return LOADER_PHASE_BAUD;
    case STEP_WRITE: return LOADER_PHASE_WRITE;
    case STEP_VERIFY:
    case STEP_MD5: return LOADER_PHASE_VERIFY;
    case STEP_READ: return LOADER_PHASE_READ;
    case STEP_ERASE: return LOADER_PHASE_ERASE;
    case STEP_RESET: return LOADER_PHASE_RESET;
    case STEP_CHECK: return LOADER_PHASE_VERIFY;
    case STEP_BLINK: return LOADER_PHASE_REGISTER;
    case STEP_BOOT_LOG: return LOADER_PHASE_RESET;
    }
    return LOADER_PHASE_IDLE;
}

static struct flash_job_step *current(struct flash_job *j)
{
    return &j->steps[j->cur];
}

/* ---- ending ------------------------------------------------------------ */

static void on_one_closed(struct flash_job *j)
{
    if (--j->closes_pending > 0)
        return;
    j->state = JOB_DONE;
    /* Last thing we do: the owner may free the job inside on_done. */
    j->cb->on_done(j, j->failed ? &j->error : NULL);
}

static void on_timer_closed(uv_handle_t *h)
{
    on_one_closed(h->data);
}

static void on_port_closed(struct port *p)
{
    struct flash_job *j = p->owner;
    j->port = NULL;
    on_one_closed(j);
}

static void end_job(struct flash_job *j)
{
    if (j->state != JOB_RUNNING)
        return;
    j->state = JOB_ENDING;
    if (j->cur < j->n_steps && j->steps[j->cur].started_us && !j->steps[j->cur].ended_us)
        j->steps[j->cur].ended_us = now_us();
    j->closes_pending = 1 + (j->port != NULL);
    uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    if (j->port)
        port_close(j->port);
}

static void fail(struct flash_job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct flash_job *j, int code, const char *fmt, ...)
{
    if (j->state != JOB_RUNNING)
        return;
    j->failed = true;
    j->error.phase = phase_of(current(j)->kind);
    j->error.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->error.message, sizeof j->error.message, fmt, ap);
    va_end(ap);
    end_job(j);
}

static void fail_loader(struct flash_job *j)
{
    if (j->state != JOB_RUNNING)
        return;
    j->failed = true;
    j->error = *loader_error(&j->loader);
    end_job(j);
}

/* ---- steps ------------------------------------------------------------- */

static void drive(struct flash_job *j);

/* <stub_dir>/<chip>.json from the stub cache, held until the job is freed:
 * the loader points into it for the whole upload. */
static int load_stub(struct flash_job *j, const struct chip_desc *chip)
{
    char err[sizeof j->error.message];
    stub_cache_release(j->stub);
    j->stub = stub_cache_acquire(j->cfg.stub_dir, chip, err, sizeof err);
    if (!j->stub) {
        fail(j, FLASH_JOB_ERR_STUB, "%s", err);
        return -1;
    }
    return 0;
}

/* ---- identify LED ------------------------------------------------------ */

#define BLINK_HALF_PERIOD_US 250000u

static int blink_write(struct flash_job *j, uint64_t now, uint32_t reg)
{
    if (loader_start_write_reg(&j->loader, now, reg, 1u << j->cfg.led_gpio, 0xFFFFFFFFu) < 0) {
        fail_loader(j);
        j->error.phase = LOADER_PHASE_REGISTER;
        return -1;
    }
    return 0;
}

/* Output-enables the LED pin; blink_tick then toggles it until the end. */
static int start_blink(struct flash_job *j, uint64_t now)
{
    const struct chip_desc *chip = loader_info(&j->loader)->chip;
    if (j->cfg.led_gpio < 0 || j->cfg.led_gpio > 31 || !chip || !chip->gpio_enable_w1ts) {
        fail(j, LOADER_ERR_BAD_ARGUMENT, "cannot blink GPIO %d on %s: only GPIO 0..31 of "
             "a known chip; set led_gpio in jigd.conf", j->cfg.led_gpio,
             chip ? chip->name : "this chip");
        return -1;
    }
    j->blink_end_us = now + (uint64_t)j->cfg.blink_ms * 1000;
    j->led_on = false;
    return blink_write(j, now, chip->gpio_enable_w1ts);
}

static void blink_tick(struct flash_job *j, uint64_t now)
{
    const struct chip_desc *chip = loader_info(&j->loader)->chip;
    bool on = !j->led_on && now < j->blink_end_us;
    if (blink_write(j, now, on ? chip->gpio_out_w1ts : chip->gpio_out_w1tc) == 0)
        j->led_on = on;
}

/* A register write of the blink finished: the next one after a pause, or
 * the end once the time is up and the LED is dark. */
static bool blink_written(struct flash_job *j, uint64_t now)
{
    if (!j->led_on && now >= j->blink_end_us)
        return true;
    j->step_wake_us = now + BLINK_HALF_PERIOD_US;
    return false;
}

/* Starts the loader operation for the current step. Returns 1 if the step
 * has nothing to do here (skip it), 0 if started, -1 if the job failed. */
static int start_loader_op(struct flash_job *j, uint64_t now)
{
    struct loader *l = &j->loader;
    const struct flash_job_step *s = current(j);
    const struct loader_chip_info *info = loader_info(l);
    int r = 0;
    switch (s->kind) {
    case STEP_OPEN:
        return 1;
    case STEP_CONNECT:
        r = loader_start_connect(l, now);
        break;
    case STEP_IDENTIFY:
        r = loader_start_identify(l, now);
        break;
    case STEP_STUB: {
        if (!info->chip || !info->chip->stub_name || info->secure_download)
            return 1;
        if (load_stub(j, info->chip) < 0)
            return -1;
        r = loader_start_stub(l, now, j->stub);
        break;
    }
    case STEP_BAUD:
        if (j->cfg.baud == loader_baud(l))
            return 1;
        r = loader_start_set_baud(l, now, j->cfg.baud);
        break;
    case STEP_CHECK:
    case STEP_VERIFY: {
        if (s->skipped)
            return 1;
        const struct loader_region *reg = &j->cfg.regions[s->region].region;
        r = loader_start_md5(l, now, reg->offset, (uint32_t)reg->size);
        break;
    }
    case STEP_WRITE:
        if (s->skipped)
            return 1;
        r = loader_start_write(l, now, &j->cfg.regions[s->region].region);
        break;
    case STEP_MD5:
        r = loader_start_md5(l, now, j->cfg.offset, j->cfg.size);
        break;
    case STEP_BLINK:
        return start_blink(j, now);
    case STEP_BOOT_LOG:
        /* The chip prints its boot log at the ROM's rate, whatever rate
         * the stub ran at. */
        if (port_set_baud(j->port, 115200) < 0) {
            fail(j, FLASH_JOB_ERR_PORT, "%s", j->port->error);
            return -1;
        }
        j->step_wake_us = now + (uint64_t)j->cfg.boot_log_ms * 1000;
        return 0;
    case STEP_READ:
        r = loader_start_read(l, now, j->cfg.offset, j->cfg.size, j->cfg.read_dst);
        break;
    case STEP_ERASE:
        r = loader_start_erase(l, now, j->cfg.offset, j->cfg.size);
        break;
    case STEP_RESET:
        r = loader_start_hard_reset(l, now);
        break;
    }
    if (r < 0) {
        /* A refused start names the loader's previous phase; ours is the
         * one that was asked for. */
        fail_loader(j);
        j->error.phase = phase_of(s->kind);
        return -1;
    }
    return 0;
}

/* Moves on to the next step that has something to do, or ends the job. */
static void next_step(struct flash_job *j)
{
    while (j->state == JOB_RUNNING) {
        if (j->steps[j->cur].ended_us == 0)
            j->steps[j->cur].ended_us = now_us();
        if (++j->cur == j->n_steps) {
            j->cur = j->n_steps - 1;
            end_job(j);
            return;
        }
        uint64_t now = now_us();
        struct flash_job_step *s = current(j);
        s->started_us = now;
        int r = start_loader_op(j, now);
        if (r < 0)
            return;
        if (r == 0) {
            if (j->cb->on_step)
                j->cb->on_step(j, s);
            return;
        }
        s->ended_us = now;      /* skipped: zero duration */
    }
}

/* The loader finished the current step's operation successfully. */
static void mark_region_skipped(struct flash_job *j, size_t region)
{
    for (size_t i = j->cur + 1; i < j->n_steps; i++)
        if ((j->steps[i].kind == STEP_WRITE || j->steps[i].kind == STEP_VERIFY)
            && j->steps[i].region == region)
            j->steps[i].skipped = true;
    if (j->cb->on_region_skipped)
        j->cb->on_region_skipped(j, region);
}

/* The MD5 of each region the caller could not give: the bundle's parts
 * come hashed from the bundle load, so hashing here is for bytes made for
 * this board alone (late: they exist only after identify) and for callers
 * that write files (jigflash). */
static void hash_regions(struct flash_job *j, bool late)
{
    for (size_t i = 0; j->cfg.action == FLASH_JOB_WRITE && i < j->cfg.n_regions; i++) {
        struct flash_job_region *r = &j->cfg.regions[i];
        if (r->late == late && !r->md5_known)
            md5_once(r->region.data, r->region.size, r->md5);
    }
}

static void step_done(struct flash_job *j)
{
    const struct flash_job_step *s = current(j);
    if (s->kind == STEP_IDENTIFY && j->cb->on_identified) {
        struct loader_error why = {.phase = LOADER_PHASE_IDENTIFY};
        if (!j->cb->on_identified(j, loader_info(&j->loader), &why)) {
            fail(j, FLASH_JOB_ERR_REFUSED, "%s", why.message);
            return;
        }
        if (j->held)
            return;
        hash_regions(j, true);
    }
    if (s->kind == STEP_CHECK) {
        if (memcmp(loader_md5(&j->loader), j->cfg.regions[s->region].md5, 16) == 0)
            mark_region_skipped(j, s->region);
    }
    if (s->kind == STEP_BLINK && !blink_written(j, now_us()))
        return;
    if (s->kind == STEP_VERIFY) {
        const struct flash_job_region *r = &j->cfg.regions[s->region];
        const uint8_t *got = loader_md5(&j->loader);
        if (memcmp(got, r->md5, 16) != 0) {
            char want_hex[HEX_LEN(16)], got_hex[HEX_LEN(16)];
            fail(j, LOADER_ERR_VERIFY, "flash at 0x%x (%zu bytes) reads back with MD5 %s, "
                 "expected %s: the write did not stick; check the flash chip and its "
                 "power supply, then flash again", r->region.offset, r->region.size,
                 hex_encode(got, 16, got_hex), hex_encode(r->md5, 16, want_hex));
            return;
        }
    }
    next_step(j);
}

/* ---- driving the loader ------------------------------------------------ */

static void on_timer(uv_timer_t *t);

/* reset = gpio: the loader's rts is EN held low, its dtr IO0 held low. */
static void set_gpio_lines(struct flash_job *j, bool en_low, bool io0_low)
{
    char err[200];
    if (reset_gpio_drive(j->cfg.reset_lines, en_low, io0_low, err, sizeof err) < 0)
        fail(j, FLASH_JOB_ERR_PORT, "%s", err);
}

static void act(struct flash_job *j, const struct loader_event *ev)
{
    struct port *p = j->port;
    int r = 0;
    switch (ev->kind) {
    case LOADER_EV_SEND:
        r = port_write(p, ev->send.data, ev->send.len);
        if (j->fed_at_us) {
            j->turnaround_us += now_us() - j->fed_at_us;
            j->turnarounds++;
            j->fed_at_us = 0;
        }
        break;
    case LOADER_EV_SET_LINES:
        if (j->cfg.reset == LOADER_RESET_GPIO) {
            set_gpio_lines(j, ev->lines.rts, ev->lines.dtr);
            return;
        }
        r = port_set_lines(p, ev->lines.dtr, ev->lines.rts);
        break;
    case LOADER_EV_SET_BAUD:
        r = port_set_baud(p, ev->baud);
        break;
    case LOADER_EV_FLUSH_INPUT:
        r = port_flush_input(p);
        break;
    case LOADER_EV_PROGRESS:
        if (j->cb->on_progress)
            j->cb->on_progress(j, current(j), ev->progress.done, ev->progress.total);
        break;
    case LOADER_EV_DONE:
        if (ev->done.ok)
            step_done(j);
        else
            fail_loader(j);
        break;
    }
    if (r < 0)
        fail(j, FLASH_JOB_ERR_PORT, "%s", p->error);
}

static void arm_timer(struct flash_job *j, uint64_t now)
{
    uint64_t deadline = loader_deadline(&j->loader);
    if (j->step_wake_us && j->step_wake_us < deadline)
        deadline = j->step_wake_us;
    if (deadline == LOADER_NO_DEADLINE) {
        uv_timer_stop(&j->timer);
        return;
    }
    /* Round up: waking a little late is harmless, waking early only costs
     * a second pass. */
    uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
    uv_timer_start(&j->timer, on_timer, ms, 0);
}

static void drive(struct flash_job *j)
{
    if (j->driving)
        return;
    j->driving = true;
    uint64_t now = now_us();
    if (j->step_wake_us && now >= j->step_wake_us) {
        j->step_wake_us = 0;
        if (current(j)->kind == STEP_BLINK)
            blink_tick(j, now);
        else
            next_step(j);       /* the boot log's time is up */
    }
    struct loader_event ev;
    while (j->state == JOB_RUNNING && loader_next_event(&j->loader, now, &ev)) {
        act(j, &ev);
        if (ev.kind == LOADER_EV_DONE)
            now = now_us();     /* a new operation may have started */
    }
    if (j->state == JOB_RUNNING)
        arm_timer(j, now);
    j->driving = false;
}

static void on_timer(uv_timer_t *t)
{
    drive(t->data);
}

/* ---- port events ------------------------------------------------------- */

static void on_port_open(struct port *p, const char *error)
{
    struct flash_job *j = p->owner;
    if (error) {
        fail(j, FLASH_JOB_ERR_PORT, "cannot open the port: %s", error);
        return;
    }
    next_step(j);
    drive(j);
}

static void on_port_data(struct port *p, const uint8_t *data, size_t n)
{
    struct flash_job *j = p->owner;
    if (j->state != JOB_RUNNING)
        return;
    if (current(j)->kind == STEP_BOOT_LOG) {
        if (j->cb->on_boot_log)
            j->cb->on_boot_log(j, data, n);
        return;
    }
    j->fed_at_us = now_us();
    loader_feed(&j->loader, j->fed_at_us, data, n);
    drive(j);
    j->fed_at_us = 0;
}

static void on_port_error(struct port *p, const char *error)
{
    struct flash_job *j = p->owner;
    fail(j, FLASH_JOB_ERR_PORT, "the port failed during %s: %s",
         flash_job_step_name(current(j)->kind), error);
}

static const struct port_callbacks job_port_callbacks = {
    .on_open = on_port_open,
    .on_data = on_port_data,
    .on_error = on_port_error,
    .on_closed = on_port_closed,
};

/* ---- life cycle -------------------------------------------------------- */

static int plan(struct flash_job *j, char *err, size_t errlen)
{
    const struct flash_job_config *c = &j->cfg;
    size_t n = 0;
    size_t need = 7 + (c->action == FLASH_JOB_WRITE ? 3 * c->n_regions : 1);
    if (need > FLASH_JOB_MAX_STEPS) {
        snprintf(err, errlen, "too many regions (%zu; at most %d)", c->n_regions,
                 (FLASH_JOB_MAX_STEPS - 7) / 3);
        return -1;
    }
    j->steps[n++] = (struct flash_job_step){.kind = STEP_OPEN};
    j->steps[n++] = (struct flash_job_step){.kind = STEP_CONNECT};
    j->steps[n++] = (struct flash_job_step){.kind = STEP_IDENTIFY};
    if (c->action != FLASH_JOB_IDENTIFY && c->action != FLASH_JOB_BLINK) {
        if (c->stub_dir)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_STUB};
        if (c->baud)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_BAUD};
    }
    switch (c->action) {
    case FLASH_JOB_IDENTIFY:
        break;
    case FLASH_JOB_BLINK:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_BLINK};
        break;
    case FLASH_JOB_WRITE:
        for (size_t i = 0; i < c->n_regions; i++) {
            if (c->skip_matching)
                j->steps[n++] = (struct flash_job_step){.kind = STEP_CHECK, .region = i};
            j->steps[n++] = (struct flash_job_step){.kind = STEP_WRITE, .region = i};
            if (!c->verify_after_all)
                j->steps[n++] = (struct flash_job_step){.kind = STEP_VERIFY, .region = i};
        }
        for (size_t i = 0; c->verify_after_all && i < c->n_regions; i++)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_VERIFY, .region = i};
        break;
    case FLASH_JOB_MD5:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_MD5};
        break;
    case FLASH_JOB_READ:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_READ};
        break;
    case FLASH_JOB_ERASE:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_ERASE};
        break;
    }
    if (c->hard_reset)
        j->steps[n++] = (struct flash_job_step){.kind = STEP_RESET};
    if (c->hard_reset && c->boot_log_ms)
        j->steps[n++] = (struct flash_job_step){.kind = STEP_BOOT_LOG};
    j->n_steps = n;
    return 0;
}

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
    if (plan(j, err, errlen) < 0) {
        free(j);
        return NULL;
    }
    hash_regions(j, false);
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
    j->steps[0].started_us = now_us();

    char err[200];
    j->port = port_new(j->loop, j->cfg.port, &job_port_callbacks, j, err, sizeof err);
    if (!j->port) {
        fail(j, FLASH_JOB_ERR_PORT, "%s", err);
        return 0;
    }
    if (port_open(j->port) < 0)
        fail(j, FLASH_JOB_ERR_PORT, "cannot open the port: %s", j->port->error);
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
    hash_regions(j, true);
    next_step(j);
    if (j->state == JOB_RUNNING)
        drive(j);
}

void flash_job_cancel(struct flash_job *j)
{
    fail(j, FLASH_JOB_ERR_CANCELLED, "cancelled during %s",
         flash_job_step_name(current(j)->kind));
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
