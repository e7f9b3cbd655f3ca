/* Fuzzes the jigd.conf parser: any bytes must give either a configuration
 * that keeps the parser's promises or an error message, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    err[0] = '\0';
    struct jigd_config *c = config_parse((const char *)data, size,
                                         "/etc/jigd/jigd.conf", err, sizeof err);
    if (!c) {
        if (strncmp(err, "/etc/jigd/jigd.conf:", 20))
            abort();    /* every refusal names the file */
        return 0;
    }
    if (c->n_slots == 0 || c->n_slots > CONFIG_MAX_SLOTS)
        abort();
    for (size_t i = 0; i < c->n_slots; i++) {
        const struct slot_config *s = &c->slots[i];
        if (i && s->index <= c->slots[i - 1].index)
            abort();    /* sorted, unique */
        if (s->enabled && !s->port[0])
            abort();
        if (s->max_baud < CONFIG_MIN_BAUD || s->max_baud > CONFIG_MAX_BAUD)
            abort();
        if (s->reset == LOADER_RESET_GPIO && (!s->gpio_chip[0] || s->gpio_en < 0))
            abort();
    }
    config_free(c);
    return 0;
}
