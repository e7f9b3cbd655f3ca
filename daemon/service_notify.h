/* Tells systemd how jigd is doing when its unit is Type=notify: ready once
 * the REST API listens (so `systemctl start` returns when the station can
 * be asked, and units ordered After=jigd find it answering), and a watchdog
 * ping from the event loop itself, so a loop that hangs is restarted
 * instead of a station that looks alive and flashes nothing. Without
 * libsystemd at build time, or outside systemd, these do nothing. */
#ifndef JIGD_SERVICE_NOTIFY_H
#define JIGD_SERVICE_NOTIFY_H

#include <uv.h>

/* READY=1, then WATCHDOG=1 every half of WATCHDOG_USEC from a timer on
 * LOOP when systemd asked for a watchdog. */
void service_notify_ready(uv_loop_t *loop);

/* STOPPING=1, and the watchdog timer closed so the loop can end. */
void service_notify_stopping(void);

#endif
