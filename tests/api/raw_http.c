/* Raw HTTP over loopback sockets; see raw_http.h. */
#include "raw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int raw_connect(uint16_t port, const char *from, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* On Linux the send timeout bounds connect() too: a server that has
     * stopped accepting fails the test instead of hanging it. */
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (from) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, from, &src.sin_addr);
        if (bind(fd, (struct sockaddr *)&src, sizeof src)) {
            close(fd);
            return -1;
        }
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

void raw_send(int fd, const char *bytes, size_t len)
{
    size_t sent = 0;
    while (sent < len) {
        ssize_t n = send(fd, bytes + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            return;     /* the server may refuse before reading it all */
        sent += (size_t)n;
    }
}

int raw_read_answer(int fd, char *out, size_t cap)
{
    char scratch[8192];
    if (!out) {
        out = scratch;
        cap = sizeof scratch;
    }
    size_t got = 0;
    while (got < cap - 1) {
        ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    int status = 0;
    if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
        return 0;
    return status;
}

int raw_exchange(uint16_t port, const char *from, const char *req, size_t len,
                 char *out, size_t cap)
{
    int fd = raw_connect(port, from, 10000);
    if (fd < 0)
        return -1;
    raw_send(fd, req, len);
    int status = raw_read_answer(fd, out, cap);
    close(fd);
    return status;
}

bool raw_closed_within(int fd, int timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 +
                     (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent > timeout_ms)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(timeout_ms - spent)) <= 0)
            continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}

const char *raw_header(const char *answer, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *end = strstr(answer, "\r\n\r\n");
    for (const char *p = strstr(answer, "\r\n"); p && (!end || p < end);
         p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nlen) || line[nlen] != ':')
            continue;
        const char *v = line + nlen + 1;
        while (*v == ' ')
            v++;
        const char *stop = strstr(v, "\r\n");
        size_t n = stop ? (size_t)(stop - v) : strlen(v);
        if (n >= cap)
            n = cap - 1;
        memcpy(out, v, n);
        out[n] = '\0';
        return out;
    }
    return NULL;
}

const char *raw_body(const char *answer)
{
    const char *end = strstr(answer, "\r\n\r\n");
    return end ? end + 4 : "";
}
