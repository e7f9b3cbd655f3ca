/* The gate's listening socket: the address from jigd.conf's `listen`,
 * bound only if it is loopback when no token protects the API (a name can
 * resolve anywhere, whatever it looks like). */
#include "http_gate.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_peer.h"

/* Connections the kernel completes before the gate accepts them: a burst
 * of clients waits here instead of having its handshakes dropped. */
#define LISTEN_BACKLOG 512

int http_gate_listen(const char *host, uint16_t port, bool loopback_only,
                     uint16_t *bound, char *err, size_t errlen)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *ai = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s; check 'listen' in jigd.conf",
                 host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    bool skipped = false;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        struct sockaddr_storage ss = {0};
        memcpy(&ss, a->ai_addr, a->ai_addrlen);
        unsigned char key[16];
        bool loopback;
        peer_key(&ss, key, &loopback);
        if (loopback_only && !loopback) {
            skipped = true;     /* a name that resolved beyond this machine */
            continue;
        }
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd < 0 && skipped && !saved) {
        snprintf(err, errlen, "will not listen on %s:%u: it is not a loopback address "
                 "and no API token is set; set api_token_file in jigd.conf, or listen "
                 "on 127.0.0.1", host, port);
        return -1;
    }
    if (fd < 0) {
        const char *why = saved == EADDRINUSE ? "; is another jigd running? (systemctl status jigd)"
                        : saved == EACCES ? "; ports below 1024 need privileges"
                        : saved == EADDRNOTAVAIL ? "; this machine has no such address"
                        : "";
        snprintf(err, errlen, "cannot listen on %s:%u: %s%s", host, port,
                 strerror(saved), why);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    *bound = 0;
    if (!getsockname(fd, (struct sockaddr *)&ss, &len))
        *bound = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
               : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

