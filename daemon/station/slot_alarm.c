/* A slot's alarm: what keeps it from going on when no board is to blame --
 * no port, a clock that would misdate certificates, no bundle, no flasher
 * stub for its chip, too little room in data_dir to start a unit, a unit
 * whose record could not be begun, a result the database cannot take yet.
 * The operator hears of it once, as an error event with cause and advice,
 * sees it in the slot's `alarm` while it stands, and hears when it is
 * over. */
#include "slot_internal.h"

#include <stdio.h>
#include <string.h>

#include "bundle.h"
#include "config.h"
#include "station_alarms.h"
#include "stub_cache.h"
#include "unit_services.h"

void slot_alarm_raise(struct slot *s, enum slot_alarm_kind kind, const struct slot_refusal *a)
{
    bool news = s->alarm_kind != kind;
    s->alarm_kind = kind;
    s->alarm = *a;
    if (news && kind != ALARM_BUNDLE_LOADING && s->env.alarms)
        station_alarms_raise(s->env.alarms, ALARM_KIND_SLOT, s->cfg.index, a->error, a->hint);
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
    if (was != ALARM_NONE && s->env.alarms)
        station_alarms_over(s->env.alarms, ALARM_KIND_SLOT, s->cfg.index);
    if (was == ALARM_NONE || was == ALARM_UNRECORDED)
        return;     /* (the run says when the result is recorded) */
    char msg[300];
    snprintf(msg, sizeof msg, "over: %.280s", s->alarm.error);
    memset(&s->alarm, 0, sizeof s->alarm);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = s->state, .message = msg, .rate = -1};
    slot_publish(s, &ev);
}

/* Every stub the chip may need (the P4's depends on the revision of the
 * board to come), opened and let go: the stub cache keeps each decoded for
 * the unit that will upload it. */
#define STUB_HINT CONFIG_STUB_DIR_ADVICE "; units start by themselves once the file is there"
_Static_assert(sizeof STUB_HINT <= sizeof ((struct slot_refusal *)0)->hint,
               "the stub advice must fit a refusal's hint whole");

static int stub_usable(const struct slot *s, const struct bundle *b, struct slot_refusal *why)
{
    const char *names[CHIP_MAX_STUBS];
    size_t n = chip_stub_names(b->chip, names);
    for (size_t i = 0; i < n; i++) {
        const struct stub_image *img = stub_cache_acquire(s->env.stub_dir, b->chip, names[i],
                                                          why->error, sizeof why->error);
        if (!img) {
            snprintf(why->hint, sizeof why->hint, "%s", STUB_HINT);
            return -1;
        }
        stub_cache_release(img);
    }
    return 0;
}

/* What stands in the way, in the order it is best fixed: a clock that
 * would misdate certificates, no firmware, no stub for it, no room. */
static enum slot_alarm_kind first_blocker(struct slot *s, struct slot_refusal *why)
{
    struct unit_services *u = s->env.units;
    if (u && unit_services_clock(u, why->error, sizeof why->error, why->hint,
                                 sizeof why->hint) < 0)
        return ALARM_CLOCK;
    const struct bundle *b = *s->env.bundle;
    if (!b) {
        bool loading = s->env.bundles_loading && *s->env.bundles_loading > 0;
        snprintf(why->error, sizeof why->error, "no bundle is %s: nothing to flash",
                 loading ? "loaded yet (one is loading)" : "loaded");
        snprintf(why->hint, sizeof why->hint, "load one: jigctl bundle load <folder> (or "
                 "set bundle in jigd.conf); the log says why the last one was refused");
        return loading ? ALARM_BUNDLE_LOADING : ALARM_NO_BUNDLE;
    }
    if (s->env.stub_dir && stub_usable(s, b, why) < 0)
        return ALARM_STUB;
    if (u && unit_services_room(u, why->error, sizeof why->error, why->hint,
                                sizeof why->hint) < 0)
        return ALARM_ROOM;
    return ALARM_NONE;
}

/* The alarms slot_ready raises, as opposed to those a unit raises. */
static bool readiness_alarm(enum slot_alarm_kind k)
{
    return k == ALARM_CLOCK || k == ALARM_NO_BUNDLE || k == ALARM_STUB || k == ALARM_ROOM;
}

bool slot_ready(struct slot *s, struct slot_refusal *why)
{
    enum slot_alarm_kind k = first_blocker(s, why);
    if (k == ALARM_BUNDLE_LOADING)
        return false;
    if (k != ALARM_NONE) {
        slot_alarm_raise(s, k, why);
        return false;
    }
    if (readiness_alarm(s->alarm_kind))
        slot_alarm_clear(s);
    return true;
}
