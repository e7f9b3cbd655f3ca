/* The webhooks in jigd (webhook_wiring.h). */
#include "webhook_wiring.h"

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "log_line.h"
#include "station.h"
#include "station_db.h"
#include "unit_services.h"
#include "webhooks.h"

/* An alarm is not a row of the database: it is owed here, as it is raised,
 * keyed by when it was raised and its number (numbers restart with jigd). */
static void on_alarm(void *ctx, const cJSON *alarm)
{
    struct webhook_wiring *ww = ctx;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(alarm, "id");
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(alarm, "raised_at");
    char key[160];
    snprintf(key, sizeof key, "%s:alarm:%s:%d", ww->station_name,
             cJSON_IsString(at) ? at->valuestring : "?", cJSON_IsNumber(id) ? id->valueint : 0);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "event", "alarm");
    cJSON_AddStringToObject(body, "id", key);
    cJSON_AddStringToObject(body, "station", ww->station_name);
    cJSON_AddItemToObject(body, "alarm", cJSON_Duplicate(alarm, true));
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text || sdb_outbox_add(ww->units->db, SDB_HOOK_ALARM, "alarm", key, text) != SDB_OK)
        log_line("jigd: webhooks: the alarm %s is not owed to the receivers: %s", key,
                 text ? sdb_errmsg(ww->units->db) : "out of memory");
    free(text);
    webhooks_kick(ww->sender);
}

int webhook_wiring_start(struct webhook_wiring *ww, uv_loop_t *loop,
                         const struct jigd_config *cfg, struct unit_services *units,
                         char *err, size_t errlen)
{
    *ww = (struct webhook_wiring){.units = units, .station_name = cfg->station.name};
    if (!cfg->n_webhooks || !units)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "webhooks: libcurl would not start");
        return -1;
    }
    ww->sender = webhooks_start(loop, cfg, units->db, err, errlen);
    if (!ww->sender) {
        curl_global_cleanup();
        return -1;
    }
    for (size_t i = 0; i < cfg->n_webhooks; i++)
        log_line("jigd: webhook %s: %s", cfg->webhooks[i].name, cfg->webhooks[i].url);
    return 0;
}

void webhook_wiring_hear_alarms(struct webhook_wiring *ww, struct station *st)
{
    if (ww->sender)
        station_on_alarm(st, on_alarm, ww);
}

void webhook_wiring_kick(struct webhook_wiring *ww)
{
    webhooks_kick(ww->sender);
}

static void on_sender_stopped(void *ctx)
{
    struct webhook_wiring *ww = ctx;
    webhooks_free(ww->sender);
    ww->sender = NULL;
    curl_global_cleanup();
    ww->stopped(ww->stopped_ctx);
}

void webhook_wiring_stop(struct webhook_wiring *ww, void (*done)(void *ctx), void *ctx)
{
    if (!ww->sender) {
        done(ctx);
        return;
    }
    ww->stopped = done;
    ww->stopped_ctx = ctx;
    webhooks_stop(ww->sender, on_sender_stopped, ww);
}
