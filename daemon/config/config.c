/* jigd.conf parser: the file. It is read line by line; every value is
 * checked where it appears (each section's keys in their own file, see
 * config_parser.h) so a mistake is reported at its own line, and checks
 * that need a whole section (a gpio reset needs its lines) run when the
 * section ends. Defaults that a slot inherits from [station] are filled in
 * last, because [station] may come after the slots. */
#include "config_parser.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef JIGD_DEFAULT_STUB_DIR
#define JIGD_DEFAULT_STUB_DIR "/usr/share/jigd/node_modules/esptool-js/lib/targets/stub_flasher"
#endif

#define LINE_MAX_LEN 4096
#define MAX_FILE_SIZE (1u << 20)    /* a config file is a few KB; refuse junk */

/* ---- sections ---------------------------------------------------------- */

static const char *section_label(struct parser *p, char *buf, size_t cap)
{
    if (p->section == SECTION_SLOT)
        snprintf(buf, cap, "[slot %d]", p->slot->index);
    else if (p->section == SECTION_IDENTITY)
        snprintf(buf, cap, "[identity]");
    else if (p->section == SECTION_UNIT)
        snprintf(buf, cap, "[unit]");
    else if (p->section == SECTION_WEBHOOK)
        snprintf(buf, cap, "[webhook %s]", p->webhook->name);
    else if (p->section == SECTION_LABEL)
        snprintf(buf, cap, "[label]");
    else
        snprintf(buf, cap, "[station]");
    return buf;
}

static int finish_section(struct parser *p)
{
    if (p->section == SECTION_WEBHOOK)
        return conf_finish_webhook(p);
    return p->section == SECTION_SLOT ? conf_finish_slot(p) : 0;
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
    if (!strcasecmp(inner, "label")) {
        if (p->cfg->label.enabled)
            return fail(p, "[label] appears twice (first at line %d); keep one",
                        p->cfg->label.line);
        p->cfg->label.enabled = true;
        p->cfg->label.line = p->line;
        p->section = SECTION_LABEL;
        return 0;
    }
    if (!strncasecmp(inner, "slot", 4) && isspace((unsigned char)inner[4])) {
        char *num = inner + 5;
        while (isspace((unsigned char)*num))
            num++;
        return conf_open_slot(p, num);
    }
    if (!strncasecmp(inner, "webhook", 7) && isspace((unsigned char)inner[7])) {
        char *name = inner + 8;
        while (isspace((unsigned char)*name))
            name++;
        return conf_open_webhook(p, name);
    }
    return fail(p, "unknown section [%s]; known sections: [station], [identity], "
                "[unit], [label], [slot N] (N = 1 to %d), [webhook NAME]", inner, CONFIG_MAX_SLOTS);
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
    char label[64], list[256];
    if (p->section == SECTION_NONE)
        return fail(p, "'%s' is outside any section; put it under [station] "
                    "or [slot N]", key);
    const struct key_handler *keys =
        p->section == SECTION_STATION ? config_station_keys
        : p->section == SECTION_IDENTITY ? config_identity_keys
        : p->section == SECTION_UNIT ? config_unit_keys
        : p->section == SECTION_WEBHOOK ? config_webhook_keys
        : p->section == SECTION_LABEL ? config_label_keys : config_slot_keys;
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
    s->api_max_upload_mb = CONFIG_DEFAULT_MAX_UPLOAD_MB;
    s->led_gpio = CONFIG_NO_GPIO;
    static const unsigned shifts[] = {6 * 60, 14 * 60, 22 * 60};    /* CONFIG_DEFAULT_SHIFT_STARTS */
    memcpy(s->shift_starts, shifts, sizeof shifts);
    s->n_shift_starts = sizeof shifts / sizeof shifts[0];
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
    c->label.printer_port = CONFIG_DEFAULT_LABEL_PORT;
    c->label.timeout_ms = CONFIG_DEFAULT_LABEL_TIMEOUT_MS;
}

/* Only a literal loopback address (127.0.0.0/8, ::1, ::ffff:127.x.y.z) or
 * "localhost" (which resolvers keep on loopback, RFC 6761) counts: a name
 * such as 127.0.0.1.nip.io merely looks like one and may resolve to any
 * address. jigd checks again on the address it actually binds. */
bool config_host_is_loopback(const char *h)
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

static int check_whole(struct parser *p)
{
    struct jigd_config *c = p->cfg;
    if (c->n_slots == 0)
        return conf_fail_at(p, 0, "no [slot N] section; add one per jig position, "
                            "e.g. [slot 1] with port = /dev/serial/by-path/...");
    for (size_t i = 0; i < c->n_slots; i++) {
        struct slot_config *s = &c->slots[i];
        if (s->max_baud == INHERIT_BAUD)
            s->max_baud = c->station.max_baud;
        if (s->led_gpio == INHERIT_GPIO)
            s->led_gpio = c->station.led_gpio;
        for (size_t j = 0; j < i && s->enabled; j++)
            if (c->slots[j].enabled && !strcmp(c->slots[j].port, s->port))
                return conf_fail_at(p, s->line, "[slot %d] uses port %s, like "
                                    "[slot %d] (line %d); each slot needs its own port",
                                    s->index, s->port, c->slots[j].index, c->slots[j].line);
    }
    if (conf_check_label(p))
        return -1;
    const struct identity_settings *id = &c->identity;
    if (!id->ca_cert[0] != !id->ca_key[0])
        return conf_fail_at(p, id->ca_cert[0] ? id->ca_cert_line : id->ca_key_line,
                            "[identity] sets %s but not %s; a configured CA needs both its "
                            "certificate and its key (or neither, and jigd makes one in "
                            "data_dir)", id->ca_cert[0] ? "ca_cert" : "ca_key",
                            id->ca_cert[0] ? "ca_key" : "ca_cert");
    bool loopback = config_host_is_loopback(c->station.listen_host);
    if (c->station.api_trust_local && !loopback)
        return conf_fail_at(p, p->trust_local_line, "api_trust_local = yes trusts every "
                            "program on this machine, so it needs a loopback listen "
                            "(127.0.0.1, ::1 or localhost), not %s; on the network use "
                            "API tokens (jigctl token add)", c->station.listen_host);
    if (c->station.api_trust_local && c->station.api_token_file[0]) {
        int at = p->line;
        p->line = p->trust_local_line;
        conf_warn(p, "api_trust_local = yes has no effect: api_token_file is set, so "
                  "every request needs the token");
        p->line = at;
    }
    /* No api_token_file on the network is not an error: named tokens live
     * in station.db (jigctl token add), and until one exists jigd answers
     * this machine only (docs/api.md, Security). */
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
