/* One board's pass through a slot (unit_run.h). */
#include "unit_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot_log.h"
#include "bundle.h"
#include "event_bus.h"
#include "flash_job.h"
#include "port.h"
#include "unit_advice.h"
#include "unit_board_check.h"
#include "unit_identity.h"
#include "unit_plan.h"
#include "unit_record.h"
#include "unit_services.h"

#define PROGRESS_EVERY_US 250000u   /* progress events per slot: 4 a second */
#define RETRY_CONNECT_ATTEMPTS 3

struct unit_run {
    struct unit_run_config c;
    struct unit_run_owner owner;
    struct flash_job *job;
    struct bundle *bundle;              /* our reference while the run lives */
    struct unit_plan plan;
    struct unit_identity id;
    struct unit_record record;
    uv_timer_t *timer;                  /* waits for a re-enumerating port */
    bool abort_requested;
    bool stopping;                      /* jigd stops: the end is an interruption */

    uint32_t baud;                      /* the rate this try works at */
    bool retrying;                      /* second try one baud rung lower */
    uint32_t failed_baud;
    struct loader_error first_error;
    char first_advice[UNIT_TEXT];
    char refusal_advice[UNIT_TEXT];
    bool reenumerating;                 /* usb-jtag: waiting for the node after a reset */
    int reenumeration_tries;
    bool sync_without_reset;            /* the next try syncs without a reset */

    struct unit_progress progress;
    uint64_t written_before, phase_started_us, last_progress_us, started_us;
};

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

static void publish(struct unit_run *r, struct jig_event ev)
{
    ev.slot = r->c.cfg->index;
    if (!ev.state)
        ev.state = SLOT_RUNNING;
    ev.rate = ev.kind == EVENT_PROGRESS ? ev.rate : -1;
    event_bus_publish(r->c.env->bus, &ev);
}

static void format_mac(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const struct flash_job_callbacks job_callbacks;

static void release_try(struct unit_run *r)
{
    bundle_unref(r->bundle);
    r->bundle = NULL;
    unit_plan_free(&r->plan);
}

static int plan(struct unit_run *r, const struct bundle *b)
{
    const struct pt_entry *unit_parts[2];
    size_t n_unit = unit_identity_partitions(r->c.env->units, b, unit_parts);
    return unit_plan_make(&r->plan, b, unit_parts, n_unit);
}

/* One try: the plan and a flash job at `baud`. */
static int start_try(struct unit_run *r, uint32_t baud, int connect_attempts, char *err,
                     size_t errlen)
{
    struct bundle *b = *r->c.env->bundle;
    if (!b) {
        snprintf(err, errlen, "no bundle is loaded");
        return -1;
    }
    if (plan(r, b) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->bundle = bundle_ref(b);
    struct flash_job_config fc = {
        .port = r->c.cfg->port,
        .action = FLASH_JOB_WRITE,
        .reset = r->sync_without_reset ? LOADER_RESET_NONE : r->c.cfg->reset,
        .reset_lines = r->c.reset_lines,
        .baud = baud > 115200 ? baud : 0,
        .stub_dir = r->c.env->stub_dir,
        .hard_reset = true,
        .regions = r->plan.regions,
        .n_regions = r->plan.n,
        .connect_attempts = connect_attempts,
        .skip_matching = true,
        .verify_after_all = true,
        .boot_log_ms = r->c.env->boot_log_ms,
    };
    r->job = flash_job_new(r->c.env->loop, &fc, &job_callbacks, r, err, errlen);
    if (!r->job) {
        release_try(r);
        return -1;
    }
    const struct unit_services *u = r->c.env->units;
    unit_record_begin(&r->record, r->bundle, r->c.cfg->port,
                      u ? u->cfg->unit.work_order : NULL, &r->plan);
    r->baud = baud;
    r->progress = (struct unit_progress){.phase = PHASE_CONNECT, .baud = baud,
                                         .bytes_total = r->plan.bytes_total};
    r->written_before = 0;
    r->c.board->have_chip = false;
    if (!r->retrying)
        r->c.board->serial[0] = r->c.board->fingerprint[0] = '\0';
    r->started_us = now_us();
    boot_log_clear(r->c.boot_log);
    flash_job_start(r->job);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

struct unit_run *unit_run_start(const struct unit_run_config *c,
                                const struct unit_run_owner *owner, char *err, size_t errlen)
{
    struct unit_run *r = calloc(1, sizeof *r);
    uv_timer_t *timer = malloc(sizeof *timer);
    if (!r || !timer) {
        free(r);
        free(timer);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->c = *c;
    r->owner = *owner;
    r->id.units = c->env->units;
    r->record = (struct unit_record){.db = c->env->units ? c->env->units->db : NULL,
                                     .slot = c->cfg->index};
    if (start_try(r, c->baud, c->connect_attempts, err, errlen) < 0) {
        free(timer);
        free(r);
        return NULL;
    }
    uv_timer_init(c->env->loop, timer);
    timer->data = r;
    r->timer = timer;
    return r;
}

void unit_run_progress(const struct unit_run *r, struct unit_progress *p)
{
    *p = r->progress;
}

void unit_run_free(struct unit_run *r)
{
    if (!r)
        return;
    unit_identity_release(&r->id);
    release_try(r);
    if (r->timer)
        uv_close((uv_handle_t *)r->timer, on_timer_closed);
    free(r);
}

/* ---- the end ------------------------------------------------------------ */

static void publish_result(struct unit_run *r, const struct unit_outcome *o)
{
    const struct unit_board *b = r->c.board;
    char mac[18];
    format_mac(b->chip.mac, mac);
    const char *serial = b->serial[0] ? b->serial : NULL;
    if (o->passed) {
        char msg[UNIT_TEXT] = "";
        if (b->fingerprint[0])
            snprintf(msg, sizeof msg, "certificate %s", b->fingerprint);
        publish(r, (struct jig_event){.kind = EVENT_RESULT, .state = SLOT_PASSED,
                                      .result = "pass", .mac = b->have_chip ? mac : NULL,
                                      .serial = serial, .message = msg[0] ? msg : NULL});
        return;
    }
    publish(r, (struct jig_event){.kind = EVENT_ERROR, .state = SLOT_FAILED,
                                  .error_phase = o->error_phase, .cause = o->cause,
                                  .advice = o->advice});
    publish(r, (struct jig_event){.kind = EVENT_RESULT, .state = SLOT_FAILED, .result = "fail",
                                  .error_phase = o->error_phase, .cause = o->cause,
                                  .advice = o->advice, .mac = b->have_chip ? mac : NULL,
                                  .serial = serial});
}

/* Records the outcome (e NULL = pass), tells the owner; nothing after. */
static void finish(struct unit_run *r, const struct loader_error *e, const char *advice)
{
    uv_timer_stop(r->timer);
    struct unit_outcome o = {.passed = e == NULL,
                             .interrupted = e && r->stopping && e->code == LOADER_ERR_CANCELLED,
                             .port_lost = e && e->code == LOADER_ERR_PORT,
                             .seconds = (double)(now_us() - r->started_us) / 1e6};
    if (e) {
        o.error_phase = e->phase;
        snprintf(o.cause, sizeof o.cause, "%s", e->message);
        snprintf(o.advice, sizeof o.advice, "%s", advice);
    }
    r->progress.phase = PHASE_NONE;
    publish_result(r, &o);
    unit_record_end(&r->record, o.passed ? UNIT_PASSED : o.interrupted ? UNIT_INTERRUPTED
                                                                    : UNIT_FAILED,
                    o.error_phase, o.cause);
    unit_identity_release(&r->id);
    release_try(r);
    r->owner.on_ended(r->owner.ctx, &o);
}

/* Who stopped the run, in the words the operator and the record read. */
static void say_who_stopped(const struct unit_run *r, struct loader_error *e)
{
    if (r->stopping)
        snprintf(e->message, sizeof e->message, "jigd stopped during %s: the board is not "
                 "finished", phase_name(e->phase));
    else
        snprintf(e->message, sizeof e->message, "aborted by the operator during %s",
                 phase_name(e->phase));
}

void unit_run_abort(struct unit_run *r)
{
    r->abort_requested = true;
    if (r->job) {
        flash_job_cancel(r->job);
        return;
    }
    /* Between two jobs of the unit (waiting for a USB node). */
    struct loader_error e = {.phase = PHASE_CONNECT, .code = LOADER_ERR_CANCELLED};
    say_who_stopped(r, &e);
    finish(r, &e, r->stopping ? "run the board again once jigd is back" : unit_advice_for(&e));
}

void unit_run_stop(struct unit_run *r)
{
    r->stopping = true;
    unit_run_abort(r);
}

/* ---- job callbacks ------------------------------------------------------ */

static void on_step(struct flash_job *j, const struct flash_job_step *step)
{
    struct unit_run *r = flash_job_owner(j);
    if (step->kind == STEP_OPEN)
        return;         /* connect follows at once and says the same */
    r->progress.phase = flash_job_step_phase(step->kind);
    r->phase_started_us = step->started_us;
    char msg[160] = "";
    if (step->kind == STEP_WRITE || step->kind == STEP_VERIFY || step->kind == STEP_CHECK) {
        const struct loader_region *reg = &r->plan.regions[step->region].region;
        const struct unit_plan_info *info = &r->plan.info[step->region];
        snprintf(msg, sizeof msg, "0x%x %s%s (%zu bytes)", reg->offset, info->name,
                 info->per_unit ? " (this unit's)" : "", reg->size);
        if (step->kind == STEP_WRITE) {
            r->written_before = unit_plan_bytes_before(&r->plan, step->region);
            r->progress.bytes_done = r->written_before;
        }
    } else if (step->kind == STEP_BAUD) {
        snprintf(msg, sizeof msg, "%u baud", r->baud);
    }
    r->owner.on_running(r->owner.ctx);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = r->progress.phase,
                                  .message = msg[0] ? msg : NULL});
}

static void on_progress(struct flash_job *j, const struct flash_job_step *step,
                        uint64_t done, uint64_t total)
{
    struct unit_run *r = flash_job_owner(j);
    if (step->kind != STEP_WRITE)
        return;
    uint64_t now = now_us();
    r->progress.bytes_done = r->written_before + done;
    double secs = (double)(now - step->started_us) / 1e6;
    r->progress.rate = secs > 0 ? (double)done / secs : 0;
    if (done < total && now - r->last_progress_us < PROGRESS_EVERY_US)
        return;
    r->last_progress_us = now;
    publish(r, (struct jig_event){.kind = EVENT_PROGRESS, .phase = PHASE_WRITE,
                                  .bytes_done = r->progress.bytes_done,
                                  .bytes_total = r->progress.bytes_total,
                                  .rate = r->progress.rate});
}

/* The identity is made: the plan points at it, the records and the
 * operator hear of it. */
static void identity_made(struct unit_run *r)
{
    unit_identity_place(&r->id, &r->plan);
    r->progress.bytes_total = r->plan.bytes_total;
    snprintf(r->c.board->fingerprint, sizeof r->c.board->fingerprint, "%s", r->id.fingerprint);
    int64_t now = unit_record_wall_ms();
    unit_record_phase(&r->record, PHASE_IDENTITY, r->id.started_ms, now - r->id.started_ms, 0);
    unit_record_parts(&r->record, &r->plan);
    char msg[UNIT_TEXT];
    snprintf(msg, sizeof msg, "certificate %s for %s", r->id.fingerprint, r->id.unit.serial);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTITY,
                                  .serial = r->id.unit.serial, .message = msg});
}

static void on_key_done(void *ctx, bool ok)
{
    struct unit_run *r = ctx;
    if (!r->job)
        return;
    if (ok) {
        identity_made(r);
        flash_job_resume(r->job);
    } else {
        flash_job_cancel(r->job);
    }
}

/* A retry of this attempt: the same board must be in the jig. */
static bool same_board_again(struct unit_run *r, const char *mac, struct loader_error *why)
{
    if (!strcasecmp(mac, r->id.unit.mac)) {
        unit_identity_place(&r->id, &r->plan);
        r->progress.bytes_total = r->plan.bytes_total;
        snprintf(r->c.board->serial, sizeof r->c.board->serial, "%s", r->id.unit.serial);
        snprintf(r->c.board->fingerprint, sizeof r->c.board->fingerprint, "%s",
                 r->id.fingerprint);
        return true;
    }
    snprintf(why->message, sizeof why->message, "board %s answered the retry, but this "
             "attempt identified %s (serial %s)", mac, r->id.unit.mac, r->id.unit.serial);
    snprintf(r->refusal_advice, sizeof r->refusal_advice, "leave a board in the jig until "
             "its slot has finished");
    return false;
}

static void announce_unit(struct unit_run *r, const char *mac)
{
    snprintf(r->c.board->serial, sizeof r->c.board->serial, "%s", r->id.unit.serial);
    char msg[UNIT_TEXT];
    snprintf(msg, sizeof msg, "%s %s", r->id.reworked ? "rework: keeps serial" : "new serial",
             r->id.unit.serial);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_UNIT,
                                  .serial = r->id.unit.serial, .mac = mac, .message = msg});
}

/* The unit, its serial, key, certificate and partitions. May hold the job
 * while a key is made. false = refuse the board. */
static bool give_identity(struct unit_run *r, struct flash_job *j, const char *mac,
                          struct loader_error *why)
{
    struct unit_services *u = r->c.env->units;
    if (!u)
        return true;
    if (r->id.made)
        return same_board_again(r, mac, why);
    if (!unit_identity_find(&r->id, r->bundle, &r->c.board->chip, why->message,
                            sizeof why->message, r->refusal_advice, sizeof r->refusal_advice))
        return false;
    if (r->record.attempt_id
        && sdb_attempt_set_unit(u->db, r->record.attempt_id, r->id.unit.id) != SDB_OK)
        fprintf(stderr, "jigd: slot %d: attempt %lld: %s\n", r->c.cfg->index,
                (long long)r->record.attempt_id, sdb_errmsg(u->db));
    announce_unit(r, mac);
    r->id.key_done = on_key_done;
    r->id.ctx = r;
    switch (unit_identity_make(&r->id)) {
    case UNIT_IDENTITY_READY:
        identity_made(r);
        return true;
    case UNIT_IDENTITY_WAITING:
        flash_job_hold(j);
        publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTITY,
                                      .message = "waiting for a key from the pool"});
        return true;
    case UNIT_IDENTITY_FAILED:
        break;
    }
    snprintf(why->message, sizeof why->message, "%s", r->id.cause);
    return false;
}

static bool on_identified(struct flash_job *j, const struct loader_chip_info *info,
                          struct loader_error *why)
{
    struct unit_run *r = flash_job_owner(j);
    r->c.board->chip = *info;
    r->c.board->have_chip = true;
    char mac[18], msg[200];
    format_mac(info->mac, mac);
    snprintf(msg, sizeof msg, "%s rev %d.%d, flash %u KB", info->chip ? info->chip->name : "?",
             info->revision / 100, info->revision % 100, info->flash_size / 1024);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTIFY, .mac = mac,
                                  .message = msg});
    if (!unit_board_fits(r->bundle, info, r->c.cfg->index, why->message, sizeof why->message,
                         r->refusal_advice, sizeof r->refusal_advice))
        return false;
    return give_identity(r, j, mac, why);
}

static void on_region_skipped(struct flash_job *j, size_t region)
{
    struct unit_run *r = flash_job_owner(j);
    r->progress.skipped_regions++;
    char msg[160];
    snprintf(msg, sizeof msg, "0x%x %s already holds this content: not rewritten",
             r->plan.regions[region].region.offset, r->plan.info[region].name);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_SKIP, .message = msg});
}

static void on_boot_log(struct flash_job *j, const uint8_t *data, size_t n)
{
    struct unit_run *r = flash_job_owner(j);
    boot_log_append(r->c.boot_log, data, n);
}

/* ---- a second try one baud rung lower ---------------------------------- */

/* A failure a slower rate may cure: the rate change itself, or a transfer
 * that timed out or arrived garbled. */
static bool baud_may_cure(const struct unit_run *r, const struct loader_error *e)
{
    if (r->retrying || r->abort_requested || r->baud <= 115200)
        return false;
    if (e->phase == PHASE_BAUD && e->code != LOADER_ERR_PORT)
        return true;
    bool transfer = e->phase == PHASE_CHECK || e->phase == PHASE_WRITE
                    || e->phase == PHASE_VERIFY;
    return transfer && (e->code == LOADER_ERR_TIMEOUT || e->code == LOADER_ERR_PROTOCOL);
}

static bool retry_slower(struct unit_run *r, const struct loader_error *e)
{
    uint32_t lower = slot_baud_below(r->baud);
    if (!lower)
        return false;
    r->first_error = *e;
    snprintf(r->first_advice, sizeof r->first_advice, "%s", unit_advice_for(e));
    r->failed_baud = r->baud;
    char msg[300];
    snprintf(msg, sizeof msg, "%s at %u baud failed (%s); trying once more at %u baud",
             phase_name(e->phase), r->baud, e->message, lower);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_RETRY, .message = msg});
    release_try(r);
    r->retrying = true;
    char err[200];
    if (start_try(r, lower, RETRY_CONNECT_ATTEMPTS, err, sizeof err) < 0) {
        r->retrying = false;
        return false;
    }
    return true;
}

/* The slower rate worked: the adapter keeps it. */
static void remember_slower(struct unit_run *r)
{
    slot_baud_remember(r->c.env->baud, r->c.cfg->port, r->baud);
    char msg[200];
    snprintf(msg, sizeof msg, "%u baud failed on %s and %u worked: this adapter runs at %u "
             "from now on", r->failed_baud, r->c.cfg->port, r->baud, r->baud);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_BAUD, .message = msg});
}

/* ---- USB-Serial/JTAG ---------------------------------------------------
 * A chip with its own USB port drops off the bus when it resets and comes
 * back as a new device node. Through a /dev/serial/by-id/ path (which
 * names the chip, not the node) the run reopens the same name and so
 * follows it; a local name is looked for before each try, a network port
 * (whose server drops the client while the device is gone) can only be
 * tried. Tested against espsim's USB-Serial/JTAG model (jigd/usb_jtag). */

#define REENUMERATION_WAIT_MS 500
#define REENUMERATION_TRIES 10      /* 5 s for the node to come back */

static bool usb_jtag_port_drop(const struct unit_run *r, const struct loader_error *e)
{
    return r->c.cfg->reset == LOADER_RESET_USB_JTAG && e && e->code == LOADER_ERR_PORT
        && !r->abort_requested;
}

static bool port_is_local(const char *port)
{
    return strncmp(port, "rfc2217://", 10) != 0;
}

static void on_reenumeration_wait(uv_timer_t *t)
{
    struct unit_run *r = t->data;
    bool last = ++r->reenumeration_tries >= REENUMERATION_TRIES;
    const char *port = r->c.cfg->port;
    if (!last && port_is_local(port) && !port_tty_present(port)) {
        uv_timer_start(r->timer, on_reenumeration_wait, REENUMERATION_WAIT_MS, 0);
        return;
    }
    /* The reset already put the chip in its loader: sync without another
     * reset, which would only drop it off the bus again. */
    char err[200];
    r->sync_without_reset = true;
    int rc = start_try(r, r->baud, RETRY_CONNECT_ATTEMPTS, err, sizeof err);
    r->sync_without_reset = false;
    if (rc < 0) {
        struct loader_error e = {.phase = PHASE_CONNECT, .code = LOADER_ERR_PORT};
        snprintf(e.message, sizeof e.message, "%s did not come back after the reset: %s",
                 port, err);
        r->reenumerating = false;
        finish(r, &e, unit_advice_for(&e));
    }
}

static void wait_for_reenumeration(struct unit_run *r)
{
    release_try(r);
    uv_timer_start(r->timer, on_reenumeration_wait, REENUMERATION_WAIT_MS, 0);
}

/* True when the drop was the re-enumeration and the unit goes on: the
 * first drop at connect, and each try that finds the port not back yet
 * while tries remain. */
static bool follow_reenumeration(struct unit_run *r, const struct loader_error *e)
{
    if (!usb_jtag_port_drop(r, e) || e->phase != PHASE_CONNECT)
        return false;
    if (r->reenumerating) {
        if (r->reenumeration_tries >= REENUMERATION_TRIES)
            return false;
        wait_for_reenumeration(r);
        return true;
    }
    r->reenumerating = true;
    r->reenumeration_tries = 0;
    char msg[300];
    snprintf(msg, sizeof msg, "%s went away during the reset (USB-Serial/JTAG "
             "re-enumerates); waiting for it to come back", r->c.cfg->port);
    publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_CONNECT, .message = msg});
    wait_for_reenumeration(r);
    return true;
}

/* ---- a job ended -------------------------------------------------------- */

/* The failure as the operator reads it, and what to do about it. */
static const char *report(struct unit_run *r, const struct loader_error *e,
                          struct loader_error *reported)
{
    *reported = *e;
    const char *advice = r->id.failed ? r->id.advice
                       : e->code == LOADER_ERR_REFUSED ? r->refusal_advice : unit_advice_for(e);
    if (r->retrying) {
        /* The first failure is the one that says what went wrong. */
        *reported = r->first_error;
        advice = r->first_advice;
    }
    if (r->abort_requested && e->code == LOADER_ERR_CANCELLED && !r->id.failed) {
        say_who_stopped(r, reported);
        if (r->stopping)
            advice = "run the board again once jigd is back";
    }
    return advice;
}

static void on_done(struct flash_job *j, const struct loader_error *err)
{
    struct unit_run *r = flash_job_owner(j);
    /* err lives in the job: keep a copy before letting the job go. */
    struct loader_error copy = err ? *err : (struct loader_error){0};
    const struct loader_error *e = err ? &copy : NULL;
    unit_record_steps(&r->record, j, &r->plan);
    r->job = NULL;
    flash_job_free(j);
    if (e && r->id.failed) {
        /* Making the identity failed (the job was refused or cancelled for
         * it): that is what the operator needs to read. */
        copy.phase = PHASE_IDENTITY;
        snprintf(copy.message, sizeof copy.message, "%s", r->id.cause);
    }
    if (e && baud_may_cure(r, e) && retry_slower(r, e))
        return;
    if (follow_reenumeration(r, e))
        return;
    if (usb_jtag_port_drop(r, e) && (e->phase == PHASE_RESET || e->phase == PHASE_BOOT_LOG)) {
        /* Every region verified; the chip left the bus to boot its app. */
        publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_RESET,
                                      .message = "the board re-enumerated to run its app: no "
                                                 "boot log over USB-Serial/JTAG"});
        e = NULL;
    }
    if (!e) {
        if (r->retrying)
            remember_slower(r);
        finish(r, NULL, NULL);
        return;
    }
    struct loader_error reported;
    const char *advice = report(r, e, &reported);
    finish(r, &reported, advice);
}

static const struct flash_job_callbacks job_callbacks = {
    .on_step = on_step,
    .on_progress = on_progress,
    .on_done = on_done,
    .on_identified = on_identified,
    .on_region_skipped = on_region_skipped,
    .on_boot_log = on_boot_log,
};
