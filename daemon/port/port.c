/* The port layer's front: picks a backend from the URL and guards the
 * callbacks. See port.h. */
#include "port.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message_fit.h"

#define RFC2217_SCHEME "rfc2217://"

struct port *port_new(uv_loop_t *loop, const char *url, const struct port_callbacks *cb,
                      void *owner, char *err, size_t errlen)
{
    if (strlen(url) >= PORT_URL_MAX) {
        message_fit(err, errlen, "port name too long (%zu characters, at most %d): "
                    "name the port by a shorter path or host", strlen(url), PORT_URL_MAX - 1);
        return NULL;
    }
    struct port *p;
    if (strncmp(url, RFC2217_SCHEME, strlen(RFC2217_SCHEME)) == 0) {
        p = port_rfc2217_new(url + strlen(RFC2217_SCHEME), err, errlen);
    } else if (url[0] == '/' ||
               strncmp(url, PORT_USB_SERIAL_SCHEME, strlen(PORT_USB_SERIAL_SCHEME)) == 0) {
        p = port_tty_new(url, err, errlen);
    } else {
        /* The advice before the name: a cut drops the name, which the
         * operator has in front of them anyway. */
        message_fit(err, errlen, "unknown port (give rfc2217://host:port for a remote port, "
                    "usb-serial:<adapter serial number>, or a device path such as "
                    "/dev/serial/by-path/...): '%s'", url);
        return NULL;
    }
    if (!p)
        return NULL;
    p->loop = loop;
    p->cb = cb;
    p->owner = owner;
    memcpy(p->url, url, strlen(url) + 1);       /* fits: checked above */
    p->baud = 115200;
    return p;
}

int port_open(struct port *p)
{
    return p->ops->open(p);
}

int port_write(struct port *p, const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    if (p->ops->write(p, data, n) < 0)
        return -1;
    p->tx_bytes += n;
    return 0;
}

int port_set_baud(struct port *p, uint32_t baud)
{
    if (p->ops->set_baud(p, baud) < 0)
        return -1;
    p->baud = baud;
    return 0;
}

int port_set_lines(struct port *p, bool dtr, bool rts)
{
    if (p->ops->set_lines(p, dtr, rts) < 0)
        return -1;
    p->dtr = dtr;
    p->rts = rts;
    return 0;
}

int port_flush_input(struct port *p)
{
    return p->ops->flush_input(p);
}

void port_close(struct port *p)
{
    if (p->closing)
        return;
    p->closing = true;
    p->ops->close(p);
}

int port_fail(struct port *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message_vfit(p->error, sizeof p->error, fmt, ap);
    va_end(ap);
    return -1;
}

void port_deliver_open(struct port *p, const char *error)
{
    if (!p->closing && p->cb->on_open)
        p->cb->on_open(p, error);
}

void port_deliver_data(struct port *p, const uint8_t *data, size_t n)
{
    p->rx_bytes += n;
    if (!p->closing && p->cb->on_data)
        p->cb->on_data(p, data, n);
}

void port_deliver_error(struct port *p, const char *error)
{
    if (!p->closing && p->cb->on_error)
        p->cb->on_error(p, error);
}

void port_closed(struct port *p)
{
    /* The backend's memory starts with struct port; it was malloc'd whole. */
    if (p->cb && p->cb->on_closed)
        p->cb->on_closed(p);
    free(p);
}
