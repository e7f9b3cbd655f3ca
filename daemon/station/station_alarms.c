/* The alarms that need a person (station_alarms.h). */
#include "station_alarms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_bus.h"

struct alarm {
    uint64_t id;                /* 0 = a free place */
    char kind[16];
    int slot;
    char cause[256], advice[256];
    time_t raised_at;
    bool active;                /* its cause still stands */
    bool acked;
    char acked_by[65];
    time_t acked_at;
};

struct station_alarms {
    struct event_bus *bus;
    station_alarm_fn on_raise;
    void *on_raise_ctx;
    uint64_t next_id;
    struct alarm list[STATION_ALARMS_MAX];
};

struct station_alarms *station_alarms_new(struct event_bus *bus)
{
    struct station_alarms *a = calloc(1, sizeof *a);
    if (a) {
        a->bus = bus;
        a->next_id = 1;
    }
    return a;
}

void station_alarms_on_raise(struct station_alarms *a, station_alarm_fn fn, void *ctx)
{
    a->on_raise = fn;
    a->on_raise_ctx = ctx;
}

void station_alarms_free(struct station_alarms *a)
{
    free(a);
}

/* Said on the event stream as a station event, so every screen reads the
 * alarms again. */
static void say(struct station_alarms *a, const struct alarm *al, const char *what)
{
    char msg[400];
    snprintf(msg, sizeof msg, "alarm %s: %.300s", what, al->cause);
    struct jig_event ev = {.kind = EVENT_STATION, .slot = al->slot, .message = msg,
                           .advice = al->acked ? NULL : al->advice, .rate = -1};
    if (a->bus)
        event_bus_publish(a->bus, &ev);
}

static struct alarm *find(struct station_alarms *a, const char *kind, int slot)
{
    for (size_t i = 0; i < STATION_ALARMS_MAX; i++)
        if (a->list[i].id && a->list[i].slot == slot && !strcmp(a->list[i].kind, kind))
            return &a->list[i];
    return NULL;
}

/* A free place, else the oldest acknowledged alarm's, else the oldest's:
 * a flood of alarms never stops a new one from being said. */
static struct alarm *place(struct station_alarms *a)
{
    struct alarm *oldest_acked = NULL, *oldest = NULL;
    for (size_t i = 0; i < STATION_ALARMS_MAX; i++) {
        struct alarm *al = &a->list[i];
        if (!al->id)
            return al;
        if (al->acked && (!oldest_acked || al->id < oldest_acked->id))
            oldest_acked = al;
        if (!oldest || al->id < oldest->id)
            oldest = al;
    }
    return oldest_acked ? oldest_acked : oldest;
}

void station_alarms_raise(struct station_alarms *a, const char *kind, int slot,
                          const char *cause, const char *advice)
{
    struct alarm *al = find(a, kind, slot);
    if (al && al->active && !strcmp(al->cause, cause))
        return;                     /* the same cause, still standing */
    if (!al || !al->active) {       /* a cause over and now back is news */
        al = al ? al : place(a);
        memset(al, 0, sizeof *al);
        al->id = a->next_id++;
        snprintf(al->kind, sizeof al->kind, "%s", kind);
        al->slot = slot;
        al->raised_at = time(NULL);
    }
    al->active = true;
    al->acked = false;
    snprintf(al->cause, sizeof al->cause, "%s", cause);
    snprintf(al->advice, sizeof al->advice, "%s", advice);
    say(a, al, "raised");
    cJSON *j = a->on_raise ? station_alarm_json(a, al->id) : NULL;
    if (j)
        a->on_raise(a->on_raise_ctx, j);
    cJSON_Delete(j);
}

void station_alarms_over(struct station_alarms *a, const char *kind, int slot)
{
    struct alarm *al = find(a, kind, slot);
    if (!al || !al->active)
        return;
    al->active = false;
    say(a, al, "over");
    if (al->acked)
        memset(al, 0, sizeof *al);
}

enum station_alarm_ack station_alarms_ack(struct station_alarms *a, uint64_t id,
                                          const char *actor)
{
    for (size_t i = 0; i < STATION_ALARMS_MAX; i++) {
        struct alarm *al = &a->list[i];
        if (!id || al->id != id)
            continue;
        if (al->acked)
            return ALARM_ACK_ALREADY;
        al->acked = true;
        al->acked_at = time(NULL);
        snprintf(al->acked_by, sizeof al->acked_by, "%s", actor);
        char what[100];
        snprintf(what, sizeof what, "acknowledged by %.64s", actor);
        say(a, al, what);
        if (!al->active)
            memset(al, 0, sizeof *al);
        return ALARM_ACKED;
    }
    return ALARM_ACK_NO_SUCH;
}

static void add_time(cJSON *o, const char *key, time_t t)
{
    char text[32];
    struct tm tm;
    if (t && gmtime_r(&t, &tm) && strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm))
        cJSON_AddStringToObject(o, key, text);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *alarm_json(const struct alarm *al)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)al->id);
    cJSON_AddStringToObject(o, "kind", al->kind);
    cJSON_AddNumberToObject(o, "slot", al->slot);
    cJSON_AddStringToObject(o, "cause", al->cause);
    cJSON_AddStringToObject(o, "advice", al->advice);
    add_time(o, "raised_at", al->raised_at);
    cJSON_AddBoolToObject(o, "active", al->active);
    cJSON_AddBoolToObject(o, "acknowledged", al->acked);
    if (al->acked)
        cJSON_AddStringToObject(o, "acknowledged_by", al->acked_by);
    else
        cJSON_AddNullToObject(o, "acknowledged_by");
    add_time(o, "acknowledged_at", al->acked ? al->acked_at : 0);
    return o;
}

/* Unacknowledged before acknowledged, then newest first. */
static int order(const void *x, const void *y)
{
    const struct alarm *a = *(const struct alarm *const *)x, *b = *(const struct alarm *const *)y;
    if (a->acked != b->acked)
        return a->acked ? 1 : -1;
    return a->id < b->id ? 1 : -1;
}

cJSON *station_alarms_json(const struct station_alarms *a)
{
    const struct alarm *sorted[STATION_ALARMS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < STATION_ALARMS_MAX; i++)
        if (a->list[i].id)
            sorted[n++] = &a->list[i];
    qsort(sorted, n, sizeof sorted[0], order);
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "alarms");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(list, alarm_json(sorted[i]));
    return o;
}

cJSON *station_alarm_json(const struct station_alarms *a, uint64_t id)
{
    for (size_t i = 0; id && i < STATION_ALARMS_MAX; i++)
        if (a->list[i].id == id)
            return alarm_json(&a->list[i]);
    return NULL;
}
