/* jigctl work-order list | show | create | activate | close, and serial void: the MES's
 * records over jigd's API (docs/api.md, "Work orders", "POST
 * /api/v1/serials/{serial}/void"), for a line engineer at a shell. Each
 * change needs a token with role mes (--token-file), and the audit log
 * names that token. */
#include "jigctl.h"

#include <stdlib.h>
#include <string.h>

#include "option_value.h"

/* An id that can stand in a URL path as it is (jigd does not decode paths). */
static bool path_safe(const char *what, const char *id)
{
    if (id[0] && !strpbrk(id, "/?#% "))
        return true;
    jigctl_error("%s '%s' holds a character a URL path cannot carry as it is (/ ? # %% or a "
                 "space)", what, id);
    return false;
}

/* /api/v1/work-orders/ID then `tail` into path; false (said why) when the
 * id cannot stand in a path. */
static bool order_path(const char *id, const char *tail, char *path, size_t cap)
{
    if (!path_safe("work order", id))
        return false;
    snprintf(path, cap, "/api/v1/work-orders/%s%s", id, tail);
    return true;
}

static void print_work_order(const cJSON *w)
{
    printf("work order %s: %.0f of %.0f done, %.0f failed attempts, %.0f serials allocated%s%s\n",
           jigctl_str(w, "id", "?"), jigctl_num(w, "done", 0), jigctl_num(w, "quantity", 0),
           jigctl_num(w, "failed", 0), jigctl_num(w, "allocated", 0),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "active")) ? "; this station's" : "",
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "full")) ? "; full" : "");
    const char *closed = jigctl_str(w, "closed_at", NULL);
    if (closed)
        printf("  closed %s by %s: %s\n", closed, jigctl_str(w, "closed_by", "?"),
               jigctl_str(w, "close_reason", ""));
}

static int list(struct jigctl *ctl, int argc, char **argv)
{
    (void)argv;
    if (argc) {
        jigctl_error("usage: jigctl work-order list");
        return JIGCTL_EXIT_USAGE;
    }
    printf("%-24s  %9s  %9s  %7s  %-24s  %s\n", "WORK ORDER", "QUANTITY", "DONE", "FAILED",
           "CREATED", "CLOSED");
    /* Page by page, newest first, to the last. */
    char path[96] = "/api/v1/work-orders?limit=1000";
    for (;;) {
        cJSON *o = NULL;
        int r = jigctl_get(ctl, path, &o);
        if (r)
            return r;
        const cJSON *w, *next = cJSON_GetObjectItemCaseSensitive(o, "next_cursor");
        cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(o, "work_orders"))
            printf("%-24s  %9.0f  %9.0f  %7.0f  %-24s  %s\n", jigctl_str(w, "id", "?"),
                   jigctl_num(w, "quantity", 0), jigctl_num(w, "done", 0),
                   jigctl_num(w, "failed", 0), jigctl_str(w, "created_at", ""),
                   jigctl_str(w, "closed_at", "-"));
        bool more = cJSON_IsNumber(next);
        if (more)
            snprintf(path, sizeof path, "/api/v1/work-orders?limit=1000&cursor=%.0f",
                     next->valuedouble);
        cJSON_Delete(o);
        if (!more)
            return JIGCTL_EXIT_OK;
    }
}

static int show(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 1) {
        jigctl_error("usage: jigctl work-order show ID");
        return JIGCTL_EXIT_USAGE;
    }
    char path[200];
    if (!order_path(argv[0], "", path, sizeof path))
        return JIGCTL_EXIT_USAGE;
    cJSON *w = NULL;
    int r = jigctl_get(ctl, path, &w);
    if (r)
        return r;
    print_work_order(w);
    cJSON_Delete(w);
    return JIGCTL_EXIT_OK;
}

/* ID and one --NAME VALUE option (its value in *value). */
static int id_and_option(int argc, char **argv, const char *name, const char **id,
                         const char **value, const char *usage)
{
    *id = *value = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v = option_value(&i, argc, argv, name);
        if (v && v[0])
            *value = v;
        else if (!v && argv[i][0] != '-' && !*id)
            *id = argv[i];
        else
            *id = NULL, i = argc;       /* anything else: the usage */
    }
    if (*id && *value)
        return JIGCTL_EXIT_OK;
    jigctl_error("usage: jigctl %s", usage);
    return JIGCTL_EXIT_USAGE;
}

static int post_and_print(struct jigctl *ctl, const char *path, cJSON *body)
{
    cJSON *w = NULL;
    int r = jigctl_post(ctl, path, body, &w);
    cJSON_Delete(body);
    if (r)
        return r;
    print_work_order(w);
    cJSON_Delete(w);
    return JIGCTL_EXIT_OK;
}

#define CREATE_USAGE "work-order create ID --quantity N [--bundle BUNDLE-ID] " \
                     "[--serial-format FORMAT]"

struct new_order {
    const char *id, *quantity, *bundle, *serial_format;
};

/* ID and its options, each at most once; anything else is the usage. */
static bool create_args(int argc, char **argv, struct new_order *o)
{
    static const char *const names[] = {"--quantity", "--bundle", "--serial-format"};
    const char **slots[] = {&o->quantity, &o->bundle, &o->serial_format};
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        size_t k = 0;
        for (; k < 3 && !(v = option_value(&i, argc, argv, names[k])); k++)
            ;
        if (k < 3 && (!v[0] || *slots[k]))
            return false;
        if (k < 3)
            *slots[k] = v;
        else if (argv[i][0] != '-' && !o->id)
            o->id = argv[i];
        else
            return false;
    }
    return o->id && o->quantity;
}

static int create(struct jigctl *ctl, int argc, char **argv)
{
    struct new_order o = {0};
    if (!create_args(argc, argv, &o)) {
        jigctl_error("usage: jigctl " CREATE_USAGE);
        return JIGCTL_EXIT_USAGE;
    }
    char *end;
    long long n = strtoll(o.quantity, &end, 10);
    if (*end || n < 1) {
        jigctl_error("work-order create: --quantity is a whole number from 1, not '%s'",
                     o.quantity);
        return JIGCTL_EXIT_USAGE;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "id", o.id);
    cJSON_AddNumberToObject(body, "quantity", (double)n);
    if (o.bundle)
        cJSON_AddStringToObject(body, "bundle", o.bundle);
    if (o.serial_format)
        cJSON_AddStringToObject(body, "serial_format", o.serial_format);
    return post_and_print(ctl, "/api/v1/work-orders", body);
}

static int activate(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-') {
        jigctl_error("usage: jigctl work-order activate ID");
        return JIGCTL_EXIT_USAGE;
    }
    char path[200];
    if (!order_path(argv[0], "/activate", path, sizeof path))
        return JIGCTL_EXIT_USAGE;
    return post_and_print(ctl, path, NULL);
}

/* POST {"reason": TEXT} to `fmt` with the id in it (ID --reason TEXT). */
static int post_reason(struct jigctl *ctl, int argc, char **argv, const char *what,
                       const char *fmt, const char *usage, const char **id, cJSON **out)
{
    const char *reason;
    int r = id_and_option(argc, argv, "--reason", id, &reason, usage);
    if (r)
        return r;
    if (!path_safe(what, *id))
        return JIGCTL_EXIT_USAGE;
    char path[200];
    snprintf(path, sizeof path, fmt, *id);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "reason", reason);
    r = jigctl_post(ctl, path, body, out);
    cJSON_Delete(body);
    return r;
}

static int close_order(struct jigctl *ctl, int argc, char **argv)
{
    const char *id;
    cJSON *w = NULL;
    int r = post_reason(ctl, argc, argv, "work order", "/api/v1/work-orders/%s/close",
                        "work-order close ID --reason TEXT", &id, &w);
    if (r)
        return r;
    print_work_order(w);
    cJSON_Delete(w);
    return JIGCTL_EXIT_OK;
}

static int void_serial(struct jigctl *ctl, int argc, char **argv)
{
    const char *serial;
    cJSON *o = NULL;
    int r = post_reason(ctl, argc, argv, "serial", "/api/v1/serials/%s/void",
                        "serial void SERIAL --reason TEXT", &serial, &o);
    if (r)
        return r;
    printf("serial %s voided by %s: its board gets a new serial the next time it is flashed\n",
           serial, jigctl_str(o, "by", "?"));
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

#define MES_ROLE "\nChanges need a token with role mes (--token-file); the audit log names it."

const struct jigctl_command jigctl_work_order_commands[] = {
    {"work-order list", NULL, "every work order: quantity, done, failed, closed", list, NULL},
    {"work-order show", "ID", "one work order: done, failed, allocated, closed", show, NULL},
    {"work-order create", "ID --quantity N [--bundle BUNDLE-ID] [--serial-format FORMAT]",
     "a new work order (the MES's id)", create,
     "--bundle names a bundle the station holds (jigctl bundle list); --serial-format\n"
     "gives its units serials of their own (docs/config.md, serial_format).\n"
     "Creating one does not switch the station to it: work-order activate does." MES_ROLE},
    {"work-order activate", "ID", "flash the next boards against it (and its bundle)", activate,
     "The choice outlives a restart of jigd, until jigd.conf's work_order is edited.\n"
     "Refused while a slot is flashing a board." MES_ROLE},
    {"work-order close", "ID --reason TEXT", "no new board starts on it, for good",
     close_order, "Units already in it may still come back for rework." MES_ROLE},
    {"serial void", "SERIAL --reason TEXT", "never use a serial again (scrapped, mislabelled)",
     void_serial, "The unit keeps its history; its board gets a new serial when next flashed."
     MES_ROLE},
    {NULL, NULL, NULL, NULL, NULL},
};
