/* The adapters jig builders use with Espressif boards (usb_adapter.h).
 * Each figure is the highest baud rate the chip's vendor datasheet gives
 * for its UART; a chip not listed is named by its ids and not judged. */
#include "usb_adapter.h"

#include <stddef.h>

static const struct usb_adapter adapters[] = {
    /* FTDI FT232R datasheet (DS_FT232R), 1.1 Hardware Features: "data
     * transfer rates from 300 baud to 3 Mbaud". (0403:6001 is also on
     * FTDI's older FT232AM/BM, rarely met now.) */
    {0x0403, 0x6001, "FTDI FT232R", 3000000, NULL},
    /* FTDI FT2232D datasheet: up to 3 Mbaud; FT2232H datasheet (DS_FT2232H):
     * up to 12 Mbaud. Both are 0403:6010 (the H is on Espressif's ESP-Prog). */
    {0x0403, 0x6010, "FTDI FT2232D/FT2232H", 3000000, "3000000 (FT2232D) or 12000000 (FT2232H)"},
    /* FTDI FT232H datasheet (DS_FT232H): UART up to 12 Mbaud. */
    {0x0403, 0x6014, "FTDI FT232H", 12000000, NULL},
    /* FTDI FT231X / FT230X datasheets (DS_FT231X, DS_FT230X): up to 3 Mbaud. */
    {0x0403, 0x6015, "FTDI FT-X (FT230X/FT231X)", 3000000, NULL},
    /* Silicon Labs CP2102/9 datasheet: 300 bps to 921.6 kbps; CP2102N
     * datasheet: up to 3 Mbaud. Both are 10c4:ea60, so the lower judges. */
    {0x10c4, 0xea60, "Silicon Labs CP210x", 921600, "921600 (CP2102) or 3000000 (CP2102N)"},
    /* WCH CH340 datasheet: 50 bps to 2 Mbps. */
    {0x1a86, 0x7523, "WCH CH340", 2000000, NULL},
    /* Espressif's USB-Serial/JTAG (ESP32-C3, -S3, -C6, -H2): the chip's own
     * USB, no UART in between, so the baud setting limits nothing. */
    {0x303a, 0x1001, "Espressif USB-Serial/JTAG", 0, NULL},
};

const struct usb_adapter *usb_adapter_find(unsigned vendor, unsigned product)
{
    for (size_t i = 0; i < sizeof adapters / sizeof adapters[0]; i++)
        if (adapters[i].vendor == vendor && adapters[i].product == product)
            return &adapters[i];
    return NULL;
}
