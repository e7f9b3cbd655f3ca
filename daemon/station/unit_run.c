/* One board's pass through a slot (unit_run.h): its start, the flash job's
 * callbacks, the retries. How it ends is unit_run_end.c. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boot_log.h"
#include "bundle.h"
#include "flash_job.h"
#include "key_pool.h"
#include "mac_text.h"
#include "port.h"
#include "station_alarms.h"
#include "unit_advice.h"
#include "unit_board_check.h"
#include "unit_run_internal.h"
#include "unit_services.h"

#define PROGRESS_EVERY_US 250000u   /* progress events per slot: 4 a second */
#define RETRY_CONNECT_ATTEMPTS 3

uint64_t unit_run_now_us(void)
{
    return uv_hrtime() / 1000;
}

void unit_run_publish(struct unit_run *r, struct jig_event ev)
{
    ev.slot = r->c.cfg->index;
    if (!ev.state)
        ev.state = SLOT_RUNNING;
    ev.rate = ev.kind == EVENT_PROGRESS ? ev.rate : -1;
    event_bus_publish(r->c.env->bus, &ev);
}

static const struct flash_job_callbacks job_callbacks;

void unit_run_release_try(struct unit_run *r)
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

/* The attempt on record before the board hears a byte: without it a pass
 * could never be recorded, so the board is not touched. */
static int begin_record(struct unit_run *r, struct slot_refusal *why)
{
    const struct unit_services *u = r->c.env->units;
    if (!u || unit_record_begin(&r->record, r->bundle, r->c.cfg->port,
                                u->work_order, &r->plan) == 0)
        return 0;
    snprintf(why->error, sizeof why->error, "the unit's start cannot be recorded: %s",
             sdb_errmsg(u->db));
    char remedy[200];
    unit_advice_storage(sdb_last_fault(u->db), u->cfg->station.data_dir, remedy, sizeof remedy);
    snprintf(why->hint, sizeof why->hint, "no board was touched: %s, then start again", remedy);
    return -1;
}

/* One try: the plan and a flash job at `baud`. */
static int start_try(struct unit_run *r, uint32_t baud, int connect_attempts,
                     struct slot_refusal *why)
{
    struct bundle *b = *r->c.env->bundle;
    *why = (struct slot_refusal){.hint = "restart jigd"};
    if (!b) {
        snprintf(why->error, sizeof why->error, "no bundle is loaded");
        snprintf(why->hint, sizeof why->hint, "load one: jigctl bundle load <folder>");
        return -1;
    }
    if (plan(r, b) < 0) {
        snprintf(why->error, sizeof why->error, "out of memory");
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
    r->job = flash_job_new(r->c.env->loop, &fc, &job_callbacks, r, why->error,
                           sizeof why->error);
    if (r->job && begin_record(r, why) < 0) {
        flash_job_free(r->job);     /* never started: nothing open */
        r->job = NULL;
    }
    if (!r->job) {
        unit_run_release_try(r);
        return -1;
    }
    r->baud = baud;
    r->progress = (struct unit_progress){.phase = PHASE_CONNECT, .baud = baud,
                                         .bytes_total = r->plan.bytes_total};
    r->written_before = 0;
    r->c.board->have_chip = false;
    if (!r->retrying) {
        r->c.board->serial[0] = r->c.board->fingerprint[0] = '\0';
        snprintf(r->c.board->board_code, sizeof r->c.board->board_code, "%s", r->board_code);
    }
    r->started_us = unit_run_now_us();
    boot_log_clear(r->c.boot_log);
    flash_job_start(r->job);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

struct unit_run *unit_run_start(const struct unit_run_config *c,
                                const struct unit_run_owner *owner, struct slot_refusal *why)
{
    struct unit_run *r = calloc(1, sizeof *r);
    uv_timer_t *timer = malloc(sizeof *timer);
    if (!r || !timer) {
        free(r);
        free(timer);
        *why = (struct slot_refusal){.error = "out of memory", .hint = "restart jigd"};
        return NULL;
    }
    r->c = *c;
    r->owner = *owner;
    snprintf(r->board_code, sizeof r->board_code, "%s", c->board_code ? c->board_code : "");
    snprintf(r->board_code_actor, sizeof r->board_code_actor, "%s",
             c->board_code_actor ? c->board_code_actor : "");
    r->id.units = c->env->units;
    r->record = (struct unit_record){.db = c->env->units ? c->env->units->db : NULL,
                                     .slot = c->cfg->index, .tally = c->tally};
    if (start_try(r, c->baud, c->connect_attempts, why) < 0) {
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
    unit_run_release_try(r);
    if (r->timer)
        uv_close((uv_handle_t *)r->timer, on_timer_closed);
    free(r);
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
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = r->progress.phase,
                                           .message = msg[0] ? msg : NULL});
}

static void on_progress(struct flash_job *j, const struct flash_job_step *step,
                        uint64_t done, uint64_t total)
{
    struct unit_run *r = flash_job_owner(j);
    if (step->kind != STEP_WRITE)
        return;
    uint64_t now = unit_run_now_us();
    r->progress.bytes_done = r->written_before + done;
    double secs = (double)(now - step->started_us) / 1e6;
    r->progress.rate = secs > 0 ? (double)done / secs : 0;
    if (done < total && now - r->last_progress_us < PROGRESS_EVERY_US)
        return;
    r->last_progress_us = now;
    unit_run_publish(r, (struct jig_event){.kind = EVENT_PROGRESS, .phase = PHASE_WRITE,
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
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTITY,
                                           .serial = r->id.unit.serial, .message = msg});
}

/* A board waiting for its key means the line outruns key generation: a
 * person should size the pool. Over once no board waits. */
static void key_pool_alarm(struct unit_run *r, bool waiting)
{
    struct station_alarms *a = r->c.env->alarms;
    struct unit_services *u = r->c.env->units;
    if (!a || !u)
        return;
    struct key_pool_stats s;
    key_pool_stats(u->keys, &s);
    if (!waiting) {
        if (s.waiting == 0)
            station_alarms_over(a, ALARM_KIND_KEY_POOL, 0);
        return;
    }
    station_alarms_raise(a, ALARM_KIND_KEY_POOL, 0, "the key pool is empty: boards wait in "
                         "their loader for keys to be made",
                         "raise key_pool_size or key_pool_workers in [identity] (jigd.conf), "
                         "or use key_type = ec-p256, much faster to make than rsa-2048");
}

static void on_key_done(void *ctx, bool ok)
{
    struct unit_run *r = ctx;
    key_pool_alarm(r, false);
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
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_UNIT,
                                           .serial = r->id.unit.serial, .mac = mac,
                                           .message = msg});
}

/* The scanned label becomes the unit's, before anything is written; a label
 * that is another unit's stops the board here, naming both serials. */
static bool bind_board_code(struct unit_run *r, struct loader_error *why)
{
    struct unit_services *u = r->c.env->units;
    if (!r->board_code[0])
        return true;
    struct sdb_board_code_bind b = {.code = r->board_code, .unit_id = r->id.unit.id,
                                    .attempt_id = r->record.attempt_id,
                                    .slot = r->c.cfg->index, .actor = r->board_code_actor};
    char other[SDB_SERIAL_MAX + 1] = "";
    int rc = sdb_board_code_bind(u->db, &b, other);
    if (rc == SDB_OK)
        return true;
    snprintf(why->message, sizeof why->message, "%s", sdb_errmsg(u->db));
    if (rc == SDB_CONFLICT) {
        snprintf(r->refusal_advice, sizeof r->refusal_advice, "nothing was written: take the "
                 "board out and check its label (unit %s already carries %.64s); scan the "
                 "label on this board, or relabel it, and run it again", other, r->board_code);
        return false;
    }
    unit_identity_storage_advice(u, r->refusal_advice, sizeof r->refusal_advice);
    return false;
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
        && sdb_attempt_set_unit(u->db, r->record.attempt_id, r->id.unit.id) != SDB_OK) {
        /* An attempt without its unit could never end as a pass. */
        snprintf(why->message, sizeof why->message, "the unit's attempt cannot be recorded: "
                 "%.150s", sdb_errmsg(u->db));
        unit_identity_storage_advice(u, r->refusal_advice, sizeof r->refusal_advice);
        return false;
    }
    announce_unit(r, mac);
    if (!bind_board_code(r, why))
        return false;
    r->id.key_done = on_key_done;
    r->id.ctx = r;
    switch (unit_identity_make(&r->id)) {
    case UNIT_IDENTITY_READY:
        identity_made(r);
        return true;
    case UNIT_IDENTITY_WAITING:
        key_pool_alarm(r, true);
        flash_job_hold(j);
        unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTITY,
                                               .message = "waiting for a key from the pool"});
        return true;
    case UNIT_IDENTITY_FAILED:
        break;
    }
    snprintf(why->message, sizeof why->message, "%.199s", r->id.cause);
    return false;
}

static bool on_identified(struct flash_job *j, const struct loader_chip_info *info,
                          struct loader_error *why)
{
    struct unit_run *r = flash_job_owner(j);
    r->c.board->chip = *info;
    r->c.board->have_chip = true;
    char mac[MAC_TEXT_SIZE], msg[200];
    mac_text(info->mac, mac);
    snprintf(msg, sizeof msg, "%s rev %d.%d, flash %u KB", info->chip ? info->chip->name : "?",
             info->revision / 100, info->revision % 100, info->flash_size / 1024);
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_IDENTIFY,
                                           .mac = mac, .message = msg});
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
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_SKIP,
                                           .message = msg});
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
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_RETRY,
                                           .message = msg});
    unit_run_release_try(r);
    r->retrying = true;
    struct slot_refusal why;
    if (start_try(r, lower, RETRY_CONNECT_ATTEMPTS, &why) < 0) {
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
    snprintf(msg, sizeof msg, "%u baud failed on %.100s and %u worked: this adapter runs at "
             "%u from now on", r->failed_baud, r->c.cfg->port, r->baud, r->baud);
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_BAUD,
                                           .message = msg});
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
    struct slot_refusal why;
    r->sync_without_reset = true;
    int rc = start_try(r, r->baud, RETRY_CONNECT_ATTEMPTS, &why);
    r->sync_without_reset = false;
    if (rc < 0) {
        struct loader_error e = {.phase = PHASE_CONNECT, .code = LOADER_ERR_PORT};
        snprintf(e.message, sizeof e.message, "%.60s did not come back after the reset: %.80s",
                 port, why.error);
        r->reenumerating = false;
        unit_run_finish(r, &e, unit_advice_for(&e));
    }
}

static void wait_for_reenumeration(struct unit_run *r)
{
    unit_run_release_try(r);
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
    snprintf(msg, sizeof msg, "%.200s went away during the reset (USB-Serial/JTAG "
             "re-enumerates); waiting for it to come back", r->c.cfg->port);
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .phase = PHASE_CONNECT,
                                           .message = msg});
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
        unit_run_say_who_stopped(r, reported);
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
        snprintf(copy.message, sizeof copy.message, "%.199s", r->id.cause);
    }
    if (e && baud_may_cure(r, e) && retry_slower(r, e))
        return;
    if (follow_reenumeration(r, e))
        return;
    if (usb_jtag_port_drop(r, e) && (e->phase == PHASE_RESET || e->phase == PHASE_BOOT_LOG)) {
        /* Every region verified; the chip left the bus to boot its app. */
        unit_run_publish(r, (struct jig_event){
            .kind = EVENT_SLOT, .phase = PHASE_RESET,
            .message = "the board re-enumerated to run its app: no boot log over "
                       "USB-Serial/JTAG"});
        e = NULL;
    }
    if (!e) {
        if (r->retrying)
            remember_slower(r);
        unit_run_finish(r, NULL, NULL);
        return;
    }
    struct loader_error reported;
    const char *advice = report(r, e, &reported);
    unit_run_finish(r, &reported, advice);
}

static const struct flash_job_callbacks job_callbacks = {
    .on_step = on_step,
    .on_progress = on_progress,
    .on_done = on_done,
    .on_identified = on_identified,
    .on_region_skipped = on_region_skipped,
    .on_boot_log = on_boot_log,
};
