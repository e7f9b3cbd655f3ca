/* The newest bytes a board said after its reset, kept per slot for the
 * API's boot_log: a ring, so a chatty app cannot grow it. */
#ifndef JIGD_BOOT_LOG_H
#define JIGD_BOOT_LOG_H

#include <stddef.h>
#include <stdint.h>

#define BOOT_LOG_KEEP 4096

struct boot_log {
    uint8_t bytes[BOOT_LOG_KEEP];
    size_t len, head;
};

void boot_log_clear(struct boot_log *l);
void boot_log_append(struct boot_log *l, const uint8_t *data, size_t n);
/* The kept bytes in order as printable text (malloc'd), or NULL. */
char *boot_log_text(const struct boot_log *l);

#endif
