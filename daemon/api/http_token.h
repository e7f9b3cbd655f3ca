/* Rule 4 of http_check.h: which token a request carries, and so who asks
 * and in which role. Private to http_check.c. */
#ifndef JIGD_HTTP_TOKEN_H
#define JIGD_HTTP_TOKEN_H

#include <stdbool.h>

#include "http_check.h"

/* Finds the token of the request (`auth`: its Authorization value, NULL
 * when it has none; else ?access_token= of a read) among the policy's: the
 * api_token_file's (admin) or a named one (its hash). true with v->role
 * and v->actor set; false when none is given or none matches. */
bool http_token_identify(const struct http_policy *p, const struct http_slice *auth,
                         struct http_slice query, bool is_read, struct http_verdict *v);

#endif
