/* jigd.conf parser. The file is read line by line; every value is checked
 * where it appears so a mistake is reported at its own line, and checks
 * that need a whole section (a gpio reset needs its lines) run when the
 * section ends. Defaults that a slot inherits from [station] are filled in
 * last, because [station] may come after the slots. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef JIGD_DEFAULT_STUB_DIR
#define JIGD_DEFAULT_STUB_DIR "/usr/share/jigd/node_modules/esptool-js/lib/targets/stub_flasher"
#endif

#define LINE_MAX_LEN 4096
#define MAX_FILE_SIZE (1u << 20)    /* a config file is a few KB; refuse junk */
#define INHERIT_BAUD 0u
#define INHERIT_GPIO (-2)
#define MAX_SECTION_KEYS 16

enum section { SECTION_NONE, SECTION_STATION, SECTION_SLOT, SECTION_IDENTITY, SECTION_UNIT };

struct parser {
    struct jigd_config *cfg;
    const char *name;               /* file name for messages */
    char dir[CONFIG_PATH_MAX];      /* anchors relative paths; "" = cwd */
    int line;
    enum section section;
    struct slot_config *slot;       /* current [slot N] */
    int station_line;               /* line of [station], 0 = not seen */
    int identity_line, unit_line;   /* of [identity] and [unit] */
    int trust_local_line;           /* of api_trust_local = yes, 0 = not set */
    int key_line[MAX_SECTION_KEYS]; /* per key of the current section */
    char *err;
    size_t errlen;
};

struct key_handler {
    const char *key;
    int (*set)(struct parser *p, const char *value);
};

/* ---- messages ---------------------------------------------------------- */

static int fail_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, int line, const char *fmt, ...)
{
    if (!p->err || !p->errlen)
        return -1;
    int n = line > 0 ? snprintf(p->err, p->errlen, "%s:%d: ", p->name, line)
                     : snprintf(p->err, p->errlen, "%s: ", p->name);
    if (n < 0 || (size_t)n >= p->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static void warn(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct parser *p, const char *fmt, ...)
{
    struct jigd_config *c = p->cfg;
    if (c->n_warnings >= CONFIG_MAX_WARNINGS)
        return;
    char *w = c->warnings[c->n_warnings++];
    size_t cap = sizeof c->warnings[0];
    int n = snprintf(w, cap, "%s:%d: ", p->name, p->line);
    if (n < 0 || (size_t)n >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
}

static const char *section_label(struct parser *p, char *buf, size_t cap)
{
    if (p->section == SECTION_SLOT)
        snprintf(buf, cap, "[slot %d]", p->slot->index);
    else if (p->section == SECTION_IDENTITY)
        snprintf(buf, cap, "[identity]");
    else if (p->section == SECTION_UNIT)
        snprintf(buf, cap, "[unit]");
    else
        snprintf(buf, cap, "[station]");
    return buf;
}

/* ---- value parsers ----------------------------------------------------- */

static int parse_uint(const char *s, unsigned long min, unsigned long max,
                      unsigned long *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return -1;
    }
    if (v < min)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *yes[] = {"yes", "true", "on", "1"};
    static const char *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) { *out = true; return 0; }
        if (!strcasecmp(s, no[i])) { *out = false; return 0; }
    }
    return -1;
}

/* "host:port" or "[v6addr]:port"; host is copied without brackets. */
static int parse_host_port(const char *s, char *host, size_t hostcap,
                           uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || memchr(s, ':', (size_t)(colon - s)))
            return -1;      /* bare IPv6 needs brackets */
        hlen = (size_t)(colon - s);
    }
    unsigned long v;
    if (hlen == 0 || hlen >= hostcap || parse_uint(colon + 1, 1, 65535, &v))
        return -1;
    for (size_t i = 0; i < hlen; i++)
        if (isspace((unsigned char)h[i]) || h[i] == '/')
            return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

/* Only a literal loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z) or
 * "localhost" (which resolvers keep on loopback, RFC 6761) counts: a name
 * such as 127.0.0.1.nip.io merely looks like one and may resolve to any
 * address. jigd checks again on the address it actually binds. */
static bool host_is_loopback(const char *h)
{
    if (!strcasecmp(h, "localhost"))
        return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    if (inet_pton(AF_INET6, h, &a6) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return IN6_IS_ADDR_LOOPBACK(&a6) ||
           (!memcmp(a6.s6_addr, mapped, sizeof mapped) && a6.s6_addr[12] == 127);
}

static int copy_value(struct parser *p, char *dst, size_t cap, const char *v,
                      const char *key)
{
    size_t n = strlen(v);
    if (n >= cap)
        return fail(p, "value of '%s' is too long (%zu characters, at most %zu)",
                    key, n, cap - 1);
    memcpy(dst, v, n + 1);
    return 0;
}

/* Relative paths are anchored at the config file's folder, so a config
 * and the files next to it can be moved together. */
static int set_path(struct parser *p, char *dst, const char *v, const char *key)
{
    if (v[0] == '/' || v[0] == '\0' || p->dir[0] == '\0')
        return copy_value(p, dst, CONFIG_PATH_MAX, v, key);
    int n = snprintf(dst, CONFIG_PATH_MAX, "%s/%s", p->dir, v);
    if (n < 0 || n >= CONFIG_PATH_MAX)
        return fail(p, "value of '%s' is too long once joined to %s", key, p->dir);
    return 0;
}

static int need_value(struct parser *p, const char *v, const char *key,
                      const char *example)
{
    if (*v)
        return 0;
    return fail(p, "'%s' has no value; write e.g. %s = %s", key, key, example);
}

/* ---- [station] keys ---------------------------------------------------- */

static int station_name(struct parser *p, const char *v)
{
    if (need_value(p, v, "name", "line3-east"))
        return -1;
    for (const char *s = v; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
            return fail(p, "station name '%s' may only hold letters, digits, "
                        "'-', '_' and '.' (it names records and files)", v);
    return copy_value(p, p->cfg->station.name, CONFIG_NAME_MAX, v, "name");
}

static int station_data_dir(struct parser *p, const char *v)
{
    if (need_value(p, v, "data_dir", CONFIG_DEFAULT_DATA_DIR))
        return -1;
    return set_path(p, p->cfg->station.data_dir, v, "data_dir");
}

static int station_listen(struct parser *p, const char *v)
{
    struct station_config *s = &p->cfg->station;
    if (parse_host_port(v, s->listen_host, sizeof s->listen_host, &s->listen_port))
        return fail(p, "listen = '%s' is not host:port; write e.g. listen = "
                    "127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080", v);
    return 0;
}

static int station_api_token_file(struct parser *p, const char *v)
{
    return set_path(p, p->cfg->station.api_token_file, v, "api_token_file");
}

static int station_api_trust_local(struct parser *p, const char *v)
{
    if (parse_bool(v, &p->cfg->station.api_trust_local))
        return fail(p, "api_trust_local = '%s' is not yes or no", v);
    p->trust_local_line = p->cfg->station.api_trust_local ? p->line : 0;
    return 0;
}

static int station_stub_dir(struct parser *p, const char *v)
{
    return set_path(p, p->cfg->station.stub_dir, v, "stub_dir");
}

static int station_bundle(struct parser *p, const char *v)
{
    return set_path(p, p->cfg->station.bundle, v, "bundle");
}

static int parse_baud(struct parser *p, const char *v, uint32_t *out)
{
    unsigned long b;
    if (parse_uint(v, CONFIG_MIN_BAUD, CONFIG_MAX_BAUD, &b))
        return fail(p, "max_baud = '%s' is not a baud rate between %u and %u; "
                    "921600 suits most USB-UART adapters, 460800 long cables",
                    v, CONFIG_MIN_BAUD, CONFIG_MAX_BAUD);
    *out = (uint32_t)b;
    return 0;
}

static int station_max_baud(struct parser *p, const char *v)
{
    return parse_baud(p, v, &p->cfg->station.max_baud);
}

static int station_boot_log_seconds(struct parser *p, const char *v)
{
    unsigned long s;
    if (parse_uint(v, 1, 600, &s))
        return fail(p, "boot_log_seconds = '%s' is not a number of seconds "
                    "from 1 to 600", v);
    p->cfg->station.boot_log_seconds = (unsigned)s;
    return 0;
}

/* Room in data_dir for the records of units about to start, so that a
 * filling disk stops the line before a board is half-way, not after. */
static int station_min_free_mb(struct parser *p, const char *v)
{
    unsigned long mb;
    if (parse_uint(v, 0, CONFIG_MAX_MIN_FREE_MB, &mb))
        return fail(p, "min_free_mb = '%s' is not a number of MiB from 0 (no check) to %u",
                    v, CONFIG_MAX_MIN_FREE_MB);
    p->cfg->station.min_free_mb = (unsigned)mb;
    return 0;
}

static int parse_led_gpio(struct parser *p, const char *v, int *out)
{
    unsigned long g;
    if (!strcasecmp(v, "none") || !strcmp(v, "-1")) {
        *out = CONFIG_NO_GPIO;
        return 0;
    }
    if (parse_uint(v, 0, 63, &g))
        return fail(p, "led_gpio = '%s' is not a chip GPIO number (0-63) or "
                    "'none'", v);
    *out = (int)g;
    return 0;
}

static int station_led_gpio(struct parser *p, const char *v)
{
    return parse_led_gpio(p, v, &p->cfg->station.led_gpio);
}

static const struct key_handler station_keys[] = {
    {"name", station_name},
    {"data_dir", station_data_dir},
    {"listen", station_listen},
    {"api_token_file", station_api_token_file},
    {"api_trust_local", station_api_trust_local},
    {"stub_dir", station_stub_dir},
    {"bundle", station_bundle},
    {"max_baud", station_max_baud},
    {"boot_log_seconds", station_boot_log_seconds},
    {"led_gpio", station_led_gpio},
    {"min_free_mb", station_min_free_mb},
    {NULL, NULL},
};

/* ---- [identity] keys --------------------------------------------------- */

static int identity_ca_cert(struct parser *p, const char *v)
{
    p->cfg->identity.ca_cert_line = p->line;
    return set_path(p, p->cfg->identity.ca_cert, v, "ca_cert");
}

static int identity_ca_key(struct parser *p, const char *v)
{
    p->cfg->identity.ca_key_line = p->line;
    return set_path(p, p->cfg->identity.ca_key, v, "ca_key");
}

static int identity_organization(struct parser *p, const char *v)
{
    for (const char *s = v; *s; s++)
        if (!isprint((unsigned char)*s) || strchr(",=+<>#;\\\"", *s))
            return fail(p, "organization '%s' holds '%c', which an X.509 name would have "
                        "to escape; use letters, digits, spaces and - . _ & ( )", v, *s);
    return copy_value(p, p->cfg->identity.organization, CONFIG_NAME_MAX, v,
                      "organization");
}

static int parse_years(struct parser *p, const char *v, const char *key, unsigned *out)
{
    unsigned long y;
    if (parse_uint(v, 1, 100, &y))
        return fail(p, "%s = '%s' is not a number of years from 1 to 100", key, v);
    *out = (unsigned)y;
    return 0;
}

static int identity_ca_years(struct parser *p, const char *v)
{
    return parse_years(p, v, "ca_years", &p->cfg->identity.ca_years);
}

static int identity_cert_years(struct parser *p, const char *v)
{
    return parse_years(p, v, "cert_years", &p->cfg->identity.cert_years);
}

static int identity_key_type(struct parser *p, const char *v)
{
    if (strcmp(v, "ec-p256") && strcmp(v, "rsa-2048"))
        return fail(p, "key_type = '%s' is not a key type jigd makes; write ec-p256 "
                    "(the default) or rsa-2048", v);
    return copy_value(p, p->cfg->identity.key_type, sizeof p->cfg->identity.key_type, v,
                      "key_type");
}

static int identity_pool_size(struct parser *p, const char *v)
{
    unsigned long n;
    if (parse_uint(v, 1, 256, &n))
        return fail(p, "key_pool_size = '%s' is not a number of keys from 1 to 256 "
                    "(one per slot is plenty)", v);
    p->cfg->identity.key_pool_size = (unsigned)n;
    return 0;
}

static int identity_pool_workers(struct parser *p, const char *v)
{
    unsigned long n;
    if (parse_uint(v, 1, 4, &n))
        return fail(p, "key_pool_workers = '%s' is not 1 to 4 (libuv's thread pool has "
                    "4 threads, shared with bundle loading)", v);
    p->cfg->identity.key_pool_workers = (unsigned)n;
    return 0;
}

static const struct key_handler identity_keys[] = {
    {"ca_cert", identity_ca_cert},
    {"ca_key", identity_ca_key},
    {"organization", identity_organization},
    {"ca_years", identity_ca_years},
    {"cert_years", identity_cert_years},
    {"key_type", identity_key_type},
    {"key_pool_size", identity_pool_size},
    {"key_pool_workers", identity_pool_workers},
    {NULL, NULL},
};

/* ---- [unit] keys ------------------------------------------------------- */

/* The full grammar is the database's (checked at start, with this line);
 * here only what needs no library. */
static int unit_serial_format(struct parser *p, const char *v)
{
    if (need_value(p, v, "serial_format", "ACME-{yy}{ww}-{seq:06}"))
        return -1;
    if (!strstr(v, "{seq"))
        return fail(p, "serial_format = '%s' has no {seq} or {seq:N} field, so every "
                    "board would get the same serial; add e.g. -{seq:06}", v);
    p->cfg->unit.serial_format_line = p->line;
    return copy_value(p, p->cfg->unit.serial_format, 129, v, "serial_format");
}

static int unit_nvs_template(struct parser *p, const char *v)
{
    p->cfg->unit.nvs_template_line = p->line;
    return set_path(p, p->cfg->unit.nvs_template, v, "nvs_template");
}

static int unit_secure_cert(struct parser *p, const char *v)
{
    if (parse_bool(v, &p->cfg->unit.secure_cert))
        return fail(p, "secure_cert = '%s' is not yes or no", v);
    p->cfg->unit.secure_cert_line = p->line;
    return 0;
}

static int unit_work_order(struct parser *p, const char *v)
{
    for (const char *s = v; *s; s++)
        if (!isgraph((unsigned char)*s))
            return fail(p, "work_order '%s' holds a space or control character", v);
    return copy_value(p, p->cfg->unit.work_order, CONFIG_WORK_ORDER_MAX, v, "work_order");
}

static const struct key_handler unit_keys[] = {
    {"serial_format", unit_serial_format},
    {"nvs_template", unit_nvs_template},
    {"secure_cert", unit_secure_cert},
    {"work_order", unit_work_order},
    {NULL, NULL},
};

/* ---- [slot N] keys ----------------------------------------------------- */

static int check_port(struct parser *p, const char *v)
{
    char host[256];
    uint16_t port;
    if (!strncmp(v, "/dev/", 5) && v[5]) {
        if (strncmp(v, "/dev/serial/by-", 15))
            warn(p, "port %s may get another name after a replug or reboot; "
                 "prefer its /dev/serial/by-path/... or /dev/serial/by-id/... link", v);
        return 0;
    }
    if (!strncmp(v, "usb-serial:", 11) && v[11]) {
        for (const char *s = v + 11; *s; s++)
            if (!isgraph((unsigned char)*s))
                return fail(p, "usb-serial serial number '%s' holds a space or "
                            "control character", v + 11);
        return 0;
    }
    if (!strncmp(v, "rfc2217://", 10)) {
        if (parse_host_port(v + 10, host, sizeof host, &port))
            return fail(p, "port '%s' needs host:port after rfc2217://, e.g. "
                        "rfc2217://10.0.0.5:4000", v);
        return 0;
    }
    return fail(p, "port '%s' is not a serial device (/dev/serial/by-path/...), "
                "usb-serial:<adapter serial number> or rfc2217://host:port", v);
}

static int slot_port(struct parser *p, const char *v)
{
    if (need_value(p, v, "port", "/dev/serial/by-path/...-port0"))
        return -1;
    if (check_port(p, v))
        return -1;
    return copy_value(p, p->slot->port, CONFIG_PATH_MAX, v, "port");
}

static int slot_trigger(struct parser *p, const char *v)
{
    for (int t = SLOT_TRIGGER_AUTO; t <= SLOT_TRIGGER_HOTPLUG; t++) {
        if (!strcasecmp(v, slot_trigger_name((enum slot_trigger)t))) {
            p->slot->trigger = (enum slot_trigger)t;
            return 0;
        }
    }
    return fail(p, "trigger = '%s' is not one of auto, manual, hotplug", v);
}

static int slot_reset(struct parser *p, const char *v)
{
    for (int r = 0; loader_reset_name((enum loader_reset)r); r++) {
        if (!strcasecmp(v, loader_reset_name((enum loader_reset)r))) {
            p->slot->reset = (enum loader_reset)r;
            return 0;
        }
    }
    return fail(p, "reset = '%s' is not one of classic, usb-jtag, gpio, none", v);
}

static int slot_gpio_chip(struct parser *p, const char *v)
{
    if (need_value(p, v, "gpio_chip", "/dev/gpiochip0"))
        return -1;
    if (v[0] == '/')
        return copy_value(p, p->slot->gpio_chip, CONFIG_PATH_MAX, v, "gpio_chip");
    if (strchr(v, '/'))
        return fail(p, "gpio_chip = '%s' should be /dev/gpiochipN or gpiochipN", v);
    /* "gpiochip0" is how gpiodetect prints it. */
    snprintf(p->slot->gpio_chip, CONFIG_PATH_MAX, "/dev/%.*s",
             CONFIG_PATH_MAX - 6, v);
    return 0;
}

static int parse_gpio_line(struct parser *p, const char *v, const char *key,
                           int *out)
{
    unsigned long l;
    if (parse_uint(v, 0, 1023, &l))
        return fail(p, "%s = '%s' is not a GPIO line offset (0-1023, as "
                    "gpioinfo lists them)", key, v);
    *out = (int)l;
    return 0;
}

static int slot_gpio_en(struct parser *p, const char *v)
{
    return parse_gpio_line(p, v, "gpio_en", &p->slot->gpio_en);
}

static int slot_gpio_io0(struct parser *p, const char *v)
{
    return parse_gpio_line(p, v, "gpio_io0", &p->slot->gpio_io0);
}

static int slot_max_baud(struct parser *p, const char *v)
{
    return parse_baud(p, v, &p->slot->max_baud);
}

static int slot_led_gpio(struct parser *p, const char *v)
{
    return parse_led_gpio(p, v, &p->slot->led_gpio);
}

static int slot_enabled(struct parser *p, const char *v)
{
    if (parse_bool(v, &p->slot->enabled))
        return fail(p, "enabled = '%s' is not yes or no", v);
    return 0;
}

enum { SLOT_KEY_PORT, SLOT_KEY_TRIGGER, SLOT_KEY_RESET, SLOT_KEY_GPIO_CHIP,
       SLOT_KEY_GPIO_EN, SLOT_KEY_GPIO_IO0 };

static const struct key_handler slot_keys[] = {
    [SLOT_KEY_PORT] = {"port", slot_port},
    [SLOT_KEY_TRIGGER] = {"trigger", slot_trigger},
    [SLOT_KEY_RESET] = {"reset", slot_reset},
    [SLOT_KEY_GPIO_CHIP] = {"gpio_chip", slot_gpio_chip},
    [SLOT_KEY_GPIO_EN] = {"gpio_en", slot_gpio_en},
    [SLOT_KEY_GPIO_IO0] = {"gpio_io0", slot_gpio_io0},
    {"max_baud", slot_max_baud},
    {"led_gpio", slot_led_gpio},
    {"enabled", slot_enabled},
    {NULL, NULL},
};

/* ---- sections ---------------------------------------------------------- */

/* A gpio reset needs its chip and both lines; the lines mean nothing with
 * another reset, so setting them there is a mistake worth stopping for. */
static int finish_slot(struct parser *p)
{
    struct slot_config *s = p->slot;
    static const int gpio_keys[] = {SLOT_KEY_GPIO_CHIP, SLOT_KEY_GPIO_EN,
                                    SLOT_KEY_GPIO_IO0};
    for (size_t i = 0; i < 3; i++) {
        int k = gpio_keys[i];
        if (s->reset == LOADER_RESET_GPIO && !p->key_line[k])
            return fail_at(p, s->line, "[slot %d] has reset = gpio but no %s; "
                           "add gpio_chip, gpio_en and gpio_io0", s->index,
                           slot_keys[k].key);
        if (s->reset != LOADER_RESET_GPIO && p->key_line[k])
            return fail_at(p, p->key_line[k], "%s in [slot %d] is only used "
                           "with reset = gpio (this slot has reset = %s)",
                           slot_keys[k].key, s->index, loader_reset_name(s->reset));
    }
    if (s->reset == LOADER_RESET_GPIO && s->gpio_en == s->gpio_io0)
        return fail_at(p, p->key_line[SLOT_KEY_GPIO_IO0], "gpio_en and gpio_io0 "
                       "in [slot %d] are the same line %d; EN and IO0 need "
                       "separate lines", s->index, s->gpio_en);
    if (s->enabled && !s->port[0])
        return fail_at(p, s->line, "[slot %d] has no port; add e.g. port = "
                       "/dev/serial/by-path/...-port0, or enabled = no", s->index);
    return 0;
}

static int finish_section(struct parser *p)
{
    return p->section == SECTION_SLOT ? finish_slot(p) : 0;
}

static struct slot_config *add_slot(struct parser *p, int index)
{
    struct jigd_config *c = p->cfg;
    size_t at = 0;
    while (at < c->n_slots && c->slots[at].index < index)
        at++;
    memmove(&c->slots[at + 1], &c->slots[at],
            (c->n_slots - at) * sizeof c->slots[0]);
    c->n_slots++;
    struct slot_config *s = &c->slots[at];
    memset(s, 0, sizeof *s);
    s->index = index;
    s->line = p->line;
    s->trigger = SLOT_TRIGGER_AUTO;
    s->reset = LOADER_RESET_CLASSIC;
    s->gpio_en = CONFIG_NO_GPIO;
    s->gpio_io0 = CONFIG_NO_GPIO;
    s->max_baud = INHERIT_BAUD;
    s->led_gpio = INHERIT_GPIO;
    s->enabled = true;
    return s;
}

static int open_slot(struct parser *p, const char *num)
{
    unsigned long n;
    if (parse_uint(num, 1, CONFIG_MAX_SLOTS, &n))
        return fail(p, "[slot %s]: the slot number must be 1 to %d", num,
                    CONFIG_MAX_SLOTS);
    const struct slot_config *old = config_slot(p->cfg, (int)n);
    if (old)
        return fail(p, "[slot %lu] is defined twice (first at line %d); "
                    "merge the two or renumber one", n, old->line);
    p->slot = add_slot(p, (int)n);
    p->section = SECTION_SLOT;
    return 0;
}

/* `inner` is the text between the brackets, already trimmed. */
static int open_section(struct parser *p, char *inner)
{
    if (finish_section(p))
        return -1;
    memset(p->key_line, 0, sizeof p->key_line);
    if (!strcasecmp(inner, "station")) {
        if (p->station_line)
            return fail(p, "[station] appears twice (first at line %d); "
                        "keep one", p->station_line);
        p->station_line = p->line;
        p->section = SECTION_STATION;
        return 0;
    }
    if (!strcasecmp(inner, "identity") || !strcasecmp(inner, "unit")) {
        bool id = !strcasecmp(inner, "identity");
        int *seen = id ? &p->identity_line : &p->unit_line;
        if (*seen)
            return fail(p, "[%s] appears twice (first at line %d); keep one", inner, *seen);
        *seen = p->line;
        p->section = id ? SECTION_IDENTITY : SECTION_UNIT;
        return 0;
    }
    if (!strncasecmp(inner, "slot", 4) && isspace((unsigned char)inner[4])) {
        char *num = inner + 5;
        while (isspace((unsigned char)*num))
            num++;
        return open_slot(p, num);
    }
    return fail(p, "unknown section [%s]; known sections: [station], [identity], "
                "[unit], [slot N] (N = 1 to %d)", inner, CONFIG_MAX_SLOTS);
}

/* ---- lines ------------------------------------------------------------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* A '#' starts a comment at the start of a value or after white space, so
 * "port = usb-serial:A#1" keeps its '#'. Double quotes keep anything. */
static int unquote_value(struct parser *p, char *v, char **out)
{
    while (isspace((unsigned char)*v))
        v++;
    if (*v != '"') {
        for (char *s = v; *s; s++) {
            if (*s == '#' && (s == v || isspace((unsigned char)s[-1]))) {
                *s = '\0';
                break;
            }
        }
        *out = trim(v);
        return 0;
    }
    char *close = strchr(v + 1, '"');
    if (!close)
        return fail(p, "value starts with \" but has no closing \"");
    char *rest = trim(close + 1);
    if (*rest && *rest != '#')
        return fail(p, "unexpected text after the closing \": '%s'", rest);
    *close = '\0';
    *out = v + 1;
    return 0;
}

static void known_keys(const struct key_handler *keys, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (const struct key_handler *k = keys; k->key && n < cap; k++) {
        int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", k->key);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static int set_key(struct parser *p, const char *key, char *raw)
{
    char label[32], list[256];
    if (p->section == SECTION_NONE)
        return fail(p, "'%s' is outside any section; put it under [station] "
                    "or [slot N]", key);
    const struct key_handler *keys =
        p->section == SECTION_STATION ? station_keys
        : p->section == SECTION_IDENTITY ? identity_keys
        : p->section == SECTION_UNIT ? unit_keys : slot_keys;
    for (int i = 0; keys[i].key; i++) {
        if (strcasecmp(key, keys[i].key))
            continue;
        if (p->key_line[i])
            return fail(p, "'%s' is set twice in %s (first at line %d); keep one",
                        keys[i].key, section_label(p, label, sizeof label),
                        p->key_line[i]);
        p->key_line[i] = p->line;
        char *value = NULL;
        if (unquote_value(p, raw, &value))
            return -1;
        return keys[i].set(p, value);
    }
    known_keys(keys, list, sizeof list);
    return fail(p, "unknown key '%s' in %s; known keys: %s", key,
                section_label(p, label, sizeof label), list);
}

static int check_characters(struct parser *p, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\r')
            return fail(p, "control character 0x%02x in the line; is this a "
                        "text file?", c);
    }
    return 0;
}

static int parse_line(struct parser *p, char *line)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close)
            return fail(p, "section header '%s' has no closing ']'", s);
        char *rest = trim(close + 1);
        if (*rest && *rest != '#')
            return fail(p, "unexpected text after the section header: '%s'", rest);
        *close = '\0';
        return open_section(p, trim(s + 1));
    }
    char *eq = strchr(s, '=');
    if (!eq)
        return fail(p, "expected key = value, [station] or [slot N]; got '%s'", s);
    *eq = '\0';
    char *key = trim(s);
    if (!*key)
        return fail(p, "a line starts with '='; the key is missing");
    for (const char *k = key; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_')
            return fail(p, "'%s' is not a key name (letters, digits and '_')", key);
    return set_key(p, key, eq + 1);
}

/* ---- whole file -------------------------------------------------------- */

static void set_defaults(struct station_config *s)
{
    if (gethostname(s->name, sizeof s->name) || !s->name[0])
        snprintf(s->name, sizeof s->name, "jigd");
    s->name[sizeof s->name - 1] = '\0';
    snprintf(s->data_dir, sizeof s->data_dir, "%s", CONFIG_DEFAULT_DATA_DIR);
    snprintf(s->listen_host, sizeof s->listen_host, "%s", CONFIG_DEFAULT_LISTEN_HOST);
    s->listen_port = CONFIG_DEFAULT_LISTEN_PORT;
    snprintf(s->stub_dir, sizeof s->stub_dir, "%s", JIGD_DEFAULT_STUB_DIR);
    s->max_baud = CONFIG_DEFAULT_MAX_BAUD;
    s->boot_log_seconds = CONFIG_DEFAULT_BOOT_LOG_SECONDS;
    s->min_free_mb = CONFIG_DEFAULT_MIN_FREE_MB;
    s->led_gpio = CONFIG_NO_GPIO;
}

static void set_unit_defaults(struct jigd_config *c)
{
    struct identity_settings *i = &c->identity;
    i->ca_years = 30;       /* identity_config.h's defaults, kept in step by hand: */
    i->cert_years = 20;     /* this library does not link the identity part */
    snprintf(i->key_type, sizeof i->key_type, "ec-p256");
    i->key_pool_size = 8;
    i->key_pool_workers = 1;
    snprintf(c->unit.serial_format, sizeof c->unit.serial_format, "%s",
             CONFIG_DEFAULT_SERIAL_FORMAT);
    c->unit.secure_cert = false;
}

static int check_whole(struct parser *p)
{
    struct jigd_config *c = p->cfg;
    if (c->n_slots == 0)
        return fail_at(p, 0, "no [slot N] section; add one per jig position, "
                       "e.g. [slot 1] with port = /dev/serial/by-path/...");
    for (size_t i = 0; i < c->n_slots; i++) {
        struct slot_config *s = &c->slots[i];
        if (s->max_baud == INHERIT_BAUD)
            s->max_baud = c->station.max_baud;
        if (s->led_gpio == INHERIT_GPIO)
            s->led_gpio = c->station.led_gpio;
        for (size_t j = 0; j < i && s->enabled; j++)
            if (c->slots[j].enabled && !strcmp(c->slots[j].port, s->port))
                return fail_at(p, s->line, "[slot %d] uses port %s, like "
                               "[slot %d] (line %d); each slot needs its own port",
                               s->index, s->port, c->slots[j].index, c->slots[j].line);
    }
    const struct identity_settings *id = &c->identity;
    if (!id->ca_cert[0] != !id->ca_key[0])
        return fail_at(p, id->ca_cert[0] ? id->ca_cert_line : id->ca_key_line,
                       "[identity] sets %s but not %s; a configured CA needs both its "
                       "certificate and its key (or neither, and jigd makes one in "
                       "data_dir)", id->ca_cert[0] ? "ca_cert" : "ca_key",
                       id->ca_cert[0] ? "ca_key" : "ca_cert");
    bool loopback = host_is_loopback(c->station.listen_host);
    if (c->station.api_trust_local && !loopback)
        return fail_at(p, p->trust_local_line, "api_trust_local = yes trusts every "
                       "program on this machine, so it needs a loopback listen "
                       "(127.0.0.1, ::1 or localhost), not %s; on the network use "
                       "api_token_file alone", c->station.listen_host);
    if (c->station.api_trust_local && c->station.api_token_file[0]) {
        int at = p->line;
        p->line = p->trust_local_line;
        warn(p, "api_trust_local = yes has no effect: api_token_file is set, so "
             "every request needs the token");
        p->line = at;
    }
    if (!loopback && !c->station.api_token_file[0])
        return fail_at(p, p->station_line, "listen = %s:%u is reachable from the "
                       "network but no api_token_file is set; set one (chmod 600) "
                       "or listen on 127.0.0.1 (a name other than localhost may "
                       "resolve to any address)", c->station.listen_host,
                       c->station.listen_port);
    return 0;
}

static void set_dir(struct parser *p, const char *name)
{
    const char *slash = strrchr(name, '/');
    p->dir[0] = '\0';
    if (slash && (size_t)(slash - name) < sizeof p->dir)
        snprintf(p->dir, sizeof p->dir, "%.*s", (int)(slash - name), name);
    if (slash == name)
        snprintf(p->dir, sizeof p->dir, "/");
}

static int parse_all(struct parser *p, const char *text, size_t len)
{
    char line[LINE_MAX_LEN];
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;    /* editors on Windows add a BOM */
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        p->line++;
        if (n >= sizeof line)
            return fail(p, "line is longer than %d characters", LINE_MAX_LEN - 1);
        if (check_characters(p, text + pos, n))
            return -1;
        memcpy(line, text + pos, n);
        line[n] = '\0';
        if (parse_line(p, line))
            return -1;
        pos += n + 1;
    }
    if (finish_section(p))
        return -1;
    return check_whole(p);
}

struct jigd_config *config_parse(const char *text, size_t len, const char *name,
                                 char *err, size_t errlen)
{
    struct parser *p = calloc(1, sizeof *p);
    struct jigd_config *c = calloc(1, sizeof *c);
    if (!p || !c) {
        free(p);
        free(c);
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    p->cfg = c;
    p->name = name;
    p->err = err;
    p->errlen = errlen;
    set_dir(p, name);
    set_defaults(&c->station);
    set_unit_defaults(c);
    snprintf(c->path, sizeof c->path, "%s", name);
    if (parse_all(p, text, len)) {
        free(c);
        c = NULL;
    }
    free(p);
    return c;
}

static char *read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_FILE_SIZE + 1);
    size_t n = buf ? fread(buf, 1, MAX_FILE_SIZE + 1, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad || n > MAX_FILE_SIZE) {
        snprintf(err, errlen, "%s: %s", path, bad ? "cannot read" :
                 "larger than 1 MiB; is this the configuration file?");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

struct jigd_config *config_load(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = read_small_file(path, &len, err, errlen);
    if (!text)
        return NULL;
    struct jigd_config *c = config_parse(text, len, path, err, errlen);
    free(text);
    return c;
}

void config_free(struct jigd_config *c)
{
    free(c);
}

const struct slot_config *config_slot(const struct jigd_config *c, int index)
{
    for (size_t i = 0; i < c->n_slots; i++)
        if (c->slots[i].index == index)
            return &c->slots[i];
    return NULL;
}

const char *slot_trigger_name(enum slot_trigger t)
{
    switch (t) {
    case SLOT_TRIGGER_AUTO: return "auto";
    case SLOT_TRIGGER_MANUAL: return "manual";
    case SLOT_TRIGGER_HOTPLUG: return "hotplug";
    }
    return "?";
}

/* ---- the API token ----------------------------------------------------- */

static int token_file_error(const char *path, char *err, size_t errlen,
                            const char *what)
{
    snprintf(err, errlen, "api_token_file %s: %s", path, what);
    return -1;
}

/* Trims the token read into buf and says what is wrong with it, or NULL. */
static const char *check_token(char *buf, size_t cap, ssize_t n)
{
    if (n < 0)
        return "cannot read";
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    if ((size_t)n >= cap - 1)
        return "token too long";
    if (n < 16)
        return "holds no token of at least 16 characters; write one, e.g. "
               "from `head -c 32 /dev/urandom | base64`";
    for (ssize_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)buf[i]))
            return "token holds spaces or control characters; keep it on one line";
    return NULL;
}

int config_read_api_token(const struct jigd_config *c, char *buf, size_t cap,
                          char *err, size_t errlen)
{
    const char *path = c->station.api_token_file;
    char why[160];
    if (cap < 2)
        return token_file_error(path, err, errlen, "no room for a token");
    memset(buf, 0, cap);    /* on any failure the caller sees an empty token */
    if (!path[0])
        return token_file_error("(none)", err, errlen,
                                "not set in [station]; set api_token_file");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot open: %s", strerror(errno));
        return token_file_error(path, err, errlen, why);
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return token_file_error(path, err, errlen, "is not a regular file");
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(why, sizeof why, "others can read it (mode %03o); run "
                 "chmod 600 on it", (unsigned)(st.st_mode & 0777));
        return token_file_error(path, err, errlen, why);
    }
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    const char *problem = check_token(buf, cap, n);
    if (problem) {
        memset(buf, 0, cap);    /* a rejected token must not linger */
        return token_file_error(path, err, errlen, problem);
    }
    return 0;
}
