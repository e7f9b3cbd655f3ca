/* A slot as the API shows it: its configuration, its state, the board in
 * it (or the last one) and the last unit's outcome. */
#include "slot_internal.h"
#include "station_labels.h"

#include "mac_text.h"

#include <stdio.h>
#include <stdlib.h>

static void add_text_or_null(cJSON *o, const char *key, const char *v)
{
    if (v && v[0])
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_chip(cJSON *o, const struct unit_board *b)
{
    if (!b->have_chip || !b->chip.chip) {
        cJSON_AddNullToObject(o, "chip");
        cJSON_AddNullToObject(o, "mac");
        return;
    }
    const struct loader_chip_info *c = &b->chip;
    cJSON *chip = cJSON_AddObjectToObject(o, "chip");
    cJSON_AddStringToObject(chip, "name", c->chip->name);
    if (c->revision >= 0) {
        char rev[16];
        snprintf(rev, sizeof rev, "v%d.%d", c->revision / 100, c->revision % 100);
        cJSON_AddStringToObject(chip, "revision", rev);
    }
    cJSON_AddNumberToObject(chip, "flash_size", c->flash_size);
    char id[16];
    snprintf(id, sizeof id, "0x%06x", (unsigned)c->flash_id);
    cJSON_AddStringToObject(chip, "flash_id", id);
    char mac[MAC_TEXT_SIZE];
    cJSON_AddStringToObject(o, "mac", mac_text(c->mac, mac));
}

/* The unit running, else the last one's. */
static struct unit_progress progress_now(const struct slot *s)
{
    struct unit_progress p = s->progress;
    if (s->run)
        unit_run_progress(s->run, &p);
    return p;
}

static void add_progress(cJSON *o, const struct slot *s)
{
    struct unit_progress p = progress_now(s);
    add_text_or_null(o, "phase", phase_name(p.phase));
    cJSON_AddNumberToObject(o, "bytes_done", (double)p.bytes_done);
    cJSON_AddNumberToObject(o, "bytes_total", (double)p.bytes_total);
    cJSON_AddNumberToObject(o, "rate", p.rate);
    cJSON_AddNumberToObject(o, "baud", p.baud);
    cJSON_AddNumberToObject(o, "skipped_regions", p.skipped_regions);
}

uint32_t slot_baud(const struct slot *s)
{
    return progress_now(s).baud;
}

const struct unit_tally *slot_tally(const struct slot *s)
{
    return &s->tally;
}

static void add_last(cJSON *o, const struct slot *s)
{
    const struct unit_outcome *l = &s->last;
    add_text_or_null(o, "last_result", !s->have_last ? NULL : l->passed ? "pass" : "fail");
    cJSON_AddNumberToObject(o, "last_seconds", l->seconds);
    cJSON_AddNumberToObject(o, "passed", s->passed);
    cJSON_AddNumberToObject(o, "failed", s->failed);
    if (s->have_last && !l->passed && l->cause[0]) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        add_text_or_null(e, "phase", phase_name(l->error_phase));
        cJSON_AddStringToObject(e, "cause", l->cause);
        cJSON_AddStringToObject(e, "advice", l->advice);
    } else {
        cJSON_AddNullToObject(o, "error");
    }
}

static void add_alarm(cJSON *o, const struct slot *s)
{
    if (s->alarm_kind == ALARM_NONE) {
        cJSON_AddNullToObject(o, "alarm");
        return;
    }
    cJSON *a = cJSON_AddObjectToObject(o, "alarm");
    cJSON_AddStringToObject(a, "cause", s->alarm.error);
    cJSON_AddStringToObject(a, "advice", s->alarm.hint);
}

cJSON *slot_to_json(const struct slot *s)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "slot", s->cfg.index);
    cJSON_AddStringToObject(o, "port", s->cfg.port);
    cJSON_AddBoolToObject(o, "enabled", s->cfg.enabled);
    cJSON_AddStringToObject(o, "trigger", slot_trigger_name(s->cfg.trigger));
    cJSON_AddStringToObject(o, "reset", loader_reset_name(s->cfg.reset));
    cJSON_AddStringToObject(o, "state", slot_state_name(s->state));
    cJSON_AddBoolToObject(o, "waiting_for_removal", s->awaiting_removal);
    cJSON_AddBoolToObject(o, "identifying", s->identifying);
    add_progress(o, s);
    add_chip(o, &s->board);
    add_text_or_null(o, "serial", s->board.serial);
    add_text_or_null(o, "board_code", s->board.board_code);
    slot_board_code_json(o, s);
    add_text_or_null(o, "cert_fingerprint", s->board.fingerprint);
    add_text_or_null(o, "label_serial", station_labels_last_serial(s->env.labels, s->cfg.index));
    add_last(o, s);
    add_alarm(o, s);
    char *log = boot_log_text(&s->boot_log);
    if (log) {
        cJSON_AddStringToObject(o, "boot_log", log);
        free(log);
    }
    return o;
}
