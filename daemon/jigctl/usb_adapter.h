/* What a USB-serial adapter is, from its USB ids: its name and the highest
 * baud its chip carries, so doctor can hold a slot's max_baud against it
 * (and discover name what was plugged in). Part of jigctl_tty_names. */
#ifndef JIGD_USB_ADAPTER_H
#define JIGD_USB_ADAPTER_H

#include <stdint.h>

struct usb_adapter {
    unsigned vendor, product;
    const char *name;
    /* The highest baud of the slowest chip sold under these ids; 0 when
     * there is no UART in between (native USB), so no limit. */
    uint32_t max_baud;
    /* How to say the limit when one id covers chips of different limits,
     * e.g. "921600 (CP2102) or 3000000 (CP2102N)"; NULL: max_baud alone. */
    const char *limit_text;
};

/* The known adapter with these ids, or NULL. */
const struct usb_adapter *usb_adapter_find(unsigned vendor, unsigned product);

#endif
