/* The line's figures for the dashboard's header, from the station
 * database so a restart of jigd loses none: the shift's first-pass yield,
 * units per hour, and the work order's progress. */
#ifndef JIGD_STATION_PRODUCTION_H
#define JIGD_STATION_PRODUCTION_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

struct station_db;
struct jigd_config;

/* When the shift that holds `now` began: the latest of `starts` (minutes
 * after local midnight, ascending, n >= 1) not after now, today or, before
 * today's first, yesterday's last. Local time, so a DST change moves it
 * as the clock on the wall does. */
time_t shift_started_at(time_t now, const unsigned *starts, size_t n);

/* {"shift": {"since", "units", "first_pass", "first_pass_yield"},
 *  "units_per_hour", "work_order": {...} | null}; NULL when the database
 * cannot be read (the header then says nothing rather than a wrong 0). */
struct unit_services;
cJSON *station_production_json(const struct unit_services *u, time_t now);

#endif
