/* Seeing an adapter being plugged in: /sys/class/tty is listed every
 * 200 ms, and a name that was not there at the previous look is a new
 * tty. Comparing with the previous look (not the first) means an adapter
 * pulled out and plugged back is seen again, and discover_take decides
 * what it is. Polling rather than inotify or netlink: sysfs sends no
 * inotify events, netlink needs udev's own rules to have run, and 200 ms
 * is quicker than a hand moves to the next socket. */
#include "discover.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tty_names.h"

#define POLL_MS 200
/* udev makes the /dev/serial links a moment after the kernel lists the
 * tty; an adapter without a by-path name after this long has none. */
#define UDEV_WAIT_MS 2000
#define UDEV_POLL_MS 100
#define MAX_TTYS 1024           /* /sys/class/tty holds ~100 on a PC */

struct tty_list {
    char name[MAX_TTYS][64];
    int n;
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* Ctrl-C (or a TERM) ends the wait, and what was found is still written.
 * No SA_RESTART, so the sleep ends at once. */
static void catch_stop(void)
{
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void list_ttys(const struct discover *d, struct tty_list *l)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/class/tty", d->sys);
    l->n = 0;
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    for (const struct dirent *e; l->n < MAX_TTYS && (e = readdir(dh));)
        if (e->d_name[0] != '.')
            snprintf(l->name[l->n++], sizeof l->name[0], "%.63s", e->d_name);
    closedir(dh);
}

static bool listed(const struct tty_list *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->name[i], name))
            return true;
    return false;
}

/* Keeps the name of the first link (there is one per kind for a tty). */
static void keep_name(const char *link, void *ctx)
{
    char *out = ctx;
    if (!out[0])
        snprintf(out, NAME_MAX + 1, "%s", strrchr(link, '/') + 1);
}

/* The adapter behind a new tty, once udev has made its links (or has had
 * its chance to). */
static void read_adapter(const struct discover *d, const char *tty, struct discover_adapter *a)
{
    char node[PATH_MAX], real[PATH_MAX];
    memset(a, 0, sizeof *a);
    snprintf(a->tty, sizeof a->tty, "%s", tty);
    snprintf(node, sizeof node, "%s/%s", d->dev, tty);
    for (long long end = now_ms() + UDEV_WAIT_MS; !stop_requested; sleep_ms(UDEV_POLL_MS)) {
        if (realpath(node, real)) {
            tty_each_link(d->dev, "by-path", real, keep_name, a->by_path);
            tty_each_link(d->dev, "by-id", real, keep_name, a->by_id);
        }
        if ((a->by_path[0] && a->by_id[0]) || now_ms() >= end)
            break;
    }
    tty_driver(d->sys, tty, a->driver, sizeof a->driver);
    tty_usb_serial(d->sys, tty, a->serial, sizeof a->serial);
}

static bool done(const struct discover *d)
{
    return stop_requested || (d->count && d->n_found >= d->count);
}

/* The ttys in `now` that were not in `before` and have a device (not a
 * virtual console), each to discover_take. True if there was one. */
static bool take_new(struct discover *d, const struct tty_list *before,
                     const struct tty_list *now)
{
    bool any = false;
    for (int i = 0; i < now->n && !done(d); i++) {
        if (listed(before, now->name[i]) || !tty_has_device(d->sys, now->name[i]))
            continue;
        struct discover_adapter a;
        read_adapter(d, now->name[i], &a);
        if (!stop_requested)
            discover_take(d, &a);
        any = true;
    }
    return any;
}

void discover_watch(struct discover *d)
{
    static struct tty_list lists[2];
    int cur = 0;
    catch_stop();
    list_ttys(d, &lists[cur]);
    /* Only now: an adapter plugged before the first look would not be new. */
    fprintf(stderr, "plug in the adapter of slot %d (Ctrl-C ends, keeping what was found)\n",
            d->start);
    long long idle_since = now_ms();
    while (!done(d)) {
        sleep_ms(POLL_MS);
        list_ttys(d, &lists[!cur]);
        if (take_new(d, &lists[cur], &lists[!cur]))
            idle_since = now_ms();
        cur = !cur;
        if (d->wait_s && !done(d) && now_ms() - idle_since >= d->wait_s * 1000LL) {
            d->timed_out = true;
            break;
        }
    }
    d->interrupted = stop_requested;
}
