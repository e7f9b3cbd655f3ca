/* Named API tokens from station.db into the HTTP server (api_token_sync.h). */
#include "api_token_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_sse.h"
#include "hex.h"
#include "http_server.h"
#include "log_line.h"
#include "station_db.h"

/* The database's row as the server keeps it; false for a row that cannot
 * be one (the database's own checks make that a fault, said in the log). */
static bool convert(const struct sdb_token *row, struct http_token *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", row->name);
    out->role = http_role_parse(row->role);
    if (out->role == HTTP_ROLE_NONE || strlen(row->hash) != 64)
        return false;
    for (size_t i = 0; i < sizeof out->sha256; i++) {
        int hi = hex_digit(row->hash[2 * i]), lo = hex_digit(row->hash[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out->sha256[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

static int load(struct api_token_sync *t, char *err, size_t errlen)
{
    struct sdb_token *rows = NULL;
    size_t n = 0, kept = 0;
    if (sdb_tokens_active(t->db, &rows, &n) != SDB_OK) {
        snprintf(err, errlen, "cannot read the API tokens from the station database: %s",
                 sdb_errmsg(t->db));
        return -1;
    }
    struct http_token *tokens = calloc(n ? n : 1, sizeof *tokens);
    for (size_t i = 0; tokens && i < n; i++) {
        if (convert(&rows[i], &tokens[kept]))
            kept++;
        else
            log_line("jigd: API token '%s' in the station database is malformed (role '%s'); "
                     "it is not accepted: revoke it (jigctl token revoke %s)", rows[i].name,
                     rows[i].role, rows[i].name);
    }
    free(rows);
    int rc = tokens ? http_server_set_tokens(t->srv, tokens, kept) : -1;
    free(tokens);
    if (rc < 0)
        snprintf(err, errlen, "out of memory reading the API tokens");
    else if (t->sse)
        api_sse_check_tokens(t->sse);
    return rc;
}

static void on_tick(uv_timer_t *timer)
{
    struct api_token_sync *t = timer->data;
    int64_t version;
    char err[300];
    if (sdb_data_version(t->db, &version) != SDB_OK || (version != t->version
                                                         && load(t, err, sizeof err) < 0)) {
        if (!t->failing)
            log_line("jigd: the API tokens could not be read again (the ones read before "
                     "stay in force; tried every second): %s", sdb_errmsg(t->db));
        t->failing = true;
        return;
    }
    if (version != t->version || t->failing)
        log_line("jigd: API tokens read again: %zu active", http_server_token_count(t->srv));
    t->version = version;
    t->failing = false;
}

void api_token_sync_now(struct api_token_sync *t)
{
    if (t && t->open) {
        t->version = INT64_MIN;     /* whatever the database says, read them */
        on_tick(&t->timer);
    }
}

int api_token_sync_start(struct api_token_sync *t, uv_loop_t *loop, struct station_db *db,
                         struct http_server *srv, struct api_sse *sse, char *err,
                         size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->db = db;
    t->srv = srv;
    t->sse = sse;
    if (sdb_data_version(db, &t->version) != SDB_OK) {
        snprintf(err, errlen, "cannot read the station database: %s", sdb_errmsg(db));
        return -1;
    }
    if (load(t, err, errlen) < 0)
        return -1;
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    t->open = true;
    uv_timer_start(&t->timer, on_tick, API_TOKEN_SYNC_MS, API_TOKEN_SYNC_MS);
    uv_unref((uv_handle_t *)&t->timer);
    return 0;
}

void api_token_sync_close(struct api_token_sync *t)
{
    if (!t->open)
        return;
    t->open = false;
    uv_close((uv_handle_t *)&t->timer, NULL);
}
