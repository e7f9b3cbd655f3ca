/* jigctl status | start | abort | identify: the slots, read and driven. */
#include "jigctl.h"

#include <stdlib.h>
#include <string.h>

#define COLS 8

static const char *const headings[COLS] = {
    "SLOT", "PORT", "STATE", "PHASE", "PROGRESS", "SERIAL", "MAC", "LAST",
};

/* One table row as text, so column widths can follow the content. */
struct row {
    char cell[COLS][128];
};

static void fill_row(struct row *r, const cJSON *slot)
{
    snprintf(r->cell[0], sizeof r->cell[0], "%d", (int)jigctl_num(slot, "slot", 0));
    snprintf(r->cell[1], sizeof r->cell[1], "%s", jigctl_str(slot, "port", "-"));
    snprintf(r->cell[2], sizeof r->cell[2], "%s", jigctl_str(slot, "state", "-"));
    snprintf(r->cell[3], sizeof r->cell[3], "%s", jigctl_str(slot, "phase", "-"));
    double done = jigctl_num(slot, "bytes_done", 0);
    double total = jigctl_num(slot, "bytes_total", 0);
    if (total > 0)
        snprintf(r->cell[4], sizeof r->cell[4], "%d%%", (int)(100.0 * done / total));
    else
        snprintf(r->cell[4], sizeof r->cell[4], "-");
    snprintf(r->cell[5], sizeof r->cell[5], "%s", jigctl_str(slot, "serial", "-"));
    snprintf(r->cell[6], sizeof r->cell[6], "%s", jigctl_str(slot, "mac", "-"));
    const char *last = jigctl_str(slot, "last_result", "-");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(slot, "error");
    const char *where = jigctl_str(error, "phase", NULL);
    if (where && !strcmp(last, "fail"))
        snprintf(r->cell[7], sizeof r->cell[7], "fail (%s)", where);
    else
        snprintf(r->cell[7], sizeof r->cell[7], "%s", last);
}

static void print_station(struct jigctl *ctl)
{
    cJSON *st = NULL;
    /* The heading is a nicety: a station that cannot describe itself still
     * gets its table, and the error was already printed. */
    if (jigctl_get(ctl, "/api/v1/station", &st))
        return;
    const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(st, "bundle");
    const char *version = jigctl_str(bundle, "version", NULL);
    printf("station %s at %s, bundle %s%s%s\n\n", jigctl_str(st, "name", "?"),
           ctl->http.url, jigctl_str(bundle, "name", "(none loaded)"),
           version ? " " : "", version ? version : "");
    cJSON_Delete(st);
}

static void print_table(const struct row *rows, size_t n)
{
    size_t width[COLS];
    for (int c = 0; c < COLS; c++) {
        width[c] = strlen(headings[c]);
        for (size_t i = 0; i < n; i++)
            if (strlen(rows[i].cell[c]) > width[c])
                width[c] = strlen(rows[i].cell[c]);
    }
    for (int c = 0; c < COLS; c++)
        printf("%-*s%s", c + 1 < COLS ? (int)width[c] : 0, headings[c],
               c + 1 < COLS ? "  " : "\n");
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < COLS; c++)
            printf("%-*s%s", c + 1 < COLS ? (int)width[c] : 0, rows[i].cell[c],
                   c + 1 < COLS ? "  " : "\n");
}

/* A cause and its advice under the table, as "slot 3 <how>: cause". */
static void print_note(const cJSON *slot, const char *key, const char *how)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(slot, key);
    const char *cause = jigctl_str(o, "cause", NULL);
    if (!cause)
        return;
    printf("\nslot %d%s: %s\n", (int)jigctl_num(slot, "slot", 0), how, cause);
    const char *advice = jigctl_str(o, "advice", NULL);
    if (advice)
        printf("  check: %s\n", advice);
}

/* The last failure of each slot, and what keeps it from going on now (its
 * alarm: no port, no bundle, no stub, the clock, the disk). */
static void print_notes(const cJSON *slots)
{
    const cJSON *slot;
    cJSON_ArrayForEach(slot, slots) {
        print_note(slot, "error", "");
        print_note(slot, "alarm", " is blocked");
    }
}

static int status(struct jigctl *ctl, int argc, char **argv)
{
    if (argc) {
        jigctl_error("usage: jigctl status");
        return JIGCTL_EXIT_USAGE;
    }
    cJSON *o = NULL;
    int r = jigctl_get(ctl, "/api/v1/slots", &o);
    if (r)
        return r;
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(o, "slots");
    int n = cJSON_GetArraySize(slots);
    struct row *rows = calloc(n ? (size_t)n : 1, sizeof *rows);
    if (!rows) {
        cJSON_Delete(o);
        jigctl_error("out of memory");
        return JIGCTL_EXIT_FAILED;
    }
    for (int i = 0; i < n; i++)
        fill_row(&rows[i], cJSON_GetArrayItem(slots, i));
    print_station(ctl);
    print_table(rows, (size_t)n);
    print_notes(slots);
    free(rows);
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

static int slot_action(struct jigctl *ctl, int argc, char **argv, const char *action)
{
    int slot;
    int r = jigctl_slot_arg(argc, argv, action, &slot);
    if (r)
        return r;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/slots/%d/%s", slot, action);
    cJSON *o = NULL;
    if ((r = jigctl_post(ctl, path, NULL, &o)))
        return r;
    printf("slot %d: %s %s\n", slot, action, jigctl_str(o, "result", "done"));
    cJSON_Delete(o);
    return JIGCTL_EXIT_OK;
}

static int start(struct jigctl *ctl, int argc, char **argv)
{
    return slot_action(ctl, argc, argv, "start");
}

static int abort_slot(struct jigctl *ctl, int argc, char **argv)
{
    return slot_action(ctl, argc, argv, "abort");
}

static int identify(struct jigctl *ctl, int argc, char **argv)
{
    return slot_action(ctl, argc, argv, "identify");
}

const struct jigctl_command jigctl_slot_commands[] = {
    {"status", NULL, "table of the slots: state, progress, unit, last result", status, NULL},
    {"start", "<slot>", "start flashing the board in a slot", start, NULL},
    {"abort", "<slot>", "stop what a slot is doing", abort_slot, NULL},
    {"identify", "<slot>", "blink the slot's board so it can be found", identify, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
