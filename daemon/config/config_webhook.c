/* [webhook NAME]: a program that wants the station's events as they happen
 * (the plant's MES): where to POST them, which ones, the secret the body
 * is signed with, and how long one delivery may take. */
#include "config_parser.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_S 10

static const struct {
    enum webhook_event_kind kind;
    const char *name;
} event_names[] = {
    {WEBHOOK_UNIT_RESULT, "unit.result"},
    {WEBHOOK_WORK_ORDER, "work_order"},
    {WEBHOOK_ALARM, "alarm"},
};

const char *webhook_event_name(enum webhook_event_kind k)
{
    for (size_t i = 0; i < sizeof event_names / sizeof event_names[0]; i++)
        if (event_names[i].kind == k)
            return event_names[i].name;
    return "?";
}

static int webhook_url(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "url", "https://mes.example.com/jigd"))
        return -1;
    if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
        return fail(p, "url '%s' is not an http:// or https:// address", v);
    for (const char *c = v; *c; c++)
        if (!isgraph((unsigned char)*c))
            return fail(p, "url '%s' holds a space or control character", v);
    return conf_copy_value(p, p->webhook->url, sizeof p->webhook->url, v, "url");
}

/* "unit.result, alarm" or "all" */
static int webhook_events(struct parser *p, const char *v)
{
    char list[256];
    if (conf_copy_value(p, list, sizeof list, v, "events"))
        return -1;
    unsigned events = 0;
    for (char *save = NULL, *w = strtok_r(list, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        unsigned before = events;
        if (!strcasecmp(w, "all"))
            events |= WEBHOOK_ALL_EVENTS;
        for (size_t i = 0; i < sizeof event_names / sizeof event_names[0]; i++)
            if (!strcasecmp(w, event_names[i].name))
                events |= event_names[i].kind;
        if (events == before && strcasecmp(w, "all"))
            return fail(p, "events: '%s' is not one of unit.result, work_order, alarm, all", w);
    }
    if (!events)
        return fail(p, "events is empty; name some of unit.result, work_order, alarm, or all");
    p->webhook->events = events;
    return 0;
}

static int webhook_secret_file(struct parser *p, const char *v)
{
    return conf_set_path(p, p->webhook->secret_file, v, "secret_file");
}

static int webhook_timeout(struct parser *p, const char *v)
{
    unsigned long s;
    if (conf_parse_uint(v, 1, 300, &s))
        return fail(p, "timeout_s = '%s' is not a number of seconds from 1 to 300", v);
    p->webhook->timeout_s = (unsigned)s;
    return 0;
}

const struct key_handler config_webhook_keys[] = {
    {"url", webhook_url},
    {"events", webhook_events},
    {"secret_file", webhook_secret_file},
    {"timeout_s", webhook_timeout},
    {NULL, NULL},
};

static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    return n > 0 && n <= CONFIG_WEBHOOK_NAME_MAX
        && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

int conf_open_webhook(struct parser *p, const char *name)
{
    struct jigd_config *c = p->cfg;
    if (!valid_name(name))
        return fail(p, "[webhook %s]: a webhook's name is 1 to %d letters, digits, '_' or '-'",
                    name, CONFIG_WEBHOOK_NAME_MAX);
    for (size_t i = 0; i < c->n_webhooks; i++)
        if (!strcmp(c->webhooks[i].name, name))
            return fail(p, "[webhook %s] appears twice (first at line %d); keep one", name,
                        c->webhooks[i].line);
    if (c->n_webhooks == CONFIG_MAX_WEBHOOKS)
        return fail(p, "more than %d [webhook] sections", CONFIG_MAX_WEBHOOKS);
    struct webhook_config *w = &c->webhooks[c->n_webhooks++];
    *w = (struct webhook_config){.line = p->line, .events = WEBHOOK_ALL_EVENTS,
                                 .timeout_s = DEFAULT_TIMEOUT_S};
    snprintf(w->name, sizeof w->name, "%s", name);
    p->webhook = w;
    p->section = SECTION_WEBHOOK;
    return 0;
}

int conf_finish_webhook(struct parser *p)
{
    const struct webhook_config *w = p->webhook;
    if (!w->url[0])
        return conf_fail_at(p, w->line, "[webhook %s] has no url; add e.g. url = "
                            "https://mes.example.com/jigd", w->name);
    if (!w->secret_file[0])
        return conf_fail_at(p, w->line, "[webhook %s] has no secret_file: every delivery is "
                            "signed; add e.g. secret_file = /etc/jigd/webhook-%s.secret "
                            "(chmod 600)", w->name, w->name);
    return 0;
}
