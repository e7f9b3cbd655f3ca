/* How a unit_run ends: the outcome is recorded first and reported after,
 * so a board is "pass" only once the station database holds it (the
 * DESIGN's promise). When the database takes no writes -- the disk full,
 * its files read-only, the disk failing -- the run holds the outcome: the
 * slot shows it as unrecorded with the cause and what to do, nothing is
 * reported, and the record is tried again every few seconds until the
 * database takes it; then the result goes out and the slot moves on. Only
 * jigd stopping ends a hold without the record, and then the attempt,
 * still running in the database, is marked interrupted at the next start. */
#include <stdio.h>
#include <string.h>

#include "unit_advice.h"
#include "mac_text.h"
#include "unit_run_internal.h"
#include "unit_services.h"
#include "log_line.h"

#define RECORD_RETRY_MS 2000

static void publish_result(struct unit_run *r, const struct unit_outcome *o)
{
    const struct unit_board *b = r->c.board;
    char mac[MAC_TEXT_SIZE];
    mac_text(b->chip.mac, mac);
    const char *serial = b->serial[0] ? b->serial : NULL;
    if (o->passed) {
        char msg[UNIT_TEXT] = "";
        if (b->fingerprint[0])
            snprintf(msg, sizeof msg, "certificate %s", b->fingerprint);
        unit_run_publish(r, (struct jig_event){.kind = EVENT_RESULT, .state = SLOT_PASSED,
                                               .result = "pass",
                                               .mac = b->have_chip ? mac : NULL,
                                               .serial = serial,
                                               .message = msg[0] ? msg : NULL});
        return;
    }
    unit_run_publish(r, (struct jig_event){.kind = EVENT_ERROR, .state = SLOT_FAILED,
                                           .error_phase = o->error_phase, .cause = o->cause,
                                           .advice = o->advice});
    unit_run_publish(r, (struct jig_event){.kind = EVENT_RESULT, .state = SLOT_FAILED,
                                           .result = "fail", .error_phase = o->error_phase,
                                           .cause = o->cause, .advice = o->advice,
                                           .mac = b->have_chip ? mac : NULL, .serial = serial});
}

/* The result goes out and the owner moves on; nothing after. */
static void announce(struct unit_run *r)
{
    r->unrecorded = false;
    publish_result(r, &r->outcome);
    /* A copy: the owner may free the run (and its outcome) in on_ended. */
    struct unit_outcome o = r->outcome;
    r->owner.on_ended(r->owner.ctx, &o);
}

static bool record(struct unit_run *r)
{
    const struct unit_outcome *o = &r->outcome;
    enum unit_result result = o->passed ? UNIT_PASSED
                            : o->interrupted ? UNIT_INTERRUPTED : UNIT_FAILED;
    return unit_record_end(&r->record, result, o->error_phase, o->cause) == 0;
}

/* "the pass of T-00042", "the failure of this board" */
static void name_result(const struct unit_run *r, char *out, size_t size)
{
    const char *serial = r->c.board->serial;
    snprintf(out, size, "the %s of %s", r->outcome.passed ? "pass" : "failure",
             serial[0] ? serial : "this board");
}

static void on_record_retry(uv_timer_t *t);

/* Tells the operator (once per cause) why the result waits, and tries
 * again later. */
static void hold(struct unit_run *r)
{
    const struct unit_services *u = r->c.env->units;
    char what[SDB_SERIAL_MAX + 32], cause[UNIT_TEXT], remedy[200], advice[UNIT_TEXT];
    name_result(r, what, sizeof what);
    snprintf(cause, sizeof cause, "%s is not recorded: %s", what, sdb_errmsg(u->db));
    unit_advice_storage(sdb_last_fault(u->db), u->cfg->station.data_dir, remedy, sizeof remedy);
    snprintf(advice, sizeof advice, "%.150s; jigd records it by itself (every %d s), then "
             "the slot goes on: leave the board in the jig", remedy, RECORD_RETRY_MS / 1000);
    if (!r->unrecorded || strcmp(cause, r->hold_cause)) {
        if (!r->unrecorded)
            r->held_since_us = unit_run_now_us();
        r->unrecorded = true;
        snprintf(r->hold_cause, sizeof r->hold_cause, "%s", cause);
        char mac[MAC_TEXT_SIZE];
        mac_text(r->c.board->chip.mac, mac);
        unit_run_publish(r, (struct jig_event){.kind = EVENT_ERROR, .state = SLOT_UNRECORDED,
                                               .cause = cause, .advice = advice,
                                               .serial = r->c.board->serial[0]
                                                             ? r->c.board->serial : NULL,
                                               .mac = r->c.board->have_chip ? mac : NULL});
        r->owner.on_unrecorded(r->owner.ctx, cause, advice);
    }
    uv_timer_start(r->timer, on_record_retry, RECORD_RETRY_MS, 0);
}

static void on_record_retry(uv_timer_t *t)
{
    struct unit_run *r = t->data;
    if (!record(r)) {
        hold(r);
        return;
    }
    char what[SDB_SERIAL_MAX + 32], msg[UNIT_TEXT];
    name_result(r, what, sizeof what);
    snprintf(msg, sizeof msg, "%s is recorded, %.0f s after the board was done: the station "
             "database takes writes again", what,
             (double)(unit_run_now_us() - r->held_since_us) / 1e6);
    unit_run_publish(r, (struct jig_event){.kind = EVENT_SLOT, .state = SLOT_UNRECORDED,
                                           .message = msg});
    announce(r);
}

/* jigd stops while the result waits: it is not reported as it was. */
static void give_up(struct unit_run *r)
{
    uv_timer_stop(r->timer);
    struct unit_outcome *o = &r->outcome;
    o->passed = false;
    o->interrupted = true;
    snprintf(o->cause, sizeof o->cause, "jigd stopped before this board's result could be "
             "recorded");
    snprintf(o->advice, sizeof o->advice, "run the board again once jigd is back (its attempt "
             "is marked interrupted at the next start)");
    announce(r);
}

void unit_run_finish(struct unit_run *r, const struct loader_error *e, const char *advice)
{
    uv_timer_stop(r->timer);
    struct unit_outcome *o = &r->outcome;
    *o = (struct unit_outcome){.passed = e == NULL,
                               .interrupted = e && r->stopping && e->code == LOADER_ERR_CANCELLED,
                               .port_lost = e && e->code == LOADER_ERR_PORT,
                               .seconds = (double)(unit_run_now_us() - r->started_us) / 1e6};
    if (e) {
        o->error_phase = e->phase;
        snprintf(o->cause, sizeof o->cause, "%s", e->message);
        snprintf(o->advice, sizeof o->advice, "%s", advice);
    }
    r->progress.phase = PHASE_NONE;
    /* The board has its key: zeroise now, whether or not the result waits. */
    unit_identity_release(&r->id);
    unit_run_release_try(r);
    if (record(r)) {
        announce(r);
        return;
    }
    log_line("jigd: slot %d: attempt %lld: the end not recorded: %s", r->c.cfg->index,
             (long long)r->record.attempt_id, sdb_errmsg(r->record.db));
    if (r->stopping)
        give_up(r);
    else
        hold(r);
}

void unit_run_say_who_stopped(const struct unit_run *r, struct loader_error *e)
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
    if (r->unrecorded) {
        if (r->stopping)
            give_up(r);
        return;     /* the board is done: only its record is missing */
    }
    r->abort_requested = true;
    if (r->job) {
        flash_job_cancel(r->job);
        return;
    }
    /* Between two jobs of the unit (waiting for a USB node). */
    struct loader_error e = {.phase = PHASE_CONNECT, .code = LOADER_ERR_CANCELLED};
    unit_run_say_who_stopped(r, &e);
    unit_run_finish(r, &e, r->stopping ? "run the board again once jigd is back"
                                       : unit_advice_for(&e));
}

void unit_run_stop(struct unit_run *r)
{
    r->stopping = true;
    unit_run_abort(r);
}
