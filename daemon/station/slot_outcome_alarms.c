/* After a unit: what on this slot needs a person (slot_internal.h). */
#include "slot_internal.h"

#include <stdio.h>

#include "config.h"
#include "station_alarms.h"
#include "station_db.h"
#include "unit_services.h"

/* Three boards failing one after another in one position is rarely three
 * bad boards: the jig position wants a look before the fourth. */
static void failing_streak(struct slot *s, const struct unit_outcome *o)
{
    if (o->interrupted)
        return;                 /* jigd stopped it: says nothing of the position */
    if (o->passed) {
        s->failed_in_a_row = 0;
        station_alarms_over(s->env.alarms, ALARM_KIND_FAILING, s->cfg.index);
        return;
    }
    if (++s->failed_in_a_row < FAILING_STREAK)
        return;
    const char *where = phase_name(o->error_phase);
    char cause[256];
    snprintf(cause, sizeof cause, "slot %d failed %u units in a row; the last in %s: %.150s",
             s->cfg.index, s->failed_in_a_row, where ? where : "an unknown phase", o->cause);
    station_alarms_raise(s->env.alarms, ALARM_KIND_FAILING, s->cfg.index, cause,
                         "check this jig position (pogo pins or clamp, cable, adapter) with a "
                         "known good board before the next one");
}

/* The unit that completes the work order: the next board is refused, so
 * the line hears it now, not from a failing slot. */
static void work_order_complete(struct slot *s, const struct unit_outcome *o)
{
    struct unit_services *u = s->env.units;
    const char *id = u ? u->work_order : "";
    struct sdb_work_order w;
    if (!o->passed || !id[0] || sdb_work_order_get(u->db, id, &w) != SDB_OK
        || w.done < w.quantity)
        return;
    char cause[256];
    snprintf(cause, sizeof cause, "work order %s is complete: %lld of %lld units done", id,
             (long long)w.done, (long long)w.quantity);
    station_alarms_raise(s->env.alarms, ALARM_KIND_WORK_ORDER, 0, cause,
                         "activate the next work order (jigctl work-order activate, or the "
                         "MES) before flashing more: further boards are refused");
}

void slot_outcome_alarms(struct slot *s, const struct unit_outcome *o)
{
    if (!s->env.alarms)
        return;
    failing_streak(s, o);
    work_order_complete(s, o);
}
