/* A slot without its port (the no-port state): said as the slot's alarm
 * with the port's name, polled every second until the port opens again.
 *
 * A local port that does not exist at all (a by-path name copied from the
 * sample configuration, a typo in a by-id name, an adapter not plugged in)
 * is found at slot_begin, before the first probe: a probe runs only once a
 * bundle is loaded, and a slot must not sit armed in silence until then. */
#include "slot_internal.h"

#include <stdio.h>
#include <string.h>

#include "port.h"

#define PORT_POLL_MS 1000

/* A local device (a path or usb-serial:<number>), as opposed to rfc2217://,
 * whose presence can be checked without opening it. */
static bool port_is_local(const struct slot *s)
{
    return strncmp(s->cfg.port, "rfc2217://", 10) != 0;
}

bool slot_port_present(const struct slot *s)
{
    return port_tty_present(s->cfg.port);
}

void slot_port_lost(struct slot *s, const char *why)
{
    bool news = s->state != SLOT_NO_PORT;
    s->state = SLOT_NO_PORT;
    struct slot_refusal a;
    snprintf(a.error, sizeof a.error, "%s", why);
    snprintf(a.hint, sizeof a.hint, "check this position's USB adapter and cable, and the "
             "port's name in jigd.conf; the slot comes back by itself once the port opens");
    slot_alarm_raise(s, ALARM_PORT, &a);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = SLOT_NO_PORT, .rate = -1};
    if (news)
        slot_publish(s, &ev);
    slot_schedule(s, PORT_POLL_MS);
}

bool slot_port_missing(struct slot *s)
{
    /* A hotplug port is absent until its board is plugged in: that is
     * its trigger, not a fault. */
    if (s->cfg.trigger == SLOT_TRIGGER_HOTPLUG || !port_is_local(s) || slot_port_present(s))
        return false;
    char why[256];
    if (strncmp(s->cfg.port, PORT_USB_SERIAL_SCHEME, strlen(PORT_USB_SERIAL_SCHEME)) == 0)
        snprintf(why, sizeof why, "port %.160s: no USB serial adapter with that serial "
                 "number is plugged in (ls -l /dev/serial/by-id/)", s->cfg.port);
    else
        snprintf(why, sizeof why, "port %.180s does not exist (ls -l /dev/serial/by-path/ "
                 "/dev/serial/by-id/)", s->cfg.port);
    slot_port_lost(s, why);
    return true;
}

static void port_back(struct slot *s)
{
    slot_alarm_clear(s);        /* "over: …" says the port is back */
    s->state = SLOT_IDLE;       /* slot_enter_rest announces the resting state */
    slot_enter_rest(s);
}

static void on_check_open(struct port *p, const char *error)
{
    struct slot *s = p->owner;
    s->check_ok = error == NULL;
    port_close(p);
}

static void on_check_data(struct port *p, const uint8_t *data, size_t n)
{
    (void)p, (void)data, (void)n;
}

static void on_check_error(struct port *p, const char *error)
{
    (void)error;
    struct slot *s = p->owner;
    s->check_ok = false;
}

static void on_check_closed(struct port *p)
{
    struct slot *s = p->owner;
    s->check_port = NULL;
    s->act = ACT_NONE;
    if (s->closing) {
        slot_maybe_closed(s);
        return;
    }
    if (s->check_ok)
        port_back(s);
    else
        slot_schedule(s, PORT_POLL_MS);
}

static const struct port_callbacks check_callbacks = {
    .on_open = on_check_open,
    .on_data = on_check_data,
    .on_error = on_check_error,
    .on_closed = on_check_closed,
};

/* Back means it opens again: a device node that exists but will not open
 * (wrong permissions, a node libserialport refuses) is not back. */
void slot_port_check(struct slot *s)
{
    if (port_is_local(s) && !slot_port_present(s)) {
        slot_schedule(s, PORT_POLL_MS);
        return;
    }
    char err[200];
    s->check_port = port_new(s->env.loop, s->cfg.port, &check_callbacks, s, err, sizeof err);
    if (!s->check_port) {
        slot_schedule(s, PORT_POLL_MS);
        return;
    }
    s->act = ACT_PORT_CHECK;
    s->check_ok = false;
    if (port_open(s->check_port) < 0)
        port_close(s->check_port);      /* on_check_closed reschedules */
}
