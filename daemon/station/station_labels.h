/* The label of every unit that passes ([label] in jigd.conf): made from
 * the unit's values when its pass is recorded, sent by daemon/label's
 * printer, kept (the last LABELS_KEPT) for the dashboard's preview and a
 * reprint. A label that does not go out raises the station's `printer`
 * alarm; the next one that does ends it. A slot never waits for any of it.
 * Private to station/ (station.c owns it, slot.c reports passes). */
#ifndef JIGD_STATION_LABELS_H
#define JIGD_STATION_LABELS_H

#include <stddef.h>

#include <uv.h>

#include "config.h"
#include "station.h"

struct event_bus;
struct station_alarms;
struct station_labels;
struct unit_board;

#define LABELS_KEPT 64

/* Reads the template (or takes the built-in one) and checks the folder:
 * 0 with *out NULL when jigd.conf has no [label]; -1 with
 * "jigd.conf:LINE: what; what to do" in err. */
int station_labels_open(uv_loop_t *loop, const struct jigd_config *cfg, struct event_bus *bus,
                        struct station_alarms *alarms, struct station_labels **out,
                        char *err, size_t errlen);

/* A unit's pass is recorded: its label is made and queued. Nothing when
 * `l` is NULL (no labels) or the board has no serial (no unit services). */
void station_labels_unit_passed(struct station_labels *l, int slot, const struct unit_board *b,
                                const char *work_order);

/* The serial of the slot's last label, or NULL. */
const char *station_labels_last_serial(const struct station_labels *l, int slot);
/* The slot's last label as SVG (to free()): ACCEPTED, or NO_LABEL with why. */
enum station_answer station_labels_preview(const struct station_labels *l, int slot,
                                           char **svg, struct slot_refusal *why);
/* The label made for `serial` (the newest), sent again. */
enum station_answer station_labels_reprint(struct station_labels *l, const char *serial,
                                           struct slot_refusal *why);

/* Labels not yet sent are given up (each said in the log); `done` runs
 * once nothing is left on the loop. Then station_labels_free. */
void station_labels_close(struct station_labels *l, void (*done)(void *ctx), void *ctx);
void station_labels_free(struct station_labels *l);

#endif
