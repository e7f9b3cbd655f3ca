/* What a jigctl command group is: a table of commands, the exit codes they
 * share, and jigctl_error. This is all an offline group (nvs, audit,
 * bundle import, token: they work without jigd) may include from jigctl; the
 * groups that talk to jigd include jigctl.h, which adds the client.
 *
 * A group exports a table of struct jigctl_command ending in an entry with
 * a NULL name; jigctl_commands.c lists the tables, each as online or
 * offline. A command's name may be several words ("bundle load"): groups
 * may share a first word. */
#ifndef JIGD_JIGCTL_COMMAND_H
#define JIGD_JIGCTL_COMMAND_H

/* Exit codes, the same for every command (scripts rely on them). */
#define JIGCTL_EXIT_OK 0
#define JIGCTL_EXIT_FAILED 1        /* jigd (or the offline work) refused */
#define JIGCTL_EXIT_USAGE 2         /* the command line is wrong */
#define JIGCTL_EXIT_UNREACHABLE 3   /* jigd could not be reached or went silent */

struct jigctl;      /* jigctl.h; an offline command never looks inside */

struct jigctl_command {
    const char *name;           /* "status", "bundle load"; NULL ends a table */
    const char *args;           /* for usage: "<slot>" */
    const char *summary;
    /* argv holds what follows the command's words. Returns an exit code. */
    int (*run)(struct jigctl *ctl, int argc, char **argv);
    /* More for `jigctl <command> --help` (options, formats); may be NULL. */
    const char *details;
};

/* The groups that talk to jigd. */
extern const struct jigctl_command jigctl_slot_commands[];
extern const struct jigctl_command jigctl_bundle_commands[];
extern const struct jigctl_command jigctl_watch_commands[];
extern const struct jigctl_command jigctl_work_order_commands[];    /* and serial void */

/* The offline groups, each its own library (see CMakeLists.txt). */
extern const struct jigctl_command jigctl_nvs_commands[];            /* protocol's NVS */
extern const struct jigctl_command jigctl_audit_commands[];          /* db/, config/ */
extern const struct jigctl_command jigctl_bundle_import_commands[];  /* bundle/ */
extern const struct jigctl_command jigctl_doctor_commands[];  /* config/, bundle/, cert_clock */
extern const struct jigctl_command jigctl_discover_commands[];  /* /sys and /dev only */
extern const struct jigctl_command jigctl_token_commands[];     /* db/ */
extern const struct jigctl_command jigctl_webhook_commands[];   /* db/, config/ */

/* Prints "jigctl: ..." on stderr. */
void jigctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
