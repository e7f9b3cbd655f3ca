/* A slot's boot-log ring (boot_log.h). */
#include "boot_log.h"

#include <stdlib.h>

void boot_log_clear(struct boot_log *l)
{
    l->len = l->head = 0;
}

void boot_log_append(struct boot_log *l, const uint8_t *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        l->bytes[l->head] = data[i];
        l->head = (l->head + 1) % BOOT_LOG_KEEP;
        if (l->len < BOOT_LOG_KEEP)
            l->len++;
    }
}

/* Text JSON can carry: a boot log at the wrong rate is noise, and noise
 * must not make the slot's JSON invalid UTF-8. */
char *boot_log_text(const struct boot_log *l)
{
    char *t = malloc(l->len + 1);
    if (!t)
        return NULL;
    size_t start = (l->head + BOOT_LOG_KEEP - l->len) % BOOT_LOG_KEEP;
    for (size_t i = 0; i < l->len; i++) {
        uint8_t c = l->bytes[(start + i) % BOOT_LOG_KEEP];
        t[i] = (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\r' || c == '\t' ? (char)c : '.';
    }
    t[l->len] = '\0';
    return t;
}
