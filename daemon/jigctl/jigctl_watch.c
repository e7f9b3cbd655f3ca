/* jigctl watch: the event stream, live. On a terminal, one progress bar per
 * slot redrawn in place; otherwise (a pipe, a log file) one plain line per
 * event, so the output can be grepped and timestamps survive. */
#include "jigctl.h"

#include <stdlib.h>
#include <string.h>

#define MAX_VIEWS 64
#define BAR_WIDTH 30
/* jigd sends a heartbeat every 15 s; three missed means it is gone. */
#define IDLE_MS 45000

struct slot_view {
    int slot;
    char state[32], phase[32], result[16], note[160];
    double done, total, rate;
};

struct watch {
    struct jigctl *ctl;
    struct slot_view views[MAX_VIEWS];
    int n_views;
    int drawn;              /* lines of bars on screen */
    long seen, max_events;  /* max_events 0 = forever */
    bool dropped;
};

static struct slot_view *view_for(struct watch *w, int slot)
{
    for (int i = 0; i < w->n_views; i++)
        if (w->views[i].slot == slot)
            return &w->views[i];
    if (w->n_views == MAX_VIEWS)
        return NULL;
    /* Keep the bars in slot order. */
    int at = w->n_views;
    while (at > 0 && w->views[at - 1].slot > slot)
        at--;
    memmove(&w->views[at + 1], &w->views[at], (size_t)(w->n_views - at) * sizeof w->views[0]);
    w->n_views++;
    memset(&w->views[at], 0, sizeof w->views[at]);
    w->views[at].slot = slot;
    return &w->views[at];
}

static void copy(char *dst, size_t cap, const char *src)
{
    if (src)
        snprintf(dst, cap, "%s", src);
}

static void update_view(struct slot_view *v, const char *kind, const cJSON *o)
{
    copy(v->state, sizeof v->state, jigctl_str(o, "state", NULL));
    const char *phase = jigctl_str(o, "phase", NULL);
    if (phase && strcmp(phase, v->phase)) {
        v->done = v->total = v->rate = 0;   /* a new phase has its own bytes */
        copy(v->phase, sizeof v->phase, phase);
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "bytes_total")) {
        v->done = jigctl_num(o, "bytes_done", 0);
        v->total = jigctl_num(o, "bytes_total", 0);
    }
    v->rate = jigctl_num(o, "rate", v->rate);
    if (!strcmp(kind, "result")) {
        copy(v->result, sizeof v->result, jigctl_str(o, "result", NULL));
        v->note[0] = '\0';
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (error)
        copy(v->note, sizeof v->note, jigctl_str(error, "cause", NULL));
    else if (!strcmp(kind, "slot") && !strcmp(v->state, "flashing"))
        v->result[0] = v->note[0] = '\0';   /* a new board */
}

static void format_rate(double rate, char *buf, size_t cap)
{
    if (rate >= 1e6)
        snprintf(buf, cap, "%.1f MB/s", rate / 1e6);
    else if (rate > 0)
        snprintf(buf, cap, "%.0f kB/s", rate / 1e3);
    else
        buf[0] = '\0';
}

static void draw_bars(struct watch *w)
{
    if (w->drawn)
        printf("\033[%dA", w->drawn);
    for (int i = 0; i < w->n_views; i++) {
        const struct slot_view *v = &w->views[i];
        int pct = v->total > 0 ? (int)(100.0 * v->done / v->total) : 0;
        int fill = v->total > 0 ? (int)(BAR_WIDTH * v->done / v->total) : 0;
        char bar[BAR_WIDTH + 1], rate[32];
        for (int k = 0; k < BAR_WIDTH; k++)
            bar[k] = k < fill ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        format_rate(v->rate, rate, sizeof rate);
        printf("\r\033[2Kslot %-3d %-10s %-10s [%s] %3d%%  %-10s %s%s%s\n", v->slot,
               v->state[0] ? v->state : "-", v->phase[0] ? v->phase : "-", bar, pct,
               rate, v->result, v->note[0] ? "  " : "", v->note);
    }
    w->drawn = w->n_views;
    fflush(stdout);
}

static void print_line(const char *kind, const cJSON *o)
{
    const char *time = jigctl_str(o, "time", "");
    const char *clock = strchr(time, 'T');
    printf("%.8s %-8s", clock ? clock + 1 : "--:--:--", kind);
    int slot = (int)jigctl_num(o, "slot", 0);
    if (slot)
        printf(" slot %d", slot);
    static const char *const fields[] = {"state", "phase", "result", "serial", "mac",
                                         "message"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = jigctl_str(o, fields[i], NULL);
        if (v)
            printf(" %s=%s", fields[i], v);
    }
    double total = jigctl_num(o, "bytes_total", 0);
    if (total > 0) {
        double done = jigctl_num(o, "bytes_done", 0);
        printf(" %d%% (%.0f/%.0f bytes)", (int)(100.0 * done / total), done, total);
    }
    char rate[32];
    format_rate(jigctl_num(o, "rate", 0), rate, sizeof rate);
    if (rate[0])
        printf(" %s", rate);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (error)
        printf(" error in %s: %s; check: %s", jigctl_str(error, "phase", "?"),
               jigctl_str(error, "cause", "?"), jigctl_str(error, "advice", "-"));
    putchar('\n');
    fflush(stdout);
}

static int on_event(void *ctx, const struct sse_event *ev)
{
    struct watch *w = ctx;
    cJSON *o = cJSON_ParseWithLength(ev->data, ev->data_len);
    if (!strcmp(ev->type, "overflow")) {
        jigctl_error("jigd dropped this watch: %s", jigctl_str(o, "error", "it fell behind"));
        w->dropped = true;
        cJSON_Delete(o);
        return 1;
    }
    if (!strcmp(ev->type, "resync")) {
        if (!w->ctl->tty)
            printf("-------- resync: %.0f events were missed; states may be stale\n",
                   jigctl_num(o, "missed", 0));
    } else if (o) {
        int slot = (int)jigctl_num(o, "slot", 0);
        struct slot_view *v = slot > 0 && w->ctl->tty ? view_for(w, slot) : NULL;
        if (v) {
            update_view(v, ev->type, o);
            draw_bars(w);
        } else if (!w->ctl->tty || slot == 0) {
            if (w->ctl->tty && w->drawn) {
                printf("\033[%dA\r\033[2K", w->drawn);   /* news above the bars */
                w->drawn = 0;
                print_line(ev->type, o);
                draw_bars(w);
            } else {
                print_line(ev->type, o);
            }
        }
        w->seen++;
    }
    cJSON_Delete(o);
    return w->max_events && w->seen >= w->max_events;
}

static int watch(struct jigctl *ctl, int argc, char **argv)
{
    struct watch *w = calloc(1, sizeof *w);
    if (!w) {
        jigctl_error("out of memory");
        return JIGCTL_EXIT_FAILED;
    }
    w->ctl = ctl;
    const char *since = NULL;
    for (int i = 0; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--count") && i + 1 < argc) {
            w->max_events = strtol(argv[++i], &end, 10);
        } else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
            since = argv[++i];
            strtoull(since, &end, 10);
        }
        if (!end || *end || end == argv[i]) {
            jigctl_error("usage: jigctl watch [--count N] [--since EVENT_ID]");
            free(w);
            return JIGCTL_EXIT_USAGE;
        }
    }
    char err[512];
    int r = http_client_events(&ctl->http, "/api/v1/events", since, IDLE_MS,
                               on_event, w, err, sizeof err);
    int code = JIGCTL_EXIT_OK;
    if (w->dropped)
        code = JIGCTL_EXIT_FAILED;
    else if (r) {
        jigctl_error("%s", err);
        code = r == HTTP_CLIENT_BAD_URL ? JIGCTL_EXIT_USAGE : JIGCTL_EXIT_UNREACHABLE;
    }
    free(w);
    return code;
}

const struct jigctl_command jigctl_watch_commands[] = {
    {"watch", "[--count N] [--since ID]", "live progress of every slot (Ctrl-C ends)",
     watch, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
