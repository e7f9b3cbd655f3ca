/* Event bus: a ring of serialised events and a list of cursors into it. */
#include "event_bus.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct event_sub {
    struct event_bus *bus;
    struct event_sub *prev, *next_sub;
    uint64_t next;              /* id of the next event to read */
    size_t max_backlog;
    bool overflowed;
    bool gap_pending;
    uint64_t missed;
    event_notify_fn notify;
    void *ctx;
};

struct event_bus {
    struct event_record *ring;
    size_t capacity;
    uint64_t last_id;
    int64_t (*clock_ms)(void);
    struct event_sub *subs;
};

static const char *const kind_names[EVENT_KIND_COUNT] = {
    [EVENT_STATION] = "station",
    [EVENT_SLOT] = "slot",
    [EVENT_PROGRESS] = "progress",
    [EVENT_RESULT] = "result",
    [EVENT_ERROR] = "error",
    [EVENT_BUNDLE] = "bundle",
};

const char *event_kind_name(enum event_kind k)
{
    return (unsigned)k < EVENT_KIND_COUNT ? kind_names[k] : "unknown";
}

static int64_t real_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct event_bus *event_bus_new(size_t capacity, int64_t (*clock_ms)(void))
{
    if (capacity == 0)
        capacity = 1;
    struct event_bus *bus = calloc(1, sizeof *bus);
    if (!bus)
        return NULL;
    bus->ring = calloc(capacity, sizeof *bus->ring);
    if (!bus->ring) {
        free(bus);
        return NULL;
    }
    bus->capacity = capacity;
    bus->clock_ms = clock_ms ? clock_ms : real_clock_ms;
    return bus;
}

void event_bus_free(struct event_bus *bus)
{
    if (!bus)
        return;
    for (size_t i = 0; i < bus->capacity; i++)
        free(bus->ring[i].json);
    free(bus->ring);
    free(bus);
}

uint64_t event_bus_last_id(const struct event_bus *bus)
{
    return bus->last_id;
}

uint64_t event_bus_first_id(const struct event_bus *bus)
{
    if (bus->last_id < bus->capacity)
        return 1;
    return bus->last_id - bus->capacity + 1;
}

const struct event_record *event_bus_get(const struct event_bus *bus,
                                         uint64_t id)
{
    if (id == 0 || id > bus->last_id || id < event_bus_first_id(bus))
        return NULL;
    return &bus->ring[(id - 1) % bus->capacity];
}

/* ---- serialisation ----------------------------------------------------- */

static void add_text(cJSON *o, const char *key, const char *v)
{
    if (!v)
        return;
    char cut[EVENT_TEXT_MAX + 1];
    size_t n = strnlen(v, EVENT_TEXT_MAX);
    memcpy(cut, v, n);
    cut[n] = '\0';
    cJSON_AddStringToObject(o, key, cut);
}

static void format_time(int64_t ms, char *buf, size_t cap)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", (int)(ms % 1000));
}

static char *event_to_json(const struct event_bus *bus, uint64_t id,
                           const struct jig_event *ev)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int64_t now = bus->clock_ms();
    char when[40];
    format_time(now, when, sizeof when);
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddStringToObject(o, "kind", event_kind_name(ev->kind));
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddNumberToObject(o, "time_ms", (double)now);
    cJSON_AddNumberToObject(o, "slot", ev->slot);
    add_text(o, "state", slot_state_name(ev->state));
    add_text(o, "phase", phase_name(ev->phase));
    if (ev->bytes_total) {
        cJSON_AddNumberToObject(o, "bytes_done", (double)ev->bytes_done);
        cJSON_AddNumberToObject(o, "bytes_total", (double)ev->bytes_total);
    }
    if (ev->rate >= 0 && ev->kind == EVENT_PROGRESS)
        cJSON_AddNumberToObject(o, "rate", ev->rate);
    add_text(o, "result", ev->result);
    if (ev->error_phase || ev->cause || ev->advice) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        add_text(e, "phase", phase_name(ev->error_phase));
        add_text(e, "cause", ev->cause);
        add_text(e, "advice", ev->advice);
    }
    add_text(o, "serial", ev->serial);
    add_text(o, "mac", ev->mac);
    add_text(o, "message", ev->message);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

/* ---- publish and read -------------------------------------------------- */

uint64_t event_bus_publish(struct event_bus *bus, const struct jig_event *ev)
{
    uint64_t id = bus->last_id + 1;
    char *json = event_to_json(bus, id, ev);
    if (!json)
        return 0;
    struct event_record *slot = &bus->ring[(id - 1) % bus->capacity];
    free(slot->json);
    *slot = (struct event_record){
        .id = id, .kind = ev->kind, .slot = ev->slot,
        .json = json, .json_len = strlen(json),
    };
    bus->last_id = id;

    struct event_sub *s = bus->subs;
    while (s) {
        struct event_sub *next = s->next_sub;  /* notify may unsubscribe s */
        if (!s->overflowed && event_sub_backlog(s) > s->max_backlog)
            s->overflowed = true;
        if (s->notify)
            s->notify(s->ctx, s);
        s = next;
    }
    return id;
}

struct event_sub *event_bus_subscribe(struct event_bus *bus, uint64_t after_id,
                                      size_t max_backlog, event_notify_fn notify,
                                      void *ctx)
{
    struct event_sub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->bus = bus;
    s->notify = notify;
    s->ctx = ctx;
    s->max_backlog = max_backlog == 0 ? 1
                   : max_backlog > bus->capacity ? bus->capacity : max_backlog;

    uint64_t first = event_bus_first_id(bus);
    if (after_id > bus->last_id) {
        /* Ids from a previous run of jigd: we cannot know what was missed. */
        s->next = bus->last_id + 1;
        s->gap_pending = true;
        s->missed = 0;
    } else {
        s->next = after_id + 1;
        if (s->next < first) {
            s->missed = first - s->next;
            s->next = first;
            s->gap_pending = true;
        }
        uint64_t backlog = bus->last_id + 1 - s->next;
        if (backlog > s->max_backlog) {
            s->missed += backlog - s->max_backlog;
            s->next = bus->last_id + 1 - s->max_backlog;
            s->gap_pending = true;
        }
    }
    s->next_sub = bus->subs;
    if (bus->subs)
        bus->subs->prev = s;
    bus->subs = s;
    return s;
}

void event_bus_unsubscribe(struct event_sub *s)
{
    if (!s)
        return;
    if (s->prev)
        s->prev->next_sub = s->next_sub;
    else
        s->bus->subs = s->next_sub;
    if (s->next_sub)
        s->next_sub->prev = s->prev;
    free(s);
}

uint64_t event_sub_backlog(const struct event_sub *s)
{
    return s->bus->last_id + 1 - s->next;
}

bool event_sub_overflowed(const struct event_sub *s)
{
    return s->overflowed;
}

enum event_next event_sub_next(struct event_sub *s,
                               const struct event_record **rec,
                               uint64_t *missed)
{
    if (s->gap_pending) {
        s->gap_pending = false;
        if (missed)
            *missed = s->missed;
        return EVENT_NEXT_GAP;
    }
    if (s->overflowed)
        return EVENT_NEXT_OVERFLOW;
    if (s->next > s->bus->last_id)
        return EVENT_NEXT_NONE;
    *rec = &s->bus->ring[(s->next - 1) % s->bus->capacity];
    s->next++;
    return EVENT_NEXT_EVENT;
}
