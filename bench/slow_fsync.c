/* slow_fsync: an LD_PRELOAD library for the station bench that makes every
 * fsync() and fdatasync() of the program take SLOW_FSYNC_MS milliseconds
 * longer, to model the storage of a Raspberry Pi jig (an SD card takes
 * milliseconds to tens of milliseconds to make a write durable; this
 * machine's disk takes well under one). SQLite with synchronous=FULL makes
 * each commit durable with these calls, on the thread that commits.
 *
 * At exit it prints how many calls it slowed, the time they took in all,
 * and the longest single call, so the bench can say how much of jigd's
 * loop went to durability and how long the worst commit held it (the soak
 * runs it with SLOW_FSYNC_MS=0 for that last figure alone).
 * Linked into a test program instead, it counts them (slow_fsync_calls). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_long calls;
static atomic_long waited_us;
static atomic_long longest_us;

static long delay_ms(void)
{
    const char *v = getenv("SLOW_FSYNC_MS");
    return v ? strtol(v, NULL, 10) : 0;
}

static long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static int slowed(int (*real)(int), int fd)
{
    long start = now_us(), ms = delay_ms();
    if (ms > 0) {
        struct timespec d = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
    int r = real(fd);
    long took = now_us() - start;
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&waited_us, took);
    /* SQLite may sync from a worker thread too: a plain store could lose a
     * longer call that finished at the same moment on another thread. */
    long seen = atomic_load(&longest_us);
    while (took > seen && !atomic_compare_exchange_weak(&longest_us, &seen, took))
        ;
    return r;
}

int fsync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return slowed(real, fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    if (!real)
        real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return slowed(real, fd);
}

long slow_fsync_calls(void)
{
    return atomic_load(&calls);
}

__attribute__((destructor)) static void report(void)
{
    /* The counts come first: bench/station.sh reads the line up to "s". */
    fprintf(stderr, "slow_fsync: %ld calls, %.3f s in all (%ld ms added to each), longest %.3f ms\n",
            atomic_load(&calls), atomic_load(&waited_us) / 1e6, delay_ms(),
            atomic_load(&longest_us) / 1e3);
}
