/* The station's event bus: every step of every slot becomes an event with
 * an id one higher than the last, kept in a bounded ring so a client that
 * reconnects can replay what it missed (SSE Last-Event-ID).
 *
 * Subscribers read at their own pace through a cursor into the ring. A
 * subscriber may fall at most `max_backlog` events behind; one that falls
 * further is marked overflowed (its next read says so) instead of holding
 * up the publisher or other subscribers. The bus lives on the loop thread:
 * nothing here is thread-safe, and nothing here blocks.
 *
 * Each event is serialised to JSON once, at publish, and shared by every
 * reader. */
#ifndef JIGD_EVENT_BUS_H
#define JIGD_EVENT_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phase.h"
#include "slot_state.h"

#define EVENT_TEXT_MAX 512      /* longer strings are cut; keeps entries bounded */

enum event_kind {
    EVENT_STATION,      /* station-wide news (started, stopping, config) */
    EVENT_SLOT,         /* a slot changed state or phase */
    EVENT_PROGRESS,     /* bytes done of a phase (write, verify, ...) */
    EVENT_RESULT,       /* a unit finished: pass or fail */
    EVENT_ERROR,        /* something failed: phase, cause, advice */
    EVENT_BUNDLE,       /* the active bundle changed or failed to load */
    EVENT_KIND_COUNT
};

/* What a publisher says. Strings may be NULL, state and phases unsaid
 * (each is then left out of the JSON);
 * bytes_total == 0 leaves the byte counts out; rate < 0 leaves it out. */
struct jig_event {
    enum event_kind kind;
    int slot;                   /* 1..; 0 = the station as a whole */
    enum slot_state state;      /* SLOT_STATE_UNSAID: left out */
    enum phase phase;           /* PHASE_NONE: left out */
    uint64_t bytes_done, bytes_total;
    double rate;                /* bytes per second */
    const char *result;         /* "pass" | "fail" */
    enum phase error_phase;     /* where it failed */
    const char *cause;          /* what happened, in words */
    const char *advice;         /* what the operator should check */
    const char *serial, *mac;
    const char *message;        /* free text (station, bundle events) */
};

/* One event as stored: its id, kind and JSON text (one line, no '\n'). */
struct event_record {
    uint64_t id;
    enum event_kind kind;
    int slot;
    char *json;
    size_t json_len;
};

struct event_bus;
struct event_sub;

typedef void (*event_notify_fn)(void *ctx, struct event_sub *sub);

/* A ring of `capacity` events (at least 1). Wall-clock time comes from
 * `clock_ms` (milliseconds since the epoch) or the real clock when NULL. */
struct event_bus *event_bus_new(size_t capacity, int64_t (*clock_ms)(void));
/* Every subscriber must have unsubscribed. */
void event_bus_free(struct event_bus *bus);

/* Stores the event and tells every subscriber. Returns its id (1, 2, ...),
 * or 0 if memory ran out (the event is lost, ids do not skip). */
uint64_t event_bus_publish(struct event_bus *bus, const struct jig_event *ev);

uint64_t event_bus_last_id(const struct event_bus *bus);    /* 0 = none yet */
uint64_t event_bus_first_id(const struct event_bus *bus);   /* oldest kept */
const struct event_record *event_bus_get(const struct event_bus *bus,
                                         uint64_t id);      /* NULL if not kept */
const char *event_kind_name(enum event_kind k);

/* Subscribes. `after_id` is the last event the subscriber already has:
 * replay starts after it; pass event_bus_last_id() for live events only.
 * `max_backlog` is clamped to 1..capacity. `notify` runs (on publish, from
 * inside event_bus_publish) whenever there is something new to read; it
 * must not publish or free the bus, but may unsubscribe its own sub. */
struct event_sub *event_bus_subscribe(struct event_bus *bus, uint64_t after_id,
                                      size_t max_backlog, event_notify_fn notify,
                                      void *ctx);
void event_bus_unsubscribe(struct event_sub *sub);

enum event_next {
    EVENT_NEXT_NONE,        /* nothing new */
    EVENT_NEXT_EVENT,       /* *rec is the next event */
    EVENT_NEXT_GAP,         /* events were missed (replay asked for more than
                               the ring keeps, or for ids from another run);
                               *missed says how many, reading goes on after */
    EVENT_NEXT_OVERFLOW,    /* this subscriber fell more than max_backlog
                               behind; it stays here: drop it */
};

enum event_next event_sub_next(struct event_sub *sub,
                               const struct event_record **rec,
                               uint64_t *missed);

/* Events published but not yet read by this subscriber. */
uint64_t event_sub_backlog(const struct event_sub *sub);
bool event_sub_overflowed(const struct event_sub *sub);

#endif
