/* Client addresses, and what each one holds of the server: the unit the
 * gate's per-address limits count in. IPv4 and IPv6 clients are keyed
 * alike (IPv4 as ::ffff:a.b.c.d), so a dual-stack listener counts a client
 * once whichever way it came. */
#ifndef JIGD_HTTP_PEER_H
#define JIGD_HTTP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct peer {
    struct peer *next;
    unsigned char addr[16];
    unsigned waiting;           /* connections whose head is not in yet */
    unsigned requests, streams; /* handed to MHD */
};

/* The key of a socket address, and whether it is this machine
 * (127.0.0.0/8 or ::1). */
void peer_key(const struct sockaddr_storage *ss, unsigned char key[16], bool *loopback);

/* The entry of `key` in the list, made (with nothing held) if new; NULL if
 * memory ran out. */
struct peer *peer_get(struct peer **list, const unsigned char key[16]);

/* Forgets `p` once it holds nothing. */
void peer_put(struct peer **list, struct peer *p);

void peer_free_all(struct peer **list);

/* The address as text, for the log and for messages. */
const char *peer_text(const struct peer *p, char *buf, size_t cap);

#endif
