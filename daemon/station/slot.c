/* A slot's states and triggers: when to probe, when to flash, when the
 * board has gone, when the port is back. See slot.h for the picture. */
#include "slot_internal.h"
#include "station_labels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "port.h"
#include "unit_advice.h"
#include "unit_services.h"
#include "log_line.h"

/* Auto: reset+sync this often while armed. One probe (one reset, two SYNC
 * tries) takes about half a second when nobody answers. */
#define PROBE_EVERY_MS 300
/* After a unit: is the board still there? Two silent probes in a row
 * mean it was taken out. */
#define PRESENCE_EVERY_MS 500
#define PRESENCE_MISSES 2
#define HOTPLUG_POLL_MS 250
#define PORT_POLL_MS 1000
#define UNIT_CONNECT_ATTEMPTS 3     /* the board answered a probe just now */
#define BLINK_MS 10000

void slot_publish(struct slot *s, const struct jig_event *ev)
{
    struct jig_event e = *ev;
    e.slot = s->cfg.index;
    event_bus_publish(s->env.bus, &e);
}

static void slot_set_state(struct slot *s, enum slot_state st)
{
    if (s->state == st)
        return;
    s->state = st;
    struct jig_event ev = {.kind = EVENT_SLOT, .state = st, .rate = -1};
    slot_publish(s, &ev);
}

/* ---- quiet jobs: probe, presence, blink ---------------------------------- */

static void on_quiet_done(struct flash_job *j, const struct loader_error *e);
static const struct flash_job_callbacks quiet_callbacks = {.on_done = on_quiet_done};

static void start_quiet(struct slot *s, enum slot_activity act)
{
    struct flash_job_config c = {
        .port = s->cfg.port,
        .action = act == ACT_BLINK ? FLASH_JOB_BLINK : FLASH_JOB_IDENTIFY,
        .reset = s->cfg.reset,
        .reset_lines = s->reset_lines,
        .connect_attempts = act == ACT_BLINK ? 0 : 1,
        .sync_tries = act == ACT_BLINK ? 0 : 2,
        .led_gpio = s->cfg.led_gpio,
        .blink_ms = BLINK_MS,
    };
    char err[200];
    s->job = flash_job_new(s->env.loop, &c, &quiet_callbacks, s, err, sizeof err);
    if (!s->job) {
        log_line("jigd: slot %d: %s", s->cfg.index, err);
        slot_schedule(s, PORT_POLL_MS);
        return;
    }
    s->act = act;
    if (act == ACT_BLINK) {
        s->identifying = true;
        struct jig_event ev = {.kind = EVENT_SLOT, .state = s->state,
                               .phase = PHASE_IDENTIFY_LED, .message = "blinking the LED for 10 s",
                               .rate = -1};
        slot_publish(s, &ev);
    }
    flash_job_start(s->job);
}

static void on_unit_running(void *ctx);
static void on_unit_unrecorded(void *ctx, const char *cause, const char *advice);
static void on_unit_ended(void *ctx, const struct unit_outcome *o);

/* false: the unit did not start (why says so, and the slot's alarm). */
static bool start_unit(struct slot *s, int attempts, struct slot_refusal *why)
{
    struct unit_run_config c = {
        .env = &s->env,
        .cfg = &s->cfg,
        .reset_lines = s->reset_lines,
        .boot_log = &s->boot_log,
        .board = &s->board,
        .baud = slot_baud_pick(s->env.baud, s->cfg.port, s->cfg.max_baud),
        .connect_attempts = attempts,
        .board_code = s->code,
        .board_code_actor = s->code_actor,
        .tally = &s->tally,
    };
    struct unit_run_owner owner = {.ctx = s, .on_running = on_unit_running,
                                   .on_unrecorded = on_unit_unrecorded,
                                   .on_ended = on_unit_ended};
    s->awaiting_removal = false;
    s->run = unit_run_start(&c, &owner, why);
    if (!s->run) {
        slot_alarm_raise(s, ALARM_START, why);
        slot_schedule(s, PORT_POLL_MS);
        return false;
    }
    slot_alarm_clear(s);
    slot_board_code_taken(s);
    /* serial and mac now name the new board: a last result beside them
     * would read as this board's (a "pass" on a unit still unrecorded). */
    s->have_last = false;
    s->act = ACT_UNIT;
    slot_set_state(s, SLOT_RUNNING);
    return true;
}

/* A start nobody waits for an answer to: the alarm tells the operator. */
static void start_unit_now(struct slot *s, int attempts)
{
    struct slot_refusal why;
    start_unit(s, attempts, &why);
}

void slot_enter_rest(struct slot *s)
{
    s->awaiting_removal = false;
    if (s->cfg.trigger == SLOT_TRIGGER_MANUAL) {
        slot_set_state(s, SLOT_IDLE);
        return;
    }
    slot_set_state(s, SLOT_ARMED);
    slot_schedule(s, 0);
}

static void on_quiet_done(struct flash_job *j, const struct loader_error *err)
{
    struct slot *s = flash_job_owner(j);
    enum slot_activity act = s->act;
    /* err lives in the job: keep a copy before letting the job go. */
    struct loader_error copy = err ? *err : (struct loader_error){0};
    const struct loader_error *e = err ? &copy : NULL;
    s->job = NULL;
    flash_job_free(j);
    s->act = ACT_NONE;
    if (s->closing) {
        slot_maybe_closed(s);
        return;
    }
    bool port_error = e && e->code == LOADER_ERR_PORT;
    bool cancelled = e && e->code == LOADER_ERR_CANCELLED;
    if (act == ACT_BLINK) {
        s->identifying = false;
        struct jig_event ev = {.kind = EVENT_SLOT, .state = s->state,
                               .phase = PHASE_IDENTIFY_LED,
                               .message = e ? NULL : "LED blinked",
                               .cause = e ? e->message : NULL,
                               .advice = e ? unit_advice_for(e) : NULL, .rate = -1};
        slot_publish(s, &ev);
    }
    if (s->start_pending) {
        s->start_pending = false;
        start_unit_now(s, 0);
        return;
    }
    if (port_error) {
        slot_port_lost(s, e->message);
        return;
    }
    if (act == ACT_PROBE && !e && slot_board_code_holds(s)) {
        slot_board_code_hold_board(s, true);
        slot_schedule(s, PORT_POLL_MS);     /* still there? (the scan starts it) */
        return;
    }
    if (act == ACT_PROBE && !e) {
        start_unit_now(s, UNIT_CONNECT_ATTEMPTS);
        return;
    }
    if (act == ACT_PROBE && !cancelled)
        slot_board_code_hold_board(s, false);
    if (act == ACT_PRESENCE && !cancelled) {
        s->presence_misses = e ? s->presence_misses + 1 : 0;
        if (s->presence_misses >= PRESENCE_MISSES) {
            slot_enter_rest(s);
            return;
        }
    }
    slot_schedule(s, act == ACT_PRESENCE ? PRESENCE_EVERY_MS : PROBE_EVERY_MS);
}

/* ---- after a unit ------------------------------------------------------- */

static void on_unit_running(void *ctx)
{
    struct slot *s = ctx;
    if (s->state != SLOT_RUNNING)
        slot_set_state(s, SLOT_RUNNING);
}

/* The board is done but the database cannot take its result: the slot
 * holds it (no re-arm, no next board) until the run has recorded it. */
static void on_unit_unrecorded(void *ctx, const char *cause, const char *advice)
{
    struct slot *s = ctx;
    struct slot_refusal a;
    snprintf(a.error, sizeof a.error, "%s", cause);
    snprintf(a.hint, sizeof a.hint, "%s", advice);
    slot_alarm_raise(s, ALARM_UNRECORDED, &a);
    slot_set_state(s, SLOT_UNRECORDED);
}

static void on_unit_ended(void *ctx, const struct unit_outcome *o)
{
    struct slot *s = ctx;
    unit_run_progress(s->run, &s->progress);
    unit_run_free(s->run);
    s->run = NULL;
    s->act = ACT_NONE;
    slot_alarm_clear(s);
    s->last = *o;
    s->have_last = true;
    if (o->passed)
        s->passed++;
    else
        s->failed++;
    /* Before the state is said: a screen that hears "passed" finds the label. */
    if (o->passed)
        station_labels_unit_passed(s->env.labels, s->cfg.index, &s->board,
                                   s->env.units ? s->env.units->work_order : "");
    slot_outcome_alarms(s, o);
    if (s->closing) {
        slot_maybe_closed(s);
        return;
    }
    slot_set_state(s, o->passed ? SLOT_PASSED : SLOT_FAILED);
    if (o->port_lost) {
        slot_port_lost(s, o->cause);
        return;
    }
    if (s->start_pending) {
        s->start_pending = false;
        start_unit_now(s, 0);
        return;
    }
    if (s->cfg.trigger != SLOT_TRIGGER_MANUAL) {
        /* The board is still in the jig: never flash it twice by accident. */
        s->awaiting_removal = true;
        s->presence_misses = 0;
        slot_schedule(s, PRESENCE_EVERY_MS);
    } else if (s->blink_pending) {
        slot_schedule(s, 0);
    }
}

/* ---- the tick ---------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
    struct slot *s = t->data;
    if (s->closing || s->act != ACT_NONE || s->state == SLOT_DISABLED)
        return;
    if (s->state == SLOT_NO_PORT) {
        slot_port_check(s);
        return;
    }
    if (s->blink_pending) {
        s->blink_pending = false;
        start_quiet(s, ACT_BLINK);
        return;
    }
    bool hotplug = s->cfg.trigger == SLOT_TRIGGER_HOTPLUG;
    if (s->awaiting_removal) {
        if (!hotplug) {
            start_quiet(s, ACT_PRESENCE);
        } else if (!slot_port_present(s)) {
            slot_enter_rest(s);
        } else {
            slot_schedule(s, HOTPLUG_POLL_MS);
        }
        return;
    }
    if (s->state != SLOT_ARMED)
        return;
    struct slot_refusal why;
    if (!slot_ready(s, &why)) {
        slot_schedule(s, PORT_POLL_MS);  /* the alarm says what it waits for */
        return;
    }
    if (!hotplug) {
        start_quiet(s, ACT_PROBE);
        return;
    }
    bool present = slot_port_present(s);
    slot_board_code_hold_board(s, present && slot_board_code_holds(s));
    if (present && !slot_board_code_holds(s))
        start_unit_now(s, 0);
    else
        slot_schedule(s, HOTPLUG_POLL_MS);
}

void slot_schedule(struct slot *s, uint64_t ms)
{
    if (!s->closing)
        uv_timer_start(&s->timer, on_tick, ms, 0);
}

/* ---- life cycle -------------------------------------------------------- */

void slot_set_unit_services(struct slot *s, struct unit_services *u)
{
    s->env.units = u;
}

static int take_reset_lines(struct slot *s, char *err, size_t errlen)
{
    if (!s->cfg.enabled || s->cfg.reset != LOADER_RESET_GPIO)
        return 0;
    char consumer[32], why[200];
    snprintf(consumer, sizeof consumer, "jigd slot %d", s->cfg.index);
    s->reset_lines = reset_gpio_open(s->cfg.gpio_chip, (unsigned)s->cfg.gpio_en,
                                     (unsigned)s->cfg.gpio_io0, consumer, why, sizeof why);
    if (s->reset_lines)
        return 0;
    snprintf(err, errlen, "[slot %d] (line %d): reset = gpio: %s", s->cfg.index, s->cfg.line,
             why);
    return -1;
}

struct slot *slot_new(const struct slot_env *env, const struct slot_config *cfg, char *err,
                      size_t errlen)
{
    struct slot *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->env = *env;
    s->cfg = *cfg;
    if (take_reset_lines(s, err, errlen) < 0) {
        free(s);
        return NULL;
    }
    s->state = SLOT_IDLE;
    unit_tally_init(&s->tally);
    uv_timer_init(env->loop, &s->timer);
    s->timer.data = s;
    s->handles_open = 1;
    return s;
}

void slot_begin(struct slot *s)
{
    if (!s->cfg.enabled) {
        s->state = SLOT_DISABLED;
        return;
    }
    s->state = SLOT_STATE_UNSAID;   /* so the first state is announced */
    if (!slot_port_missing(s))
        slot_enter_rest(s);
}

void slot_review(struct slot *s)
{
    struct slot_refusal why;
    if (!s->closing && (s->state == SLOT_IDLE || s->state == SLOT_ARMED) && s->act != ACT_UNIT)
        slot_ready(s, &why);
}

int slot_index(const struct slot *s)
{
    return s->cfg.index;
}

enum slot_state slot_state(const struct slot *s)
{
    return s->state;
}

bool slot_busy(const struct slot *s)
{
    return s->act == ACT_UNIT;
}

static void refuse(struct slot_refusal *err, const char *hint, const char *fmt, int slot,
                   const char *what)
{
    snprintf(err->error, sizeof err->error, fmt, slot, what);
    snprintf(err->hint, sizeof err->hint, "%s", hint);
}

/* Common refusals for start and identify. */
static bool can_act(struct slot *s, struct slot_refusal *err)
{
    int n = s->cfg.index;
    if (s->state == SLOT_DISABLED) {
        refuse(err, "set enabled = yes in its [slot] section and restart jigd",
               "slot %d is disabled in jigd.conf%s", n, "");
        return false;
    }
    if (s->state == SLOT_NO_PORT) {
        refuse(err, "check the adapter and cable of this position; the slot comes back by "
               "itself", "slot %d has no port (%.200s)", n, s->cfg.port);
        return false;
    }
    if (s->state == SLOT_UNRECORDED) {
        refuse(err, s->alarm.hint, "slot %d holds a board whose result is not recorded yet%s",
               n, "");
        return false;
    }
    if (s->act == ACT_UNIT) {
        refuse(err, "wait for it, or abort it (jigctl abort N)", "slot %d is %s", n,
               "flashing a board");
        return false;
    }
    if (s->act == ACT_BLINK || s->blink_pending) {
        refuse(err, "wait until the blinking ends (10 s)", "slot %d is %s", n,
               "blinking its LED");
        return false;
    }
    return true;
}

/* A quiet probe holds the port: stop it, and act when it has let go. */
static bool stop_quiet_job(struct slot *s)
{
    if (s->act == ACT_PROBE || s->act == ACT_PRESENCE) {
        flash_job_cancel(s->job);
        return true;
    }
    return s->act == ACT_PORT_CHECK;
}

bool slot_request_start(struct slot *s, struct slot_refusal *err)
{
    if (!can_act(s, err))
        return false;
    if (slot_board_code_holds(s)) {
        refuse(err, "scan the label on the board (the dashboard takes the scan), then start "
               "it again", "slot %d flashes no board before its label is scanned%s", s->cfg.index,
               " (board_code = required)");
        return false;
    }
    if (!slot_ready(s, err))
        return false;
    if (stop_quiet_job(s)) {
        s->start_pending = true;
        return true;
    }
    uv_timer_stop(&s->timer);
    return start_unit(s, 0, err);
}

bool slot_request_abort(struct slot *s, struct slot_refusal *err)
{
    if (s->state == SLOT_UNRECORDED) {
        refuse(err, s->alarm.hint, "slot %d's board is done; only its record is missing%s",
               s->cfg.index, "");
        return false;
    }
    if (s->act != ACT_UNIT) {
        refuse(err, "jigctl status shows what each slot does",
               "slot %d is %s; there is nothing to abort", s->cfg.index,
               slot_state_name(s->state));
        return false;
    }
    unit_run_abort(s->run);
    return true;
}

bool slot_request_identify(struct slot *s, struct slot_refusal *err)
{
    if (!can_act(s, err))
        return false;
    if (s->cfg.led_gpio == CONFIG_NO_GPIO) {
        refuse(err, "set led_gpio (the board's LED pin) in [station] or this [slot] section",
               "slot %d has no identify LED configured%s", s->cfg.index, "");
        return false;
    }
    s->blink_pending = true;
    if (!stop_quiet_job(s)) {
        uv_timer_stop(&s->timer);
        slot_schedule(s, 0);
    }
    return true;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct slot *s = h->data;
    s->handles_open--;
    slot_maybe_closed(s);
}

void slot_maybe_closed(struct slot *s)
{
    if (!s->closing || s->job || s->run || s->check_port || s->handles_open)
        return;
    if (s->closed_cb) {
        void (*cb)(void *) = s->closed_cb;
        s->closed_cb = NULL;
        cb(s->closed_ctx);
    }
}

void slot_close(struct slot *s, void (*done)(void *ctx), void *ctx)
{
    s->closing = true;
    s->closed_cb = done;
    s->closed_ctx = ctx;
    if (s->job)
        flash_job_cancel(s->job);
    if (s->run)
        unit_run_stop(s->run);
    if (s->check_port)
        port_close(s->check_port);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
}

void slot_free(struct slot *s)
{
    if (!s)
        return;
    unit_run_free(s->run);
    reset_gpio_close(s->reset_lines);
    free(s);
}
