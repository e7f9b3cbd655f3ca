/* What the jigctl command tests share: a stand-in for jigctl.c's
 * jigctl_error that keeps the last message (so tests can read what the user
 * would see), and a runner that calls one command with stdout captured in a
 * file. Header-only so every test program stays one file. */
#ifndef JIGD_TEST_JIGCTL_CAPTURE_H
#define JIGD_TEST_JIGCTL_CAPTURE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "jigctl_command.h"

static char last_error[4096];

void jigctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "jigctl: %s\n", last_error);
}

struct captured {
    int rc;
    char *out;          /* stdout, NUL-terminated (may hold NULs before) */
    size_t len;
};

static inline const struct jigctl_command *find_cmd(const struct jigctl_command *table,
                                             const char *name)
{
    for (const struct jigctl_command *c = table; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    fail_msg("no command '%s'", name);
    return NULL;
}

/* Runs `name` from `table` with argv (NULL-terminated list of words). */
static inline struct captured run_cmd(const struct jigctl_command *table, const char *name, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 63;)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    const struct jigctl_command *c = find_cmd(table, name);
    char path[] = "/tmp/jigctl-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    last_error[0] = '\0';
    struct captured r = {0};
    r.rc = c->run(NULL, argc, argv);    /* as jigctl runs an offline command: no client */
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    FILE *f = fdopen(fd, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    r.out = malloc((size_t)n + 1);
    r.len = fread(r.out, 1, (size_t)n, f);
    r.out[r.len] = '\0';
    fclose(f);
    unlink(path);
    return r;
}

/* The whole file, NUL-terminated; *len its size. */
static inline char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

#endif
