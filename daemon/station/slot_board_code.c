/* The PCB label a slot's next board carries, as the line's barcode scanner
 * typed it into the dashboard (board_code in jigd.conf: none, optional,
 * required). The scan comes before the board has said who it is, so the
 * slot only keeps the code for its next unit; the unit binds it once the
 * board's MAC has named the unit (unit_run.c), and refuses it there when
 * the label is another unit's.
 *
 * In required mode no board is flashed without one: an auto slot still
 * probes, so the page can send a scan to the slot where a board sits, but
 * holds the board until its label is scanned; a hotplug slot holds the
 * plugged board; a manual start is refused. */
#include "slot_internal.h"

#include <stdio.h>
#include <string.h>

#include "log_line.h"

#define RETRY_SCAN_SOON_MS 0

bool slot_board_code_holds(const struct slot *s)
{
    return s->env.board_code == BOARD_CODE_REQUIRED && !s->code[0];
}

static void say(struct slot *s, const char *msg)
{
    slot_publish(s, &(struct jig_event){.kind = EVENT_SLOT, .state = s->state, .rate = -1,
                                         .message = msg});
}

void slot_board_code_hold_board(struct slot *s, bool board_in_jig)
{
    if (board_in_jig == s->board_waits_for_code)
        return;
    s->board_waits_for_code = board_in_jig;
    say(s, board_in_jig ? "a board is in the jig: scan its label to flash it"
                        : "the board waiting for its label was taken out");
}

void slot_board_code_taken(struct slot *s)
{
    s->code[0] = s->code_actor[0] = '\0';
    s->board_waits_for_code = false;
}

const char *slot_board_code_pending(const struct slot *s)
{
    return s->code[0] ? s->code : NULL;
}

int slot_board_code_rank(const struct slot *s)
{
    if (s->env.board_code == BOARD_CODE_NONE || s->code[0] || s->closing)
        return -1;
    if (s->state != SLOT_IDLE && s->state != SLOT_ARMED && s->state != SLOT_PASSED
        && s->state != SLOT_FAILED)
        return -1;
    if (s->act == ACT_UNIT || s->awaiting_removal)
        return -1;
    return s->board_waits_for_code ? 0 : 1;
}

static bool refuse(struct slot_refusal *why, const char *hint, const char *fmt, int slot)
{
    snprintf(why->error, sizeof why->error, fmt, slot);
    snprintf(why->hint, sizeof why->hint, "%s", hint);
    return false;
}

static bool can_take(const struct slot *s, struct slot_refusal *why)
{
    int n = s->cfg.index;
    if (!s->env.units)
        return refuse(why, "run jigd with its station database (jigd.conf [station] "
                      "data_dir)", "slot %d records no units, so a board code has nowhere "
                      "to go", n);
    if (s->state == SLOT_DISABLED)
        return refuse(why, "scan the label for a slot that is in use", "slot %d is disabled "
                      "in jigd.conf", n);
    return true;
}

bool slot_request_board_code(struct slot *s, const char *code, const char *actor,
                             char *replaced, struct slot_refusal *why)
{
    if (!can_take(s, why))
        return false;
    snprintf(replaced, SDB_BOARD_CODE_MAX + 1, "%s", s->code);
    snprintf(s->code, sizeof s->code, "%s", code);
    snprintf(s->code_actor, sizeof s->code_actor, "%s", actor);
    char msg[SDB_BOARD_CODE_MAX + 96];
    snprintf(msg, sizeof msg, "board code %s scanned for the %s board", code,
             s->board_waits_for_code ? "waiting" : "next");
    say(s, msg);
    log_line("jigd: slot %d: %s (by %s)", s->cfg.index, msg, actor);
    /* A board held for its label goes now: probe it again (is it still
     * there?) and flash it. A probe under way finds the code by itself. */
    if (s->board_waits_for_code && s->cfg.trigger != SLOT_TRIGGER_MANUAL
        && s->act == ACT_NONE && s->state == SLOT_ARMED) {
        uv_timer_stop(&s->timer);
        slot_schedule(s, RETRY_SCAN_SOON_MS);
    }
    return true;
}

void slot_board_code_json(cJSON *o, const struct slot *s)
{
    cJSON *scan = cJSON_AddObjectToObject(o, "scan");
    if (!scan)
        return;
    cJSON_AddStringToObject(scan, "need", board_code_need_name(s->env.board_code));
    if (s->code[0])
        cJSON_AddStringToObject(scan, "pending", s->code);
    else
        cJSON_AddNullToObject(scan, "pending");
    cJSON_AddBoolToObject(scan, "board_waiting", s->board_waits_for_code);
}
