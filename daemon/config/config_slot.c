/* [slot N]: one jig position: its port, what starts a flash, its reset
 * (config_slot_reset.c), rate and LED; and the checks of a slot once its
 * section ends. */
#include "config_parser.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int check_port(struct parser *p, const char *v)
{
    char host[256];
    uint16_t port;
    if (!strncmp(v, "/dev/", 5) && v[5]) {
        if (strncmp(v, "/dev/serial/by-", 15))
            conf_warn(p, "port %s may get another name after a replug or reboot; "
                      "prefer its /dev/serial/by-path/... or /dev/serial/by-id/... link", v);
        return 0;
    }
    if (!strncmp(v, "usb-serial:", 11) && v[11]) {
        for (const char *s = v + 11; *s; s++)
            if (!isgraph((unsigned char)*s))
                return fail(p, "usb-serial serial number '%s' holds a space or "
                            "control character", v + 11);
        return 0;
    }
    if (!strncmp(v, "rfc2217://", 10)) {
        if (conf_parse_host_port(v + 10, host, sizeof host, &port))
            return fail(p, "port '%s' needs host:port after rfc2217://, e.g. "
                        "rfc2217://10.0.0.5:4000", v);
        return 0;
    }
    return fail(p, "port '%s' is not a serial device (/dev/serial/by-path/...), "
                "usb-serial:<adapter serial number> or rfc2217://host:port", v);
}

static int slot_port(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "port", "/dev/serial/by-path/...-port0"))
        return -1;
    if (check_port(p, v))
        return -1;
    return conf_copy_value(p, p->slot->port, CONFIG_PATH_MAX, v, "port");
}

static int slot_trigger(struct parser *p, const char *v)
{
    for (int t = SLOT_TRIGGER_AUTO; t <= SLOT_TRIGGER_HOTPLUG; t++) {
        if (!strcasecmp(v, slot_trigger_name((enum slot_trigger)t))) {
            p->slot->trigger = (enum slot_trigger)t;
            return 0;
        }
    }
    return fail(p, "trigger = '%s' is not one of auto, manual, hotplug", v);
}

static int slot_gpio_chip(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "gpio_chip", "/dev/gpiochip0"))
        return -1;
    if (v[0] == '/')
        return conf_copy_value(p, p->slot->gpio_chip, CONFIG_PATH_MAX, v, "gpio_chip");
    if (strchr(v, '/'))
        return fail(p, "gpio_chip = '%s' should be /dev/gpiochipN or gpiochipN", v);
    /* "gpiochip0" is how gpiodetect prints it. */
    snprintf(p->slot->gpio_chip, CONFIG_PATH_MAX, "/dev/%.*s",
             CONFIG_PATH_MAX - 6, v);
    return 0;
}

static int parse_gpio_line(struct parser *p, const char *v, const char *key,
                           int *out)
{
    unsigned long l;
    if (conf_parse_uint(v, 0, 1023, &l))
        return fail(p, "%s = '%s' is not a GPIO line offset (0-1023, as "
                    "gpioinfo lists them)", key, v);
    *out = (int)l;
    return 0;
}

static int slot_gpio_en(struct parser *p, const char *v)
{
    return parse_gpio_line(p, v, "gpio_en", &p->slot->gpio_en);
}

static int slot_gpio_io0(struct parser *p, const char *v)
{
    return parse_gpio_line(p, v, "gpio_io0", &p->slot->gpio_io0);
}

static int slot_max_baud(struct parser *p, const char *v)
{
    return conf_parse_baud(p, v, &p->slot->max_baud);
}

static int slot_led_gpio(struct parser *p, const char *v)
{
    return conf_parse_led_gpio(p, v, &p->slot->led_gpio);
}

static int slot_enabled(struct parser *p, const char *v)
{
    if (conf_parse_bool(v, &p->slot->enabled))
        return fail(p, "enabled = '%s' is not yes or no", v);
    return 0;
}

const struct key_handler config_slot_keys[] = {
    [SLOT_KEY_PORT] = {"port", slot_port},
    [SLOT_KEY_TRIGGER] = {"trigger", slot_trigger},
    [SLOT_KEY_RESET] = {"reset", conf_slot_reset},
    [SLOT_KEY_GPIO_CHIP] = {"gpio_chip", slot_gpio_chip},
    [SLOT_KEY_GPIO_EN] = {"gpio_en", slot_gpio_en},
    [SLOT_KEY_GPIO_IO0] = {"gpio_io0", slot_gpio_io0},
    {"max_baud", slot_max_baud},
    {"led_gpio", slot_led_gpio},
    {"enabled", slot_enabled},
    {NULL, NULL},
};

/* The slot's section ended: its reset has what it needs, and an enabled
 * slot has a port. */
int conf_finish_slot(struct parser *p)
{
    const struct slot_config *s = p->slot;
    if (conf_check_slot_reset(p))
        return -1;
    if (s->enabled && !s->port[0])
        return conf_fail_at(p, s->line, "[slot %d] has no port; add e.g. port = "
                            "/dev/serial/by-path/...-port0, or enabled = no", s->index);
    return 0;
}

static struct slot_config *add_slot(struct parser *p, int index)
{
    struct jigd_config *c = p->cfg;
    size_t at = 0;
    while (at < c->n_slots && c->slots[at].index < index)
        at++;
    memmove(&c->slots[at + 1], &c->slots[at],
            (c->n_slots - at) * sizeof c->slots[0]);
    c->n_slots++;
    struct slot_config *s = &c->slots[at];
    memset(s, 0, sizeof *s);
    s->index = index;
    s->line = p->line;
    s->trigger = SLOT_TRIGGER_AUTO;
    s->reset = LOADER_RESET_CLASSIC;
    s->gpio_en = CONFIG_NO_GPIO;
    s->gpio_io0 = CONFIG_NO_GPIO;
    s->max_baud = INHERIT_BAUD;
    s->led_gpio = INHERIT_GPIO;
    s->enabled = true;
    return s;
}

int conf_open_slot(struct parser *p, const char *num)
{
    unsigned long n;
    if (conf_parse_uint(num, 1, CONFIG_MAX_SLOTS, &n))
        return fail(p, "[slot %s]: the slot number must be 1 to %d", num,
                    CONFIG_MAX_SLOTS);
    const struct slot_config *old = config_slot(p->cfg, (int)n);
    if (old)
        return fail(p, "[slot %lu] is defined twice (first at line %d); "
                    "merge the two or renumber one", n, old->line);
    p->slot = add_slot(p, (int)n);
    p->section = SECTION_SLOT;
    return 0;
}

const char *slot_trigger_name(enum slot_trigger t)
{
    switch (t) {
    case SLOT_TRIGGER_AUTO: return "auto";
    case SLOT_TRIGGER_MANUAL: return "manual";
    case SLOT_TRIGGER_HOTPLUG: return "hotplug";
    }
    return "?";
}
