/* One serial tty as the kernel (/sys/class/tty) and udev (/dev/serial/by-id,
 * /dev/serial/by-path) name it: what doctor checks a configured port
 * against, and what `slots discover` reports of an adapter just plugged in.
 * Everything is looked up below roots a test may move (JIGD_DOCTOR_DEV,
 * JIGD_DOCTOR_SYS: daemon/jigctl/README.md), and nothing is opened as a
 * port: opening a tty raises DTR/RTS, which resets a board in the jig. */
#ifndef JIGD_TTY_NAMES_H
#define JIGD_TTY_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* The environment variable `env` when set and not empty, else `fallback`:
 * the machine's own folder, or a test's made-up one. */
const char *tty_root(const char *env, const char *fallback);

/* Calls fn for every link in DEV/serial/KIND (KIND "by-path" or "by-id")
 * that resolves to the device `real` (a realpath). Returns how many. */
typedef void tty_link_fn(const char *link, void *ctx);
int tty_each_link(const char *dev, const char *kind, const char *real, tty_link_fn *fn,
                  void *ctx);

/* Whether SYS/class/tty/NAME is a tty with a device behind it (an adapter,
 * a UART), not a virtual console. */
bool tty_has_device(const char *sys, const char *name);

/* The driver's name (ftdi_sio, cp210x, ch341, cdc_acm), or "" when sysfs
 * does not say. */
void tty_driver(const char *sys, const char *name, char *out, size_t cap);

/* The USB serial number of the adapter behind the tty, as libserialport
 * (and so jigd's usb-serial:) reads it from sysfs; "" when it has none. */
void tty_usb_serial(const char *sys, const char *name, char *out, size_t cap);

/* The USB device behind the tty as its descriptor names it: idVendor,
 * idProduct and the product string ("" when it has none). */
struct tty_usb_ids {
    unsigned vendor, product;
    char product_name[128];
};

/* Fills ids and returns true when the tty's device has a USB device above
 * it (ttyUSB, ttyACM), false otherwise (a UART on the board, ttyS). */
bool tty_usb_ids(const char *sys, const char *name, struct tty_usb_ids *ids);

#endif
