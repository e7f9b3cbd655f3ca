/* The label of every unit that passes (station_labels.h). */
#include "station_labels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event_bus.h"
#include "label_printer.h"
#include "label_svg.h"
#include "label_template.h"
#include "mac_text.h"
#include "station_alarms.h"
#include "unit_run.h"

/* A label as it was made: sent again as it is on a reprint (same date). */
struct made_label {
    int slot;                       /* 0 = a free place */
    char serial[SDB_SERIAL_MAX + 1];
    char *zpl, *svg;
    size_t zpl_len;
};

struct station_labels {
    const struct jigd_config *cfg;
    struct event_bus *bus;
    struct station_alarms *alarms;
    struct label_template *tmpl;
    struct label_printer *printer;
    struct made_label kept[LABELS_KEPT];
    size_t next;                    /* the place the next label takes */
    void (*closed)(void *ctx);
    void *closed_ctx;
};

static void say(struct station_labels *l, int slot, const char *message, const char *cause,
                const char *advice)
{
    struct jig_event ev = {.kind = EVENT_STATION, .slot = slot, .message = message,
                           .cause = cause, .advice = advice, .rate = -1};
    event_bus_publish(l->bus, &ev);
}

static const struct made_label *find_serial(const struct station_labels *l, const char *serial)
{
    /* Newest first: a reworked unit's latest label. */
    for (size_t k = 1; k <= LABELS_KEPT; k++) {
        const struct made_label *m = &l->kept[(l->next + LABELS_KEPT - k) % LABELS_KEPT];
        if (m->slot && !strcmp(m->serial, serial))
            return m;
    }
    return NULL;
}

static const struct made_label *find_slot(const struct station_labels *l, int slot)
{
    for (size_t k = 1; l && k <= LABELS_KEPT; k++) {
        const struct made_label *m = &l->kept[(l->next + LABELS_KEPT - k) % LABELS_KEPT];
        if (m->slot == slot)
            return m;
    }
    return NULL;
}

/* ---- what the printer says ------------------------------------------------ */

static void advice_for(const struct station_labels *l, const char *serial, char *out,
                       size_t cap)
{
    const char *check = l->cfg->label.folder[0]
        ? "check that the label folder exists, has room and that jigd may write in it"
        : "check that the label printer is on, has labels and is on the network";
    snprintf(out, cap, "%s; the unit passed and is recorded: reprint its label with "
             "POST /api/v1/units/%s/label (the dashboard's reprint)", check, serial);
}

static void on_label_sent(void *ctx, const char *serial, bool ok, const char *cause)
{
    struct station_labels *l = ctx;
    const struct made_label *m = find_serial(l, serial);
    int slot = m ? m->slot : 0;
    char msg[EVENT_TEXT_MAX], advice[256];
    if (ok) {
        snprintf(msg, sizeof msg, "label of %s sent to %s", serial,
                 label_printer_where(l->printer));
        say(l, slot, msg, NULL, NULL);
        station_alarms_over(l->alarms, ALARM_KIND_PRINTER, 0);
        return;
    }
    advice_for(l, serial, advice, sizeof advice);
    snprintf(msg, sizeof msg, "label of %s not printed", serial);
    say(l, slot, msg, cause, advice);
    station_alarms_raise(l->alarms, ALARM_KIND_PRINTER, 0, cause, advice);
}

/* ---- making a label -------------------------------------------------------- */

/* The date a label shows is the station's local date: the one on the
 * wall of the line that packs the unit, not UTC's. */
static void local_date(char out[16])
{
    time_t now = time(NULL);
    struct tm tm;
    if (!localtime_r(&now, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
        snprintf(out, 16, "?");
}

static void keep(struct station_labels *l, int slot, const char *serial, char *zpl,
                 size_t zpl_len, char *svg)
{
    struct made_label *m = &l->kept[l->next];
    free(m->zpl);
    free(m->svg);
    *m = (struct made_label){.slot = slot, .zpl = zpl, .zpl_len = zpl_len, .svg = svg};
    snprintf(m->serial, sizeof m->serial, "%s", serial);
    l->next = (l->next + 1) % LABELS_KEPT;
}

/* A label the queue will not take (full, stopping) is a label not printed. */
static void queue_label(struct station_labels *l, const char *serial, const char *zpl,
                        size_t len)
{
    char err[300];
    if (label_printer_send(l->printer, serial, zpl, len, err, sizeof err) < 0)
        on_label_sent(l, serial, false, err);
}

void station_labels_unit_passed(struct station_labels *l, int slot, const struct unit_board *b,
                                const char *work_order)
{
    if (!l || !b->serial[0])
        return;
    char mac[MAC_TEXT_SIZE] = "", date[16];
    if (b->have_chip)
        mac_text(b->chip.mac, mac);
    local_date(date);
    struct label_values v = {.serial = b->serial, .mac = mac, .board_code = b->board_code,
                             .date = date, .work_order = work_order,
                             .station = l->cfg->station.name};
    size_t len;
    char *zpl = label_template_fill(l->tmpl, &v, &len);
    char *svg = label_svg(&v, NULL);
    if (!zpl) {
        free(svg);
        on_label_sent(l, b->serial, false, "jigd ran out of memory making the label");
        return;
    }
    keep(l, slot, b->serial, zpl, len, svg);
    queue_label(l, b->serial, zpl, len);
}

/* ---- what the API asks ----------------------------------------------------- */

const char *station_labels_last_serial(const struct station_labels *l, int slot)
{
    const struct made_label *m = find_slot(l, slot);
    return m ? m->serial : NULL;
}

static enum station_answer no_labels(struct slot_refusal *why)
{
    snprintf(why->error, sizeof why->error, "this station prints no labels");
    snprintf(why->hint, sizeof why->hint, "add a [label] section to jigd.conf "
             "(docs/label.md) and restart jigd");
    return STATION_NO_LABEL;
}

enum station_answer station_labels_preview(const struct station_labels *l, int slot,
                                           char **svg, struct slot_refusal *why)
{
    if (!l)
        return no_labels(why);
    const struct made_label *m = find_slot(l, slot);
    *svg = m && m->svg ? strdup(m->svg) : NULL;
    if (*svg)
        return STATION_ACCEPTED;
    if (m)
        snprintf(why->error, sizeof why->error, "the preview of %s's label could not be made",
                 m->serial);
    else
        snprintf(why->error, sizeof why->error, "slot %d has made no label since jigd "
                 "started", slot);
    snprintf(why->hint, sizeof why->hint, "a label is made when a unit passes");
    return STATION_NO_LABEL;
}

enum station_answer station_labels_reprint(struct station_labels *l, const char *serial,
                                           struct slot_refusal *why)
{
    if (!l)
        return no_labels(why);
    const struct made_label *m = find_serial(l, serial);
    if (!m) {
        snprintf(why->error, sizeof why->error, "no label of %.64s since jigd started (it "
                 "keeps the last %d)", serial, LABELS_KEPT);
        snprintf(why->hint, sizeof why->hint, "a label is made when a unit passes: flash the "
                 "board again to make a new one");
        return STATION_NO_LABEL;
    }
    char err[300];
    if (label_printer_send(l->printer, m->serial, m->zpl, m->zpl_len, err, sizeof err) < 0) {
        snprintf(why->error, sizeof why->error, "%.250s", err);
        snprintf(why->hint, sizeof why->hint, "GET /api/v1/alarms says what the printer "
                 "has; reprint once it prints again");
        return STATION_NOT_NOW;
    }
    return STATION_ACCEPTED;
}

/* ---- start and stop -------------------------------------------------------- */

static int load_template(const struct jigd_config *cfg, struct label_template **out,
                         char *err, size_t errlen)
{
    const struct label_settings *s = &cfg->label;
    char why[400];
    if (!s->template_path[0]) {
        *out = label_template_default(why, sizeof why);
    } else {
        size_t len;
        char *text = label_file_read(s->template_path, &len, why, sizeof why);
        *out = text ? label_template_parse(text, len, s->template_path, why, sizeof why)
                    : NULL;
        free(text);
    }
    if (*out)
        return 0;
    snprintf(err, errlen, "%s:%d: template: %s", cfg->path, s->template_line, why);
    return -1;
}

/* A folder that is not there is said at start, not by the first label. */
static int check_folder(const struct jigd_config *cfg, char *err, size_t errlen)
{
    const struct label_settings *s = &cfg->label;
    struct stat sb;
    const char *why = NULL;
    if (!s->folder[0])
        return 0;
    if (stat(s->folder, &sb) < 0)
        why = strerror(errno);
    else if (!S_ISDIR(sb.st_mode))
        why = "not a folder";
    else if (access(s->folder, W_OK | X_OK) < 0)
        why = "jigd may not write in it";
    if (!why)
        return 0;
    snprintf(err, errlen, "%s:%d: label folder %s: %s; make it, and let jigd's user write "
             "in it", cfg->path, s->folder_line, s->folder, why);
    return -1;
}

int station_labels_open(uv_loop_t *loop, const struct jigd_config *cfg, struct event_bus *bus,
                        struct station_alarms *alarms, struct station_labels **out,
                        char *err, size_t errlen)
{
    *out = NULL;
    if (!cfg->label.enabled)
        return 0;
    struct station_labels *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *l = (struct station_labels){.cfg = cfg, .bus = bus, .alarms = alarms};
    struct label_printer_options o = {
        .host = cfg->label.folder[0] ? NULL : cfg->label.printer_host,
        .port = cfg->label.printer_port,
        .folder = cfg->label.folder[0] ? cfg->label.folder : NULL,
        .timeout_ms = cfg->label.timeout_ms,
    };
    if (load_template(cfg, &l->tmpl, err, errlen) < 0 || check_folder(cfg, err, errlen) < 0
        || !(l->printer = label_printer_new(loop, &o, on_label_sent, l, err, errlen))) {
        station_labels_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

static void on_printer_closed(void *ctx)
{
    struct station_labels *l = ctx;
    if (l->closed)
        l->closed(l->closed_ctx);
}

void station_labels_close(struct station_labels *l, void (*done)(void *ctx), void *ctx)
{
    l->closed = done;
    l->closed_ctx = ctx;
    label_printer_close(l->printer, on_printer_closed, l);
}

void station_labels_free(struct station_labels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < LABELS_KEPT; i++) {
        free(l->kept[i].zpl);
        free(l->kept[i].svg);
    }
    label_template_free(l->tmpl);
    label_printer_free(l->printer);
    free(l);
}
