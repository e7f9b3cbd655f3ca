/* Client addresses and what they hold; see http_peer.h. A plain list: a
 * station has a handful of clients, and under a flood the list is bounded
 * by the gate's limits on connections. */
#include "http_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void peer_key(const struct sockaddr_storage *ss, unsigned char key[16], bool *loopback)
{
    memset(key, 0, 16);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        memcpy(key, v4_mapped, sizeof v4_mapped);
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    }
    static const unsigned char v6_loopback[16] = {[15] = 1};
    *loopback = !memcmp(key, v6_loopback, 16) ||
                (!memcmp(key, v4_mapped, sizeof v4_mapped) && key[12] == 127);
}

struct peer *peer_get(struct peer **list, const unsigned char key[16])
{
    for (struct peer *p = *list; p; p = p->next)
        if (!memcmp(p->addr, key, 16))
            return p;
    struct peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    memcpy(p->addr, key, 16);
    p->next = *list;
    *list = p;
    return p;
}

void peer_put(struct peer **list, struct peer *p)
{
    if (p->waiting || p->requests || p->streams)
        return;
    for (struct peer **pp = list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            free(p);
            return;
        }
    }
}

void peer_free_all(struct peer **list)
{
    while (*list) {
        struct peer *p = *list;
        *list = p->next;
        free(p);
    }
}

const char *peer_text(const struct peer *p, char *buf, size_t cap)
{
    if (!memcmp(p->addr, v4_mapped, sizeof v4_mapped))
        inet_ntop(AF_INET, p->addr + 12, buf, (socklen_t)cap);
    else
        inet_ntop(AF_INET6, p->addr, buf, (socklen_t)cap);
    return buf;
}
