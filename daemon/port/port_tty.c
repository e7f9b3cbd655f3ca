/* A local serial port (a USB-UART bridge) through libserialport, named by
 * a device path or as usb-serial:<the adapter's USB serial number>, on the
 * loop: the fd from sp_get_port_handle is watched with uv_poll and read and
 * written without blocking; rate and modem lines go through sp_set_*, which
 * are single ioctls and return at once.
 *
 * libserialport (0.1.x on Linux) only opens devices it can find in sysfs,
 * so a pseudo-terminal cannot stand in for a board here; and a pty has no
 * DTR/RTS anyway. */
#include "port.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libserialport.h>

#include "message_fit.h"

#define READ_CHUNK 4096

struct tty_port {
    struct port base;
    char path[PORT_URL_MAX];
    struct sp_port *sp;
    int fd;
    uv_poll_t poll;
    uv_timer_t report;              /* delivers on_open outside port_open */
    int handles_open;
    bool dead;
    int poll_events;

    /* Output the driver has not taken yet, in order. */
    uint8_t *out;
    size_t out_off, out_len, out_cap;
};

static struct tty_port *from_port(struct port *p)
{
    return (struct tty_port *)p;
}

/* The errors a USB-UART's tty gives once the adapter is gone: the kernel
 * hangs the tty up (EIO), or the device node outlives the device (ENODEV,
 * ENXIO). */
static bool adapter_gone(int error)
{
    return error == EIO || error == ENODEV || error == ENXIO;
}

/* libserialport's own words for the last failure, then `hint` (what to
 * check, "" for none), in one message so that nothing is added after a
 * cut. */
static int sp_fail_hint(struct tty_port *tp, const char *what, const char *hint)
{
    int error = sp_last_error_code();
    char *msg = sp_last_error_message();
    port_fail(&tp->base, "%s: %s failed (%s)%s%s", tp->path, what, msg ? msg : "unknown error",
              adapter_gone(error) ? ": was the adapter unplugged?" : "", hint);
    sp_free_error_message(msg);
    return -1;
}

static int sp_fail(struct tty_port *tp, const char *what)
{
    return sp_fail_hint(tp, what, "");
}

static void die(struct tty_port *tp)
{
    if (tp->dead)
        return;
    tp->dead = true;
    if (tp->poll_events)
        uv_poll_stop(&tp->poll);
    tp->poll_events = 0;
    port_deliver_error(&tp->base, tp->base.error);
}

static void on_poll(uv_poll_t *h, int status, int events);

static int watch(struct tty_port *tp)
{
    int want = UV_READABLE | UV_DISCONNECT | (tp->out_len > tp->out_off ? UV_WRITABLE : 0);
    if (want == tp->poll_events)
        return 0;
    int r = uv_poll_start(&tp->poll, want, on_poll);
    if (r < 0)
        return port_fail(&tp->base, "%s: cannot watch the port (%s)", tp->path, uv_strerror(r));
    tp->poll_events = want;
    return 0;
}

/* Hands queued output to the driver until it pushes back. */
static int drain_output(struct tty_port *tp)
{
    while (tp->out_off < tp->out_len) {
        int n = sp_nonblocking_write(tp->sp, tp->out + tp->out_off, tp->out_len - tp->out_off);
        if (n < 0)
            return sp_fail(tp, "writing");
        if (n == 0)
            break;
        tp->out_off += (size_t)n;
    }
    if (tp->out_off == tp->out_len)
        tp->out_off = tp->out_len = 0;
    return watch(tp);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct tty_port *tp = h->data;
    if (status < 0) {
        /* A tty the kernel hung up (its adapter left the bus) raises POLLERR,
         * which libuv hands over as EBADF: not a message for an operator. */
        port_fail(&tp->base, "%s: the device stopped answering (%s): was the adapter unplugged?",
                  tp->path, status == UV_EBADF ? "the kernel hung it up" : uv_strerror(status));
        die(tp);
        return;
    }
    if (events & UV_READABLE) {
        uint8_t buf[READ_CHUNK];
        int n;
        while ((n = sp_nonblocking_read(tp->sp, buf, sizeof buf)) > 0) {
            port_deliver_data(&tp->base, buf, (size_t)n);
            if (tp->base.closing || tp->dead)
                return;
        }
        if (n < 0) {
            sp_fail(tp, "reading");
            die(tp);
            return;
        }
    }
    if (events & UV_DISCONNECT) {
        port_fail(&tp->base, "%s: the device went away: was the adapter unplugged?",
                  tp->path);
        die(tp);
        return;
    }
    if ((events & UV_WRITABLE) && drain_output(tp) < 0)
        die(tp);
}

static void on_report_open(uv_timer_t *t)
{
    struct tty_port *tp = t->data;
    port_deliver_open(&tp->base, tp->dead ? tp->base.error : NULL);
}

static int configure(struct tty_port *tp)
{
    if (sp_set_baudrate(tp->sp, (int)tp->base.baud) != SP_OK)
        return sp_fail(tp, "setting the baud rate");
    if (sp_set_bits(tp->sp, 8) != SP_OK || sp_set_parity(tp->sp, SP_PARITY_NONE) != SP_OK ||
        sp_set_stopbits(tp->sp, 1) != SP_OK ||
        sp_set_flowcontrol(tp->sp, SP_FLOWCONTROL_NONE) != SP_OK)
        return sp_fail(tp, "setting 8N1 without flow control");
    if (sp_get_port_handle(tp->sp, &tp->fd) != SP_OK)
        return sp_fail(tp, "getting the file descriptor");
    /* Reads and writes must never block the loop. */
    int flags = fcntl(tp->fd, F_GETFL);
    if (flags < 0 || fcntl(tp->fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return port_fail(&tp->base, "%s: cannot make the port non-blocking", tp->path);
    return 0;
}

/* The port in `ports` whose USB serial number is `serial`, or NULL. */
static struct sp_port *usb_port_with_serial(struct sp_port **ports, const char *serial)
{
    for (int i = 0; ports[i]; i++) {
        const char *s = sp_get_port_transport(ports[i]) == SP_TRANSPORT_USB
                            ? sp_get_port_usb_serial(ports[i]) : NULL;
        if (s && strcmp(s, serial) == 0)
            return ports[i];
    }
    return NULL;
}

/* `usb-serial:<serial number>` names an adapter, not a socket: looked up
 * at every open, so a re-plugged adapter is found wherever it now sits. */
static int find_by_usb_serial(struct tty_port *tp, const char *serial)
{
    struct sp_port **ports;
    if (sp_list_ports(&ports) != SP_OK)
        return sp_fail(tp, "listing the serial ports");
    struct sp_port *match = usb_port_with_serial(ports, serial);
    bool copied = match && sp_copy_port(match, &tp->sp) == SP_OK;
    sp_free_port_list(ports);
    if (!copied)
        return port_fail(&tp->base, "%s: no USB serial adapter with that serial number is "
                         "plugged in: check its cable, or the number (ls -l /dev/serial/by-id/)",
                         tp->path);
    return 0;
}

bool port_tty_present(const char *name)
{
    if (strncmp(name, PORT_USB_SERIAL_SCHEME, strlen(PORT_USB_SERIAL_SCHEME)) != 0) {
        struct stat st;
        return stat(name, &st) == 0;
    }
    struct sp_port **ports;
    if (sp_list_ports(&ports) != SP_OK)
        return false;
    bool found = usb_port_with_serial(ports, name + strlen(PORT_USB_SERIAL_SCHEME)) != NULL;
    sp_free_port_list(ports);
    return found;
}

static int find_port(struct tty_port *tp)
{
    if (strncmp(tp->path, PORT_USB_SERIAL_SCHEME, strlen(PORT_USB_SERIAL_SCHEME)) == 0)
        return find_by_usb_serial(tp, tp->path + strlen(PORT_USB_SERIAL_SCHEME));
    /* libserialport 0.1.1 looks the name up in /sys/class/tty as given:
     * a /dev/serial/by-id/ link must become the node it points to. */
    char node[PATH_MAX];
    if (sp_get_port_by_name(realpath(tp->path, node) ? node : tp->path, &tp->sp) == SP_OK)
        return 0;
    return sp_fail_hint(tp, "finding the serial port", strncmp(tp->path, "/dev/pts/", 9) == 0
        ? ": libserialport opens only serial devices listed in sysfs, never a "
          "pseudo-terminal; use espsim over RFC 2217 instead"
        : ": check the device path (ls /dev/serial/by-id/)");
}

static int tty_open(struct port *p)
{
    struct tty_port *tp = from_port(p);
    uv_timer_init(p->loop, &tp->report);
    tp->report.data = tp;
    tp->handles_open = 1;

    if (find_port(tp) < 0)
        return -1;
    if (sp_open(tp->sp, SP_MODE_READ_WRITE) != SP_OK)
        return sp_fail_hint(tp, "opening", ": is another program using it, or is this user "
                            "not in the dialout group?");
    if (configure(tp) < 0)
        return -1;
    uv_poll_init(p->loop, &tp->poll, tp->fd);
    tp->poll.data = tp;
    tp->handles_open = 2;
    if (watch(tp) < 0)
        return -1;
    uv_timer_start(&tp->report, on_report_open, 0, 0);
    return 0;
}

static int require_open(struct tty_port *tp)
{
    if (tp->handles_open == 2 && !tp->dead)
        return 0;
    return port_fail(&tp->base, "%s is not open", tp->path);
}

static int tty_write(struct port *p, const uint8_t *data, size_t n)
{
    struct tty_port *tp = from_port(p);
    if (require_open(tp) < 0)
        return -1;
    if (tp->out_len + n > tp->out_cap) {
        size_t cap = tp->out_cap ? tp->out_cap : 4096;
        while (cap < tp->out_len + n)
            cap *= 2;
        uint8_t *grown = realloc(tp->out, cap);
        if (!grown)
            return port_fail(p, "%s: out of memory queueing %zu bytes", tp->path, n);
        tp->out = grown;
        tp->out_cap = cap;
    }
    memcpy(tp->out + tp->out_len, data, n);
    tp->out_len += n;
    return drain_output(tp);
}

static int tty_set_baud(struct port *p, uint32_t baud)
{
    struct tty_port *tp = from_port(p);
    if (require_open(tp) < 0)
        return -1;
    if (sp_set_baudrate(tp->sp, (int)baud) != SP_OK)
        return sp_fail(tp, "setting the baud rate");
    return 0;
}

static int tty_set_lines(struct port *p, bool dtr, bool rts)
{
    struct tty_port *tp = from_port(p);
    if (require_open(tp) < 0)
        return -1;
    if (sp_set_dtr(tp->sp, dtr ? SP_DTR_ON : SP_DTR_OFF) != SP_OK ||
        sp_set_rts(tp->sp, rts ? SP_RTS_ON : SP_RTS_OFF) != SP_OK)
        return sp_fail_hint(tp, "setting DTR/RTS", ": this port has no modem lines; use "
                            "--reset none and hold BOOT");
    return 0;
}

static int tty_flush_input(struct port *p)
{
    struct tty_port *tp = from_port(p);
    if (require_open(tp) < 0)
        return -1;
    if (sp_flush(tp->sp, SP_BUF_INPUT) != SP_OK)
        return sp_fail(tp, "discarding input");
    return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct tty_port *tp = h->data;
    if (--tp->handles_open > 0)
        return;
    /* Only now is the fd out of libuv's hands and safe to close. */
    if (tp->sp) {
        sp_close(tp->sp);
        sp_free_port(tp->sp);
    }
    free(tp->out);
    port_closed(&tp->base);
}

static void tty_close(struct port *p)
{
    struct tty_port *tp = from_port(p);
    if (tp->handles_open == 0) {
        port_closed(p);
        return;
    }
    if (tp->handles_open == 2)
        uv_close((uv_handle_t *)&tp->poll, on_handle_closed);
    uv_close((uv_handle_t *)&tp->report, on_handle_closed);
}

static const struct port_ops tty_ops = {
    .kind = "tty",
    .open = tty_open,
    .write = tty_write,
    .set_baud = tty_set_baud,
    .set_lines = tty_set_lines,
    .flush_input = tty_flush_input,
    .close = tty_close,
};

struct port *port_tty_new(const char *path, char *err, size_t errlen)
{
    /* A cut path would name another device: refuse it (port_new already
     * has; this keeps the backend honest on its own). */
    if (strlen(path) >= PORT_URL_MAX) {
        message_fit(err, errlen, "device path too long (%zu characters, at most %d): '%s'",
                    strlen(path), PORT_URL_MAX - 1, path);
        return NULL;
    }
    struct tty_port *tp = calloc(1, sizeof *tp);
    if (!tp) {
        message_fit(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(tp->path, path, strlen(path) + 1);
    tp->fd = -1;
    tp->base.ops = &tty_ops;
    return &tp->base;
}
