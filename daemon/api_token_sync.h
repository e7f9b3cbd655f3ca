/* The named API tokens, from the station database into the HTTP server:
 * read at start, and read again within a second of another program
 * committing to the database (jigctl token add / revoke), so a revoked
 * token stops working without a restart. Only hashes travel; the server
 * never sees a token it was not sent. Wiring beside jigd.c: the one place
 * that knows both db/ and api/. */
#ifndef JIGD_API_TOKEN_SYNC_H
#define JIGD_API_TOKEN_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct station_db;
struct http_server;
struct api_sse;

#define API_TOKEN_SYNC_MS 1000

struct api_token_sync {
    struct station_db *db;
    struct http_server *srv;
    struct api_sse *sse;        /* its streams end when their token goes */
    uv_timer_t timer;
    int64_t version;            /* the database's data_version last read */
    bool failing;               /* the last read failed, said in the log */
    bool open;
};

/* Reads the tokens into srv and starts watching. -1 with a sentence in err
 * when the database cannot give them (jigd then does not start: it would
 * otherwise answer as if it had none). */
int api_token_sync_start(struct api_token_sync *t, uv_loop_t *loop, struct station_db *db,
                         struct http_server *srv, struct api_sse *sse, char *err,
                         size_t errlen);
/* Reads the tokens again now: jigd itself changed them (POST
 * /api/v1/tokens), which data_version does not show on its own connection. */
void api_token_sync_now(struct api_token_sync *t);
/* Stops watching (before the server and the database go). */
void api_token_sync_close(struct api_token_sync *t);

#endif
