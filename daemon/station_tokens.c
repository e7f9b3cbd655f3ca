/* The named API tokens over the API (admin): the same database calls as
 * jigctl token, and the HTTP server told at once, since jigd's own commit
 * is not one its token watch notices (api_token_sync.h). */
#include "station_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_token_sync.h"
#include "station_db.h"
#include "token_secret.h"
#include "unit_services.h"

static enum api_status no_database(struct api_error *err)
{
    snprintf(err->error, sizeof err->error, "this station keeps no tokens (no database)");
    snprintf(err->hint, sizeof err->hint, "jigd runs without unit services; see its log");
    return API_UNAVAILABLE;
}

static enum api_status answer(struct station_db *db, int rc, struct api_error *err,
                              const char *hint)
{
    if (rc == SDB_OK)
        return API_OK;
    snprintf(err->error, sizeof err->error, "%s", sdb_errmsg(db));
    snprintf(err->hint, sizeof err->hint, "%s", hint);
    switch (rc) {
    case SDB_REFUSED: return API_BAD_REQUEST;
    case SDB_CONFLICT: return API_CONFLICT;
    case SDB_NOT_FOUND: return API_NOT_FOUND;
    default: return API_FAILED;
    }
}

enum api_status station_tokens_list(void *ctx, cJSON **out, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return no_database(err);
    cJSON *rows = NULL;
    int rc = sdb_token_list(a->units->db, &rows);
    if (rc != SDB_OK)
        return answer(a->units->db, rc, err, "see the jigd log (journalctl -u jigd)");
    *out = cJSON_CreateObject();
    cJSON_AddItemToObject(*out, "tokens", rows);
    return API_OK;
}

enum api_status station_tokens_add(void *ctx, const char *name, const char *role,
                                   const char *actor, char **token, struct api_error *err)
{
    struct station_api *a = ctx;
    char text[TOKEN_TEXT_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    *token = NULL;
    if (!a->units)
        return no_database(err);
    if (token_make(text, hash, err->error, sizeof err->error) < 0) {
        snprintf(err->hint, sizeof err->hint, "try again; see the jigd log");
        return API_FAILED;
    }
    int rc = sdb_token_add(a->units->db, name, role, hash, actor);
    *token = rc == SDB_OK ? strdup(text) : NULL;
    explicit_bzero(text, sizeof text);
    bool undeliverable = rc == SDB_OK && !*token;
    if (undeliverable)      /* a token for nobody would hold the name */
        sdb_token_revoke(a->units->db, name, actor);
    api_token_sync_now(a->tokens);
    if (undeliverable) {
        snprintf(err->error, sizeof err->error, "out of memory; the token was revoked again");
        snprintf(err->hint, sizeof err->hint, "try again");
        return API_FAILED;
    }
    return answer(a->units->db, rc, err, "send e.g. {\"name\": \"mes1\", \"role\": \"mes\"}; "
                  "GET /api/v1/tokens lists the names in use");
}

enum api_status station_tokens_revoke(void *ctx, const char *name, const char *actor,
                                      struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return no_database(err);
    int rc = sdb_token_revoke(a->units->db, name, actor);
    api_token_sync_now(a->tokens);
    return answer(a->units->db, rc, err, "GET /api/v1/tokens lists the active tokens");
}
