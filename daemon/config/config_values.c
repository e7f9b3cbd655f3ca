/* The parser's messages and the value syntaxes more than one key uses
 * (numbers, yes/no, host:port, paths, baud rates, LED pins). */
#include "config_parser.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int conf_fail_at(struct parser *p, int line, const char *fmt, ...)
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

void conf_warn(struct parser *p, const char *fmt, ...)
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

int conf_parse_uint(const char *s, unsigned long min, unsigned long max,
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

int conf_parse_bool(const char *s, bool *out)
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
int conf_parse_host_port(const char *s, char *host, size_t hostcap,
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
    if (hlen == 0 || hlen >= hostcap || conf_parse_uint(colon + 1, 1, 65535, &v))
        return -1;
    for (size_t i = 0; i < hlen; i++)
        if (isspace((unsigned char)h[i]) || h[i] == '/')
            return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

int conf_copy_value(struct parser *p, char *dst, size_t cap, const char *v,
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
int conf_set_path(struct parser *p, char *dst, const char *v, const char *key)
{
    if (v[0] == '/' || v[0] == '\0' || p->dir[0] == '\0')
        return conf_copy_value(p, dst, CONFIG_PATH_MAX, v, key);
    int n = snprintf(dst, CONFIG_PATH_MAX, "%s/%s", p->dir, v);
    if (n < 0 || n >= CONFIG_PATH_MAX)
        return fail(p, "value of '%s' is too long once joined to %s", key, p->dir);
    return 0;
}

int conf_need_value(struct parser *p, const char *v, const char *key,
                    const char *example)
{
    if (*v)
        return 0;
    return fail(p, "'%s' has no value; write e.g. %s = %s", key, key, example);
}

int conf_parse_baud(struct parser *p, const char *v, uint32_t *out)
{
    unsigned long b;
    if (conf_parse_uint(v, CONFIG_MIN_BAUD, CONFIG_MAX_BAUD, &b))
        return fail(p, "max_baud = '%s' is not a baud rate between %u and %u; "
                    "921600 suits most USB-UART adapters, 460800 long cables",
                    v, CONFIG_MIN_BAUD, CONFIG_MAX_BAUD);
    *out = (uint32_t)b;
    return 0;
}

int conf_parse_led_gpio(struct parser *p, const char *v, int *out)
{
    unsigned long g;
    if (!strcasecmp(v, "none") || !strcmp(v, "-1")) {
        *out = CONFIG_NO_GPIO;
        return 0;
    }
    /* The blink writes the chips' first GPIO bank (W1TS/W1TC of GPIO 0-31):
     * a higher pin would be accepted here only to fail at the first
     * identify. */
    if (conf_parse_uint(v, 0, CONFIG_MAX_LED_GPIO, &g))
        return fail(p, "led_gpio = '%s' is not a chip GPIO number the identify blink can "
                    "drive (0-%d) or 'none'", v, CONFIG_MAX_LED_GPIO);
    *out = (int)g;
    return 0;
}
