/* jigctl: the command-line client of jigd's REST API.
 *
 * Commands live in groups, one file per group (jigctl_slots.c,
 * jigctl_bundle.c, jigctl_watch.c, ...). A group exports a table of
 * struct jigctl_command ending in an entry with a NULL name, and jigctl.c
 * lists the groups. To add a group: write jigctl_<group>.c, declare its
 * table below, add it to `groups` in jigctl.c. A command's name may be
 * several words ("bundle load"): groups may share a first word. */
#ifndef JIGD_JIGCTL_H
#define JIGD_JIGCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "http_client.h"

/* Exit codes, the same for every command (scripts rely on them). */
#define JIGCTL_EXIT_OK 0
#define JIGCTL_EXIT_FAILED 1        /* jigd answered with an error */
#define JIGCTL_EXIT_USAGE 2         /* the command line is wrong */
#define JIGCTL_EXIT_UNREACHABLE 3   /* jigd could not be reached or went silent */

struct jigctl {
    struct http_client http;
    bool tty;                   /* stdout is a terminal */
};

struct jigctl_command {
    const char *name;           /* "status", "bundle load"; NULL ends a table */
    const char *args;           /* for usage: "<slot>" */
    const char *summary;
    /* argv holds what follows the command's words. Returns an exit code. */
    int (*run)(struct jigctl *ctl, int argc, char **argv);
};

extern const struct jigctl_command jigctl_slot_commands[];
extern const struct jigctl_command jigctl_bundle_commands[];
extern const struct jigctl_command jigctl_watch_commands[];
extern const struct jigctl_command jigctl_nvs_commands[];    /* local: no jigd needed */
extern const struct jigctl_command jigctl_audit_commands[];  /* local: reads the database */

/* Prints "jigctl: ..." on stderr. */
void jigctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* GET / POST a path under the URL; on success *out is the parsed JSON (free
 * it) and JIGCTL_EXIT_OK is returned. On failure the reason and jigd's hint
 * are printed and the exit code returned. `body` may be NULL. */
int jigctl_get(struct jigctl *ctl, const char *path, cJSON **out);
int jigctl_post(struct jigctl *ctl, const char *path, const cJSON *body, cJSON **out);

/* argv[0] as a slot number, or a usage error printed. */
int jigctl_slot_arg(int argc, char **argv, const char *command, int *slot);

/* Small readers that never fail: a missing or mistyped field gives def. */
const char *jigctl_str(const cJSON *o, const char *key, const char *def);
double jigctl_num(const cJSON *o, const char *key, double def);

#endif
