/* The named API tokens over the API (docs/api.md, "Tokens and roles"):
 * an admin lists them, makes one (its text is in the answer, this once,
 * and nowhere else) and revokes one; each takes effect at once. */
#include "api_routes.h"

#include <stdlib.h>
#include <string.h>

#define TOKEN_EXAMPLE "{\"name\": \"mes1\", \"role\": \"mes\"}"

void api_get_tokens(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    struct api_error err = {{0}, {0}};
    cJSON *out = NULL;
    enum api_status st = be->tokens(be->ctx, &out, &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the tokens could not be read");
        return;
    }
    http_reply_json(req, 200, out);
}

static const char *text_field(const cJSON *body, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void api_post_token(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    cJSON *body = http_request_json_object(req, TOKEN_EXAMPLE);
    if (!body)
        return;
    const char *name = text_field(body, "name"), *role = text_field(body, "role");
    if (!name || !role) {
        cJSON_Delete(body);
        http_reply_error(req, 400, "send e.g. " TOKEN_EXAMPLE " (roles: viewer, operator, "
                         "mes, admin)", "'name' and 'role' are needed, as text");
        return;
    }
    struct api_error err = {{0}, {0}};
    char *token = NULL;
    enum api_status st = be->token_add(be->ctx, name, role, http_request_actor(req), &token,
                                       &err);
    if (st != API_OK) {
        cJSON_Delete(body);
        api_reply_refusal(req, st, &err, "the token was not made");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "role", role);
    cJSON_AddStringToObject(o, "token", token);
    cJSON_AddStringToObject(o, "note", "shown this once: only its hash is kept");
    explicit_bzero(token, strlen(token));
    free(token);
    cJSON_Delete(body);
    http_reply_json(req, 201, o);
}

void api_post_token_revoke(struct http_request *req, void *ctx)
{
    const struct api_backend *be = api_routes_backend(ctx);
    const char *name = api_route_param(http_request_params(req), "name");
    struct api_error err = {{0}, {0}};
    enum api_status st = be->token_revoke(be->ctx, name ? name : "", http_request_actor(req),
                                          &err);
    if (st != API_OK) {
        api_reply_refusal(req, st, &err, "the token was not revoked");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "result", "revoked");
    cJSON_AddStringToObject(o, "by", http_request_actor(req));
    http_reply_json(req, 200, o);
}
