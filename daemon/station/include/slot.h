/* A slot: one jig position, its port and the board in it, as a state
 * machine on the loop (docs/jigd.md shows it to the line engineer):
 *
 *   idle (manual) ─start─┐
 *   armed (auto, hotplug) ─board answers / port appears─▶ running(phase)
 *       ─▶ passed | failed ─(auto, hotplug: board gone)─▶ armed
 *   no-port: the adapter is gone; polled until it is back
 *   disabled: enabled = no in jigd.conf
 *
 * A slot runs one thing at a time: a quiet probe (auto: is a board in the
 * ROM loader?), a board's pass (unit_run.h: connect, identify, checks,
 * identity, stub, baud, check/write/verify, reset, boot log), or the
 * identify LED blink.
 * Everything it learns goes out on the station's event bus. A slot never
 * touches another slot: its failures end in its own state. */
#ifndef JIGD_SLOT_H
#define JIGD_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <uv.h>

#include "config.h"
#include "slot_state.h"

struct bundle;
struct event_bus;
struct slot_baud_memory;
struct station_labels;
struct unit_tally;
struct unit_services;

/* What a slot takes from its station; the station outlives its slots. */
struct slot_env {
    uv_loop_t *loop;
    struct event_bus *bus;
    struct bundle *const *bundle;       /* the station's active bundle (may be NULL) */
    const int *bundles_loading;         /* loads in flight (none active yet: wait) */
    const char *stub_dir;               /* NULL = ROM loader only */
    uint32_t boot_log_ms;
    struct slot_baud_memory *baud;      /* ceilings per adapter, shared by slots */
    struct unit_services *units;        /* database, CA, keys, NVS template; NULL =
                                           flash the bundle only, record nothing */
    struct station_alarms *alarms;      /* what needs a person; NULL = none kept */
    enum board_code_need board_code;    /* the PCB label scan before a board */
    struct station_labels *labels;      /* a label for each pass; NULL = none */
};


struct slot;
struct station_alarms;

/* The slot starts in its resting state (idle, armed, disabled) once
 * slot_begin is called. A reset = gpio slot takes its EN/IO0 lines here and
 * keeps them. NULL with the reason in err (out of memory, lines missing or
 * taken). */
struct slot *slot_new(const struct slot_env *env, const struct slot_config *cfg, char *err,
                      size_t errlen);
void slot_begin(struct slot *s);
/* Says (as the slot's alarm) what keeps a resting slot from starting a
 * unit, or that it is over: the station calls it when what every slot
 * shares changed (a bundle loaded or refused), so a manual slot that is
 * not ticking shows it too. */
void slot_review(struct slot *s);
/* Before slot_begin: the services that give each unit its identity. */
void slot_set_unit_services(struct slot *s, struct unit_services *u);

int slot_index(const struct slot *s);
enum slot_state slot_state(const struct slot *s);
bool slot_busy(const struct slot *s);   /* a unit job is running */

/* Why a slot will not do what it was asked now, in words for the operator. */
struct slot_refusal {
    char error[256];    /* what is in the way */
    char hint[256];     /* what to check or do */
};

/* Requests from the operator. true: started (its progress and outcome are
 * events); false: refused now, with why. */
bool slot_request_start(struct slot *s, struct slot_refusal *why);
bool slot_request_abort(struct slot *s, struct slot_refusal *why);
bool slot_request_identify(struct slot *s, struct slot_refusal *why);

/* ---- the PCB label (slot_board_code.c) ----------------------------------- */

/* A scanned board code for this slot's next board (actor: who scanned).
 * It is bound to the unit once the board has said its MAC, and refused
 * there if another unit bears it. A code scanned before replaces the one
 * waiting (its text in replaced, else ""; SDB_BOARD_CODE_MAX + 1 bytes).
 * In `required` mode the scan is what lets an auto or hotplug slot start.
 * The station refuses scans itself when board_code = none. */
#define BOARD_CODE_NONE_HINT \
    "set board_code = optional or required in [station] of jigd.conf and restart jigd"
bool slot_request_board_code(struct slot *s, const char *code, const char *actor,
                             char *replaced, struct slot_refusal *why);
/* How well the slot suits a scan that names no slot: 0 a board is in the
 * jig waiting for its label, 1 resting with none scanned, -1 not at all
 * (no scanning here, a code waits already, busy, no port). */
int slot_board_code_rank(const struct slot *s);
/* The code waiting for the slot's next board, or NULL. */
const char *slot_board_code_pending(const struct slot *s);

/* The slot for the API: index, port, trigger, state, phase, progress, chip,
 * MAC, last result and error, boot log tail. */
cJSON *slot_to_json(const struct slot *s);
/* For GET /metrics: the line's baud rate (the unit running, else the last
 * one; 0 before any), as `baud` in slot_to_json; the attempts the slot has
 * recorded since jigd started (unit_tally.h). */
uint32_t slot_baud(const struct slot *s);
const struct unit_tally *slot_tally(const struct slot *s);

/* Stops everything the slot runs (a running unit ends as aborted) and
 * closes its handles; `done` runs once all are closed. Then slot_free. */
void slot_close(struct slot *s, void (*done)(void *ctx), void *ctx);
void slot_free(struct slot *s);

/* ---- baud ladder (slot_baud.c) ----------------------------------------- */

/* The rates jigd climbs to, and for each adapter (port URL) the highest
 * one that has worked, so a weak adapter is not pushed again. */
struct slot_baud_memory *slot_baud_memory_new(void);
void slot_baud_memory_free(struct slot_baud_memory *m);
/* The rate to use on `url` for a slot whose maximum is `max`. */
uint32_t slot_baud_pick(const struct slot_baud_memory *m, const char *url, uint32_t max);
/* The rung below `failed`; 0 when `failed` is the bottom (115200). */
uint32_t slot_baud_below(uint32_t failed);
/* `url` worked at `baud` after a higher rate failed: remember it. */
void slot_baud_remember(struct slot_baud_memory *m, const char *url, uint32_t baud);

#endif
