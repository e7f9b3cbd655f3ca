#include "reset_gpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gpiod.h>

#include "message_fit.h"

#define CHIP_PATH_MAX 128   /* /dev/gpiochipN, or a by-path name, with room to spare */

struct reset_gpio {
    struct gpiod_chip *chip;
    struct gpiod_line *en, *io0;
    bool en_low, io0_low;
    char chip_path[CHIP_PATH_MAX];
};

#define RELEASED 1      /* EN and IO0 have pull-ups: high is "let go" */
#define HELD_LOW 0

/* The reason a line request failed, in the words a line engineer needs. */
static void explain_request_error(const struct reset_gpio *g, unsigned line, const char *name,
                                  int e, char *err, size_t errlen)
{
    if (e == EBUSY) {
        struct gpiod_line *l = gpiod_chip_get_line(g->chip, line);
        const char *by = l ? gpiod_line_consumer(l) : NULL;
        message_fit(err, errlen, "%s line %u (%s) is already in use%s%s%s: stop the program "
                    "holding it (gpioinfo shows it) or wire %s to a free line",
                    g->chip_path, line, name, by ? " by '" : "", by ? by : "", by ? "'" : "",
                    name);
    } else {
        message_fit(err, errlen, "cannot drive %s line %u (%s): %s", g->chip_path, line, name,
                    strerror(e));
    }
}

/* name: the pin ("EN"); key: how the config and jigflash spell it ("en"). */
static struct gpiod_line *request_released(struct reset_gpio *g, unsigned line,
                                           const char *name, const char *key,
                                           const char *consumer, char *err, size_t errlen)
{
    unsigned n = gpiod_chip_num_lines(g->chip);
    if (line >= n) {
        message_fit(err, errlen, "%s has lines 0..%u, not %u (%s): check gpio_%s in jigd.conf "
                    "(jigflash: --gpio-%s) against gpioinfo", g->chip_path, n - 1, line, name,
                    key, key);
        return NULL;
    }
    struct gpiod_line *l = gpiod_chip_get_line(g->chip, line);
    if (!l || gpiod_line_request_output(l, consumer, RELEASED) < 0) {
        explain_request_error(g, line, name, errno, err, errlen);
        return NULL;
    }
    return l;
}

struct reset_gpio *reset_gpio_open(const char *chip, unsigned en, unsigned io0,
                                   const char *consumer, char *err, size_t errlen)
{
    if (strlen(chip) >= CHIP_PATH_MAX) {
        /* Messages name the chip by this copy: a cut one would mislead. */
        message_fit(err, errlen, "GPIO chip name too long (%zu characters): give the chip as "
                    "gpiodetect lists it, e.g. /dev/gpiochip0", strlen(chip));
        return NULL;
    }
    struct reset_gpio *g = calloc(1, sizeof *g);
    if (!g) {
        message_fit(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(g->chip_path, chip, strlen(chip) + 1);
    g->chip = gpiod_chip_open(chip);
    if (!g->chip) {
        int e = errno;
        message_fit(err, errlen, "cannot open the GPIO chip %s: %s%s", chip, strerror(e),
                    e == ENOENT ? " (gpiodetect lists the chips this machine has)"
                    : e == EACCES ? " (run jigd as a user in the gpio group)" : "");
        free(g);
        return NULL;
    }
    g->en = request_released(g, en, "EN", "en", consumer, err, errlen);
    if (g->en)
        g->io0 = request_released(g, io0, "IO0", "io0", consumer, err, errlen);
    if (!g->en || !g->io0) {
        reset_gpio_close(g);
        return NULL;
    }
    return g;
}

static int set_line(struct reset_gpio *g, struct gpiod_line *l, const char *name, bool low,
                    char *err, size_t errlen)
{
    if (gpiod_line_set_value(l, low ? HELD_LOW : RELEASED) == 0)
        return 0;
    message_fit(err, errlen, "cannot set %s line %u (%s): %s", g->chip_path,
             gpiod_line_offset(l), name, strerror(errno));
    return -1;
}

int reset_gpio_drive(struct reset_gpio *g, bool en_low, bool io0_low, char *err,
                     size_t errlen)
{
    if (io0_low != g->io0_low) {
        if (set_line(g, g->io0, "IO0", io0_low, err, errlen) < 0)
            return -1;
        g->io0_low = io0_low;
    }
    if (en_low != g->en_low) {
        if (set_line(g, g->en, "EN", en_low, err, errlen) < 0)
            return -1;
        g->en_low = en_low;
    }
    return 0;
}

void reset_gpio_close(struct reset_gpio *g)
{
    if (!g)
        return;
    char ignored[160];
    if (g->en && g->io0)
        reset_gpio_drive(g, false, false, ignored, sizeof ignored);
    if (g->en)
        gpiod_line_release(g->en);
    if (g->io0)
        gpiod_line_release(g->io0);
    if (g->chip)
        gpiod_chip_close(g->chip);
    free(g);
}
