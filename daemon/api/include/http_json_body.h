/* A request body as a JSON object: the one check every endpoint with a body
 * makes first. Pure (cJSON only), so the fuzzer runs the same code on
 * the bodies it invents. */
#ifndef JIGD_HTTP_JSON_BODY_H
#define JIGD_HTTP_JSON_BODY_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The body parsed as a JSON object (free with cJSON_Delete), or NULL with
 * what is wrong in `error` ("the body is not valid JSON (near byte 9)"). */
cJSON *http_json_object(const char *body, size_t len, char *error, size_t errlen);

#endif
