/* One webhook POST, run on the thread pool: the request as the lane made
 * it, and what came back. Nothing here touches the loop or the database. */
#ifndef JIGD_WEBHOOK_POST_H
#define JIGD_WEBHOOK_POST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct webhook_post {
    /* in */
    const char *url;
    const char *body;
    const char *event;
    const char *key;                /* Idempotency-Key */
    long long delivery;             /* the outbox row, X-Jigd-Delivery */
    char signature[72];             /* "sha256=<hex>" */
    unsigned timeout_s;
    const atomic_bool *stopping;    /* jigd stops: cut the transfer short */
    /* out */
    long status;                    /* HTTP status; 0 = no answer */
    char error[200];                /* why, when not 2xx */
};

/* POSTs the body with jigd's headers; fills status and error. */
void webhook_post_run(struct webhook_post *p);
/* HMAC-SHA256 of body with secret, as "sha256=<64 hex>". 0, or -1. */
int webhook_sign(const char *secret, const char *body, char out[72]);

#endif
