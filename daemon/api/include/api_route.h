/* Route patterns for the REST API: "/api/v1/slots/{slot}/start".
 *
 * A pattern is a path whose segments are either literal text or a named
 * parameter in braces. The parameter {slot} is special: it must be a slot
 * number (decimal, 1..API_ROUTE_SLOT_MAX, no sign, no leading zero), so a
 * handler never sees "abc" or "-1" or "007". Any other {name} captures the
 * segment as text.
 *
 * This file has no dependencies (no MHD, no libuv) so the fuzzer can link it
 * alone. */
#ifndef JIGD_API_ROUTE_H
#define JIGD_API_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#define API_ROUTE_SLOT_MAX 999      /* syntax only; the station decides which exist */
#define API_ROUTE_MAX_PARAMS 4
#define API_ROUTE_NAME_MAX 24
#define API_ROUTE_VALUE_MAX 128
#define API_ROUTE_PATH_MAX 1024     /* longer paths never match anything */

enum api_route_match {
    API_ROUTE_NO_MATCH,     /* the path is not this pattern */
    API_ROUTE_MATCH,        /* it is, and params are filled in */
    API_ROUTE_BAD_PARAM,    /* the shape fits but a parameter is malformed
                               (e.g. {slot} = "abc"); params->bad names it */
};

struct api_route_params {
    int slot;                                   /* {slot}, or 0 if none */
    size_t n;
    char name[API_ROUTE_MAX_PARAMS][API_ROUTE_NAME_MAX];
    char value[API_ROUTE_MAX_PARAMS][API_ROUTE_VALUE_MAX];
    char bad[API_ROUTE_VALUE_MAX];              /* the malformed segment */
};

/* Matches `path` (already percent-decoded, without the query string)
 * against `pattern`. One trailing slash on the path is ignored; empty
 * segments ("//") never match. The pattern "/" matches the path "/" only. */
enum api_route_match api_route_match(const char *pattern, const char *path,
                                     struct api_route_params *params);

/* Parses a slot number as {slot} accepts it. Returns 0 and sets *slot, or
 * -1. `len` bytes of `s` are considered; no NUL needed. */
int api_route_parse_slot(const char *s, size_t len, int *slot);

/* The text captured for {name}, or NULL. */
const char *api_route_param(const struct api_route_params *params,
                            const char *name);

#endif
