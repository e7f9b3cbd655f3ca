/* A slot's alarm: what keeps it from going on when no board is to blame --
 * too little room in data_dir to start a unit, a unit whose record could
 * not be begun, a result the database cannot take yet. The operator hears
 * of it once, as an error event with cause and advice, sees it in the
 * slot's `alarm` while it stands, and hears when it is over. */
#include "slot_internal.h"

#include <stdio.h>
#include <string.h>

#include "unit_services.h"

void slot_alarm_raise(struct slot *s, enum slot_alarm_kind kind, const struct slot_refusal *a)
{
    bool news = s->alarm_kind != kind;
    s->alarm_kind = kind;
    s->alarm = *a;
    if (!news || kind == ALARM_UNRECORDED)
        return;     /* the run says that one itself, with the board's serial */
    struct jig_event ev = {.kind = EVENT_ERROR, .state = s->state, .cause = a->error,
                           .advice = a->hint, .rate = -1};
    slot_publish(s, &ev);
}

void slot_alarm_clear(struct slot *s)
{
    enum slot_alarm_kind was = s->alarm_kind;
    s->alarm_kind = ALARM_NONE;
    if (was == ALARM_NONE || was == ALARM_UNRECORDED)
        return;     /* (the run says when the result is recorded) */
    char msg[300];
    snprintf(msg, sizeof msg, "over: %.280s", s->alarm.error);
    memset(&s->alarm, 0, sizeof s->alarm);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = s->state, .message = msg, .rate = -1};
    slot_publish(s, &ev);
}

bool slot_room_to_record(struct slot *s, struct slot_refusal *why)
{
    if (!s->env.units || unit_services_room(s->env.units, why->error, sizeof why->error,
                                            why->hint, sizeof why->hint) == 0) {
        if (s->alarm_kind == ALARM_ROOM)
            slot_alarm_clear(s);
        return true;
    }
    slot_alarm_raise(s, ALARM_ROOM, why);
    return false;
}
