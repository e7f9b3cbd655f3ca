/* Hard reset after the job (rom-protocol.md §4.4): pulse EN through RTS
 * with IO0 released (DTR off), so the straps are sampled afresh and the
 * chip boots the firmware just written. The USB-Serial/JTAG block wants a
 * longer pulse and a pause after it before the port is used again. */
#include "loader_internal.h"

enum {
    RESET_PULSE,        /* timer: release EN */
    RESET_AFTER,        /* timer: settle (USB-Serial/JTAG only) */
};

#define UART_PULSE (100 * LOADER_MS)
#define USB_JTAG_PULSE (200 * LOADER_MS)

static void reset_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (l->step == RESET_PULSE) {
        loader_set_lines(l, false, false);
        if (l->cfg.reset == LOADER_RESET_USB_JTAG) {
            l->step = RESET_AFTER;
            loader_sleep(l, now, USB_JTAG_PULSE);
            return;
        }
    }
    loader_finish(l, true);
}

static void reset_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = reset_advance;
    /* Whatever ran before (ROM or stub) is gone after the pulse. */
    l->stub_running = false;
    l->flash_attached = false;
    l->step = RESET_PULSE;
    loader_set_lines(l, false, true);
    loader_sleep(l, now, l->cfg.reset == LOADER_RESET_USB_JTAG ? USB_JTAG_PULSE : UART_PULSE);
}

int loader_start_hard_reset(struct loader *l, uint64_t now)
{
    return loader_begin_op(l, now, PHASE_RESET, reset_start);
}
