/* fake_clock: a FAKE wall clock for tests, preloaded into jigd
 * (LD_PRELOAD): time(), gettimeofday() and clock_gettime(CLOCK_REALTIME)
 * answer FAKE_CLOCK_OFFSET_S seconds away from the real time, as a
 * Raspberry Pi without a battery-backed clock does until NTP sets it. The
 * monotonic clocks are left alone: timers and timeouts run as usual.
 *
 * In a sanitizer build the runtime's own interceptors of these functions
 * come first and call the next definition, which is this one. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long offset_s(void)
{
    const char *v = getenv("FAKE_CLOCK_OFFSET_S");
    return v ? strtol(v, NULL, 10) : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    static int (*real)(clockid_t, struct timespec *);
    if (!real)
        real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
        ts->tv_sec += offset_s();
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    static int (*real)(struct timeval *restrict, void *restrict);
    if (!real)
        real = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
    int rc = real(tv, tz);
    if (rc == 0)
        tv->tv_sec += offset_s();
    return rc;
}

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}
