/* A serial port on the libuv loop, behind a small table of operations (as
 * esp-serial-flasher separates its protocol from its port). Two backends:
 * a remote port over RFC 2217 (`rfc2217://host:port`) and a local tty
 * through libserialport (a device path such as /dev/ttyUSB0).
 *
 * Life cycle, all on the loop thread:
 *
 *     p = port_new(loop, url, &callbacks, owner, err, sizeof err);  (err: PORT_ERROR_MAX)
 *     port_open(p);                 -> on_open(p, NULL) or on_open(p, "why")
 *     port_write / port_set_baud / port_set_lines / port_flush_input
 *                                   -> on_data(p, bytes, n) as bytes arrive
 *                                   -> on_error(p, "why") if the port dies
 *     port_close(p);                -> on_closed(p), after which p is freed
 *
 * The port owns its handles and buffers; whoever called port_new owns the
 * port and must end with port_close (also after a failed open or an error).
 * No callback runs from inside a port_* call, so an owner never sees itself
 * re-entered — with one exception: port_close on a port that was never
 * opened calls on_closed at once. Every operation is non-blocking. */
#ifndef JIGD_PORT_H
#define JIGD_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct port;

struct port_callbacks {
    void (*on_open)(struct port *p, const char *error);     /* error NULL: open */
    void (*on_data)(struct port *p, const uint8_t *data, size_t n);
    void (*on_error)(struct port *p, const char *error);    /* the port is dead */
    void (*on_closed)(struct port *p);                      /* p is gone after this */
};

/* Each returns 0, or -1 with the reason in p->error. */
struct port_ops {
    const char *kind;                   /* "rfc2217", "tty" */
    int (*open)(struct port *p);
    int (*write)(struct port *p, const uint8_t *data, size_t n); /* copies data */
    int (*set_baud)(struct port *p, uint32_t baud);
    int (*set_lines)(struct port *p, bool dtr, bool rts);
    int (*flush_input)(struct port *p);
    void (*close)(struct port *p);      /* ends with port_closed() */
};

#define PORT_URL_MAX 256
/* Room for any message the port layer makes, with the longest URL in it.
 * A shorter buffer for port_new's err gets the message cut after a whole
 * word, marked "…" (message_fit.h). */
#define PORT_ERROR_MAX 640
/* A local adapter named by its USB serial number: usb-serial:A10KX3ZB */
#define PORT_USB_SERIAL_SCHEME "usb-serial:"

struct port {
    const struct port_ops *ops;
    uv_loop_t *loop;
    const struct port_callbacks *cb;
    void *owner;                        /* for the owner's callbacks */
    char url[PORT_URL_MAX];
    uint32_t baud;                      /* the rate last set */
    bool dtr, rts;                      /* the lines last set */
    uint64_t rx_bytes, tx_bytes;        /* serial data, after RFC 2217 unescaping */
    bool closing;                       /* port_close was called */
    char error[PORT_ERROR_MAX];         /* why the last operation or the port failed */
};

/* Picks the backend from the URL. NULL (reason in err) for a URL neither
 * backend takes, or out of memory. The port starts closed, at 115200 baud. */
struct port *port_new(uv_loop_t *loop, const char *url, const struct port_callbacks *cb,
                      void *owner, char *err, size_t errlen);

/* Whether a local port's device is there now (a path exists, or an adapter
 * with that USB serial number is plugged in); for hotplug and re-plug waits. */
bool port_tty_present(const char *name);

int port_open(struct port *p);
int port_write(struct port *p, const uint8_t *data, size_t n);
int port_set_baud(struct port *p, uint32_t baud);
int port_set_lines(struct port *p, bool dtr, bool rts);
int port_flush_input(struct port *p);
void port_close(struct port *p);

/* ---- for backends ------------------------------------------------------ */

/* Backend constructors: allocate their own struct that begins with struct
 * port, and fill in ops; port_new fills in the rest. */
struct port *port_rfc2217_new(const char *url, char *err, size_t errlen);
struct port *port_tty_new(const char *path, char *err, size_t errlen);

/* Records why the port failed (printf-style) and returns -1. A message too
 * long for p->error is cut after a whole word (message_fit.h). */
int port_fail(struct port *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Backends report through these, never through p->cb directly: they drop
 * everything once port_close was called, so an owner hears nothing after it
 * has let go of the port except on_closed. Call them only from loop
 * callbacks (never inside a port_* call). */
void port_deliver_open(struct port *p, const char *error);
void port_deliver_data(struct port *p, const uint8_t *data, size_t n);
void port_deliver_error(struct port *p, const char *error);

/* The backend's last step of close: hands the memory back. */
void port_closed(struct port *p);

#endif
