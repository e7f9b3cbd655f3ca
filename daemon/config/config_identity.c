/* [identity]: the station CA and the unit keys (docs/identity.md). The
 * files named here are read by jigd at start, not by the parser. */
#include "config_parser.h"

#include <ctype.h>
#include <string.h>

static int identity_ca_cert(struct parser *p, const char *v)
{
    p->cfg->identity.ca_cert_line = p->line;
    return conf_set_path(p, p->cfg->identity.ca_cert, v, "ca_cert");
}

static int identity_ca_key(struct parser *p, const char *v)
{
    p->cfg->identity.ca_key_line = p->line;
    return conf_set_path(p, p->cfg->identity.ca_key, v, "ca_key");
}

static int identity_organization(struct parser *p, const char *v)
{
    for (const char *s = v; *s; s++)
        if (!isprint((unsigned char)*s) || strchr(",=+<>#;\\\"", *s))
            return fail(p, "organization '%s' holds '%c', which an X.509 name would have "
                        "to escape; use letters, digits, spaces and - . _ & ( )", v, *s);
    return conf_copy_value(p, p->cfg->identity.organization, CONFIG_NAME_MAX, v,
                           "organization");
}

static int parse_years(struct parser *p, const char *v, const char *key, unsigned *out)
{
    unsigned long y;
    if (conf_parse_uint(v, 1, 100, &y))
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
    return conf_copy_value(p, p->cfg->identity.key_type, sizeof p->cfg->identity.key_type, v,
                           "key_type");
}

static int identity_pool_size(struct parser *p, const char *v)
{
    unsigned long n;
    if (conf_parse_uint(v, 1, 256, &n))
        return fail(p, "key_pool_size = '%s' is not a number of keys from 1 to 256 "
                    "(one per slot is plenty)", v);
    p->cfg->identity.key_pool_size = (unsigned)n;
    return 0;
}

static int identity_pool_workers(struct parser *p, const char *v)
{
    unsigned long n;
    if (conf_parse_uint(v, 1, 4, &n))
        return fail(p, "key_pool_workers = '%s' is not 1 to 4 (libuv's thread pool has "
                    "4 threads, shared with bundle loading)", v);
    p->cfg->identity.key_pool_workers = (unsigned)n;
    return 0;
}

const struct key_handler config_identity_keys[] = {
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
