/* The REST API's backend made of the station: the one place that knows
 * both sides. The station answers in its own words (station_answer, a
 * refusal with error and hint); this adapter turns them into HTTP statuses
 * and puts every request, refused ones too, in the audit log. */
#ifndef JIGD_STATION_API_H
#define JIGD_STATION_API_H

#include "api_backend.h"

struct station;
struct unit_services;

/* What the backend works on; its owner (jigd.c) keeps it alive as long as
 * the API. `units` may be NULL: nothing is audited. */
struct station_api {
    struct station *st;
    struct unit_services *units;
};

struct api_backend station_api_backend(struct station_api *a);

#endif
