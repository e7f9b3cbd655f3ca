/* jigctl: the command-line client of jigd's REST API. What the groups that
 * talk to jigd share: the client, and helpers around it. The command table
 * itself is jigctl_command.h's. */
#ifndef JIGD_JIGCTL_H
#define JIGD_JIGCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "http_client.h"
#include "jigctl_command.h"

struct jigctl {
    struct http_client http;
    bool tty;                   /* stdout is a terminal */
};

/* GET / POST a path under the URL; on success *out is the parsed JSON (free
 * it) and JIGCTL_EXIT_OK is returned. On failure the reason and jigd's hint
 * are printed and the exit code returned. `body` may be NULL. */
int jigctl_get(struct jigctl *ctl, const char *path, cJSON **out);
int jigctl_post(struct jigctl *ctl, const char *path, const cJSON *body, cJSON **out);
/* POSTs a file's bytes as `content_type` (an archive to jigd's bundle store). */
int jigctl_upload(struct jigctl *ctl, const char *path, const void *data, size_t len,
                  const char *content_type, cJSON **out);

/* argv[0] as a slot number, or a usage error printed. */
int jigctl_slot_arg(int argc, char **argv, const char *command, int *slot);

/* Small readers that never fail: a missing or mistyped field gives def. */
const char *jigctl_str(const cJSON *o, const char *key, const char *def);
double jigctl_num(const cJSON *o, const char *key, double def);

#endif
