/* Route pattern matching. Walks pattern and path segment by segment, so the
 * cost is linear and nothing is allocated. */
#include "api_route.h"

#include <string.h>

int api_route_parse_slot(const char *s, size_t len, int *slot)
{
    /* "0", "01", "+1", "1e3" are refused: one spelling per slot keeps logs,
     * URLs and audit records comparable. */
    if (len == 0 || len > 3 || s[0] < '1' || s[0] > '9')
        return -1;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > API_ROUTE_SLOT_MAX)
        return -1;
    *slot = v;
    return 0;
}

/* Next segment of a path that starts at '/': sets *seg and *len, returns
 * the rest (starting at the next '/' or the end). */
static const char *next_segment(const char *p, const char **seg, size_t *len)
{
    *seg = p + 1;
    const char *end = strchr(*seg, '/');
    if (!end)
        end = *seg + strlen(*seg);
    *len = (size_t)(end - *seg);
    return end;
}

static void copy_bounded(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static enum api_route_match capture(const char *pseg, size_t plen,
                                    const char *seg, size_t len,
                                    struct api_route_params *params)
{
    const char *name = pseg + 1;
    size_t nlen = plen - 2;
    if (nlen == 4 && !memcmp(name, "slot", 4)) {
        if (api_route_parse_slot(seg, len, &params->slot)) {
            copy_bounded(params->bad, sizeof params->bad, seg, len);
            return API_ROUTE_BAD_PARAM;
        }
    }
    if (params->n >= API_ROUTE_MAX_PARAMS || len >= API_ROUTE_VALUE_MAX) {
        copy_bounded(params->bad, sizeof params->bad, seg, len);
        return API_ROUTE_BAD_PARAM;
    }
    copy_bounded(params->name[params->n], API_ROUTE_NAME_MAX, name, nlen);
    copy_bounded(params->value[params->n], API_ROUTE_VALUE_MAX, seg, len);
    params->n++;
    return API_ROUTE_MATCH;
}

enum api_route_match api_route_match(const char *pattern, const char *path,
                                     struct api_route_params *params)
{
    memset(params, 0, sizeof *params);
    /* The root is a pattern of no segments: only "/" itself is it. */
    if (!strcmp(pattern, "/"))
        return strcmp(path, "/") ? API_ROUTE_NO_MATCH : API_ROUTE_MATCH;
    size_t path_len = strlen(path);
    if (path[0] != '/' || pattern[0] != '/' || path_len > API_ROUTE_PATH_MAX)
        return API_ROUTE_NO_MATCH;
    /* One trailing slash is forgiven ("/api/v1/slots/"), not more. */
    char trimmed[API_ROUTE_PATH_MAX + 1];
    memcpy(trimmed, path, path_len + 1);
    if (path_len > 1 && trimmed[path_len - 1] == '/')
        trimmed[path_len - 1] = '\0';

    enum api_route_match result = API_ROUTE_MATCH;
    const char *p = pattern, *q = trimmed;
    while (*p && *q) {
        const char *pseg, *seg;
        size_t plen, len;
        p = next_segment(p, &pseg, &plen);
        q = next_segment(q, &seg, &len);
        if (len == 0)
            return API_ROUTE_NO_MATCH;
        bool is_param = plen >= 3 && pseg[0] == '{' && pseg[plen - 1] == '}';
        if (!is_param) {
            if (plen != len || memcmp(pseg, seg, len))
                return API_ROUTE_NO_MATCH;
            continue;
        }
        /* Keep walking after a bad parameter: "/slots/x/nonsense" is no
         * route at all, and should say so rather than blame the slot. */
        if (result == API_ROUTE_MATCH)
            result = capture(pseg, plen, seg, len, params);
    }
    if (*p || *q)
        return API_ROUTE_NO_MATCH;
    return result;
}

const char *api_route_param(const struct api_route_params *params,
                            const char *name)
{
    for (size_t i = 0; i < params->n; i++)
        if (!strcmp(params->name[i], name))
            return params->value[i];
    return NULL;
}
