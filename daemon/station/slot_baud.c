/* The baud ladder: the rates a slot may run the work at, and what each
 * adapter has shown it can carry. A cheap CH340 on a long cable that garbles
 * 921600 should not cost every following board a failed attempt, so a
 * fall-back is remembered per port URL for the life of the daemon. */
#include "slot.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

static const uint32_t ladder[] = {115200, 230400, 460800, 921600, 1500000, 2000000,
                                  3000000, 5000000};
#define RUNGS (sizeof ladder / sizeof ladder[0])
#define MAX_ADAPTERS 128

struct ceiling {
    char url[CONFIG_PATH_MAX];
    uint32_t baud;
};

struct slot_baud_memory {
    struct ceiling entries[MAX_ADAPTERS];
    size_t n;
};

struct slot_baud_memory *slot_baud_memory_new(void)
{
    return calloc(1, sizeof(struct slot_baud_memory));
}

void slot_baud_memory_free(struct slot_baud_memory *m)
{
    free(m);
}

static const struct ceiling *find(const struct slot_baud_memory *m, const char *url)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->entries[i].url, url))
            return &m->entries[i];
    return NULL;
}

uint32_t slot_baud_pick(const struct slot_baud_memory *m, const char *url, uint32_t max)
{
    const struct ceiling *c = find(m, url);
    return c && c->baud < max ? c->baud : max;
}

uint32_t slot_baud_below(uint32_t failed)
{
    uint32_t below = 0;
    for (size_t i = 0; i < RUNGS; i++)
        if (ladder[i] < failed)
            below = ladder[i];
    return below;       /* 0 when nothing is below */
}

void slot_baud_remember(struct slot_baud_memory *m, const char *url, uint32_t baud)
{
    struct ceiling *c = (struct ceiling *)find(m, url);
    if (!c) {
        if (m->n == MAX_ADAPTERS)
            return;     /* more adapters than any jig has: just don't remember */
        c = &m->entries[m->n++];
        strncpy(c->url, url, sizeof c->url - 1);
    }
    c->baud = baud;
}
