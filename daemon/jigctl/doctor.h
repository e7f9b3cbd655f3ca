/* jigctl doctor: what keeps this station from flashing, each finding with
 * its fix. The checks are functions of the configuration and of the roots
 * they look under (/dev, /sys, /proc, the udev rules folder), so a test
 * gives them a made-up machine instead of needing root or an adapter. They
 * never open a port: opening a tty raises DTR/RTS, which resets a board in
 * the jig. */
#ifndef JIGD_DOCTOR_H
#define JIGD_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"

/* Where the checks look; each from an environment variable for the tests
 * (daemon/jigctl/README.md), else the machine's own. */
struct doctor_roots {
    const char *dev;        /* JIGD_DOCTOR_DEV: /dev (serial/by-id, by-path) */
    const char *sys;        /* JIGD_DOCTOR_SYS: /sys (class/tty) */
    const char *proc;       /* JIGD_DOCTOR_PROC: /proc (running programs) */
    const char *udev;       /* JIGD_DOCTOR_UDEV: /etc/udev/rules.d */
};

/* Whom the files must serve: the user jigd runs as. */
struct doctor_user {
    char name[64];
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int n_groups;
};

struct doctor {
    FILE *out;
    const struct jigd_config *cfg;
    struct doctor_roots roots;
    struct doctor_user user;
    time_t now;             /* the clock; JIGD_DOCTOR_NOW (seconds) in a test */
    int problems;
};

/* ---- findings (doctor_report.c) ------------------------------------------ */

/* Something that blocks the station: what is wrong, then the fix. Counts. */
void doctor_problem(struct doctor *d, const char *fix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checked and fine. */
void doctor_ok(struct doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Worth knowing, not blocking (a remote port, a warning of the parser). */
void doctor_note(struct doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the user (doctor_user.c) --------------------------------------------- */

/* `name`, or "jigd" when that user exists, else whoever runs doctor. */
int doctor_user_find(const char *name, struct doctor_user *u, char *err, size_t errlen);
/* Whether the mode bits of `st` let u read (and write, if asked). */
bool doctor_user_may(const struct doctor_user *u, const struct stat *st, bool write);
bool doctor_user_in_group(const struct doctor_user *u, gid_t gid);
/* The name of a uid or gid, or its number. */
void doctor_owner_name(uid_t uid, char *buf, size_t cap);
void doctor_group_name(gid_t gid, char *buf, size_t cap);

/* ---- the checks, one concept per file ------------------------------------- */

void doctor_check_ports(struct doctor *d);       /* doctor_ports.c */
/* doctor_adapter.c: the USB adapter behind tty `name` (ttyUSB0) of slot s. */
void doctor_check_adapter(struct doctor *d, const struct slot_config *s, const char *name);
void doctor_check_grabbers(struct doctor *d);    /* doctor_grabbers.c */
void doctor_check_data_dir(struct doctor *d);    /* doctor_files.c */
void doctor_check_secrets(struct doctor *d);     /* doctor_files.c */
void doctor_check_firmware(struct doctor *d);    /* doctor_firmware.c */
void doctor_check_clock(struct doctor *d);       /* doctor_station.c */
void doctor_check_api(struct doctor *d);         /* doctor_station.c */

#endif
