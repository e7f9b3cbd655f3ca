/* sd_notify readiness and watchdog pings (service_notify.h says why). */
#include "service_notify.h"

#include <stdbool.h>
#include <stdint.h>

#include "log_line.h"

#ifdef JIGD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

static uv_timer_t watchdog;
static bool watchdog_running;

/* The ping comes from a timer on the one loop every slot and request runs
 * on: if a callback blocks that loop, the pings stop and systemd restarts
 * jigd (Restart=on-failure), which is what a stuck station needs. */
static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    sd_notify(0, "WATCHDOG=1");
}

void service_notify_ready(uv_loop_t *loop)
{
    sd_notify(0, "READY=1\nSTATUS=flashing station ready");
    uint64_t usec = 0;
    /* > 0 only when systemd set WATCHDOG_USEC for this very process. */
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
        return;
    /* Half the period, the margin systemd's documentation asks for, and
     * never below 1 ms so a tiny WatchdogSec cannot spin the loop. */
    uint64_t ms = usec / 2000;
    if (ms == 0)
        ms = 1;
    uv_timer_init(loop, &watchdog);
    uv_timer_start(&watchdog, on_watchdog, 0, ms);
    watchdog_running = true;
    log_line("jigd: systemd watchdog: a ping every %llu ms", (unsigned long long)ms);
}

void service_notify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
    if (watchdog_running) {
        watchdog_running = false;
        uv_close((uv_handle_t *)&watchdog, NULL);
    }
}

#else

void service_notify_ready(uv_loop_t *loop)
{
    (void)loop;
}

void service_notify_stopping(void)
{
}

#endif
