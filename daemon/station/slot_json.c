/* A slot as the API shows it, and the boot-log ring behind its tail. */
#include "slot_internal.h"

#include <stdlib.h>
#include <string.h>

void slot_boot_log_clear(struct slot *s)
{
    s->boot_log_len = s->boot_log_head = 0;
}

void slot_boot_log_append(struct slot *s, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s->boot_log[s->boot_log_head] = data[i];
        s->boot_log_head = (s->boot_log_head + 1) % SLOT_BOOT_LOG_KEEP;
        if (s->boot_log_len < SLOT_BOOT_LOG_KEEP)
            s->boot_log_len++;
    }
}

/* The kept bytes in order, as text JSON can carry: a boot log at the wrong
 * rate is noise, and noise must not make the slot's JSON invalid UTF-8. */
static char *boot_log_text(const struct slot *s)
{
    char *t = malloc(s->boot_log_len + 1);
    if (!t)
        return NULL;
    size_t start = (s->boot_log_head + SLOT_BOOT_LOG_KEEP - s->boot_log_len) % SLOT_BOOT_LOG_KEEP;
    for (size_t i = 0; i < s->boot_log_len; i++) {
        uint8_t c = s->boot_log[(start + i) % SLOT_BOOT_LOG_KEEP];
        t[i] = (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t' ? (char)c : '.';
    }
    t[s->boot_log_len] = '\0';
    return t;
}

static void add_text_or_null(cJSON *o, const char *key, const char *v)
{
    if (v && v[0])
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_chip(cJSON *o, const struct slot *s)
{
    if (!s->have_chip || !s->chip.chip) {
        cJSON_AddNullToObject(o, "chip");
        cJSON_AddNullToObject(o, "mac");
        return;
    }
    const struct loader_chip_info *c = &s->chip;
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
    char mac[18];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", c->mac[0], c->mac[1],
             c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
    cJSON_AddStringToObject(o, "mac", mac);
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
    cJSON_AddStringToObject(o, "reset", slot_reset_name(s->cfg.reset));
    cJSON_AddStringToObject(o, "state", slot_state_name(s->state));
    add_text_or_null(o, "phase", s->phase);
    cJSON_AddBoolToObject(o, "waiting_for_removal", s->awaiting_removal);
    cJSON_AddBoolToObject(o, "identifying", s->identifying);
    cJSON_AddNumberToObject(o, "bytes_done", (double)s->bytes_done);
    cJSON_AddNumberToObject(o, "bytes_total", (double)s->bytes_total);
    cJSON_AddNumberToObject(o, "rate", s->rate);
    cJSON_AddNumberToObject(o, "baud", s->baud);
    cJSON_AddNumberToObject(o, "skipped_regions", s->skipped_regions);
    add_chip(o, s);
    add_text_or_null(o, "serial", s->serial);
    add_text_or_null(o, "cert_fingerprint", s->fingerprint);
    add_text_or_null(o, "last_result", s->last_result);
    cJSON_AddNumberToObject(o, "last_seconds", s->last_seconds);
    cJSON_AddNumberToObject(o, "passed", s->passed);
    cJSON_AddNumberToObject(o, "failed", s->failed);
    if (s->cause[0]) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        cJSON_AddStringToObject(e, "phase", s->error_phase);
        cJSON_AddStringToObject(e, "cause", s->cause);
        cJSON_AddStringToObject(e, "advice", s->advice);
    } else {
        cJSON_AddNullToObject(o, "error");
    }
    char *log = boot_log_text(s);
    if (log) {
        cJSON_AddStringToObject(o, "boot_log", log);
        free(log);
    }
    return o;
}
