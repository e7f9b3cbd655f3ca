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

enum api_status station_tokens_list(void *ctx, cJSON **out, struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    cJSON *rows = NULL;
    int rc = sdb_token_list(a->units->db, &rows);
    if (rc != SDB_OK)
        return station_db_answer(a->units->db, rc, "", err);
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
        return station_no_database(err);
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
    return station_db_answer(a->units->db, rc, "send e.g. {\"name\": \"mes1\", \"role\": \"mes\"}; "
                             "GET /api/v1/tokens lists the names in use", err);
}

enum api_status station_tokens_revoke(void *ctx, const char *name, const char *actor,
                                      struct api_error *err)
{
    struct station_api *a = ctx;
    if (!a->units)
        return station_no_database(err);
    int rc = sdb_token_revoke(a->units->db, name, actor);
    api_token_sync_now(a->tokens);
    return station_db_answer(a->units->db, rc, "GET /api/v1/tokens lists the active tokens", err);
}
