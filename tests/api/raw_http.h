/* Raw HTTP over loopback sockets, for the requests no polite client sends:
 * exact bytes on the wire, a chosen source address (the whole of 127/8 is
 * this machine, so 127.0.0.2 plays a second client), and connections that
 * are opened and then left hanging. */
#ifndef JIGD_TESTS_RAW_HTTP_H
#define JIGD_TESTS_RAW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A connected socket from `from` (NULL = the kernel's choice, 127.0.0.1)
 * to 127.0.0.1:port, with a receive timeout of `timeout_ms`. -1 on
 * failure. */
int raw_connect(uint16_t port, const char *from, int timeout_ms);

/* Sends all of `len` bytes (or as many as the server takes). */
void raw_send(int fd, const char *bytes, size_t len);

/* Reads until the server closes, `cap - 1` bytes, or the timeout; returns
 * the status of the answer (0 = closed without one). `out` may be NULL. */
int raw_read_answer(int fd, char *out, size_t cap);

/* Connects, sends, reads the answer, closes. */
int raw_exchange(uint16_t port, const char *from, const char *req, size_t len,
                 char *out, size_t cap);

/* True when the server has closed `fd` (or answered and closed) within
 * `timeout_ms`. */
bool raw_closed_within(int fd, int timeout_ms);

/* The value of header `name` in an answer, copied into `out`; NULL if
 * absent. */
const char *raw_header(const char *answer, const char *name, char *out, size_t cap);

/* The body of an answer (after the blank line), or "" if none. */
const char *raw_body(const char *answer);

#endif
