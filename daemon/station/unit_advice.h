/* What the operator should do about a failed unit, by where and how it
 * failed: the sentence after the cause on the dashboard and in the log. */
#ifndef JIGD_UNIT_ADVICE_H
#define JIGD_UNIT_ADVICE_H

#include <stddef.h>

#include "loader.h"
#include "station_db.h"

const char *unit_advice_for(const struct loader_error *e);

/* What to do when the station database in data_dir takes no writes, by
 * the fault (sdb_last_fault): the remedy, without a full stop, for the
 * caller to finish ("..., then run the board again"). */
void unit_advice_storage(enum sdb_fault fault, const char *data_dir, char *out, size_t size);

#endif
