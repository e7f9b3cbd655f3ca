/* The names the kernel and udev give one tty (tty_names.h). doctor and
 * `slots discover` both read them here, so the two never disagree about
 * which by-path link, driver or serial number belongs to a port. */
#include "tty_names.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How far up from a tty's device sysfs may hold its USB device: ttyUSB's
 * device is the usb-serial port (interface, then device above it), ttyACM's
 * the interface. A bound, so a tty that is no USB adapter cannot walk us up
 * to a hub's or a root hub's serial number. */
#define USB_DEVICE_LEVELS 3

const char *tty_root(const char *env, const char *fallback)
{
    const char *v = getenv(env);
    return v && v[0] ? v : fallback;
}

int tty_each_link(const char *dev, const char *kind, const char *real, tty_link_fn *fn,
                  void *ctx)
{
    char dir[PATH_MAX], link[PATH_MAX + 256], target[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/serial/%s", dev, kind);
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    int n = 0;
    for (const struct dirent *e; (e = readdir(dh));) {
        snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' && realpath(link, target) && !strcmp(target, real)) {
            fn(link, ctx);
            n++;
        }
    }
    closedir(dh);
    return n;
}

bool tty_has_device(const char *sys, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof path, "%s/class/tty/%s/device", sys, name);
    return stat(path, &st) == 0;
}

void tty_driver(const char *sys, const char *name, char *out, size_t cap)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "%s/class/tty/%s/device/driver", sys, name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    out[0] = '\0';
    if (n <= 0)
        return;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    snprintf(out, cap, "%.63s", base ? base + 1 : target);     /* a driver's name is short */
}

/* The first line of a small sysfs file, without its newline; false if none. */
static bool read_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok;
}

/* The USB device is the first folder up from the tty's device that has an
 * idVendor; false (dir untouched past PATH_MAX) when none is near. */
static bool usb_device_dir(const char *sys, const char *name, char dir[PATH_MAX])
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/class/tty/%s/device", sys, name);
    if (!realpath(path, dir))
        return false;
    for (int level = 0; level < USB_DEVICE_LEVELS; level++) {
        snprintf(path, sizeof path, "%s/idVendor", dir);
        if (stat(path, &st) == 0)
            return true;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            return false;
        *slash = '\0';
    }
    return false;
}

/* Its `serial` (absent when the chip has none, as on CH340s) is the number
 * libserialport matches usb-serial: against. */
void tty_usb_serial(const char *sys, const char *name, char *out, size_t cap)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    out[0] = '\0';
    if (!usb_device_dir(sys, name, dir))
        return;
    snprintf(path, sizeof path, "%s/serial", dir);
    if (!read_line(path, out, cap))
        out[0] = '\0';
}

/* A four-digit hex id file (idVendor, idProduct) as a number. */
static bool read_hex_id(const char *dir, const char *file, unsigned *out)
{
    char path[PATH_MAX + 16], text[16], *end;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!read_line(path, text, sizeof text))
        return false;
    unsigned long v = strtoul(text, &end, 16);
    if (end == text || *end || v > 0xffff)
        return false;
    *out = (unsigned)v;
    return true;
}

bool tty_usb_ids(const char *sys, const char *name, struct tty_usb_ids *ids)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    memset(ids, 0, sizeof *ids);
    if (!usb_device_dir(sys, name, dir) || !read_hex_id(dir, "idVendor", &ids->vendor)
        || !read_hex_id(dir, "idProduct", &ids->product))
        return false;
    snprintf(path, sizeof path, "%s/product", dir);
    if (!read_line(path, ids->product_name, sizeof ids->product_name))
        ids->product_name[0] = '\0';
    return true;
}
