/* A request body as a JSON object; see http_json_body.h. */
#include "http_json_body.h"

#include <stdbool.h>
#include <stdio.h>

cJSON *http_json_object(const char *body, size_t len, char *error, size_t errlen)
{
    if (len == 0) {
        snprintf(error, errlen, "the request has no body");
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!o) {
        size_t at = end && end >= body ? (size_t)(end - body) : 0;
        snprintf(error, errlen, "the body is not valid JSON (near byte %zu)", at);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        snprintf(error, errlen, "the body is JSON but not an object");
        return NULL;
    }
    return o;
}
