/* [unit]: what each board is given besides the bundle: its serial number's
 * format, per-unit NVS, an esp_secure_cert partition, the work order. */
#include "config_parser.h"

#include <ctype.h>
#include <string.h>

/* The full grammar is the database's (checked at start, with this line);
 * here only what needs no library. */
static int unit_serial_format(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "serial_format", "ACME-{yy}{ww}-{seq:06}"))
        return -1;
    if (!strstr(v, "{seq"))
        return fail(p, "serial_format = '%s' has no {seq} or {seq:N} field, so every "
                    "board would get the same serial; add e.g. -{seq:06}", v);
    p->cfg->unit.serial_format_line = p->line;
    return conf_copy_value(p, p->cfg->unit.serial_format, 129, v, "serial_format");
}

static int unit_nvs_template(struct parser *p, const char *v)
{
    p->cfg->unit.nvs_template_line = p->line;
    return conf_set_path(p, p->cfg->unit.nvs_template, v, "nvs_template");
}

static int unit_secure_cert(struct parser *p, const char *v)
{
    if (conf_parse_bool(v, &p->cfg->unit.secure_cert))
        return fail(p, "secure_cert = '%s' is not yes or no", v);
    p->cfg->unit.secure_cert_line = p->line;
    return 0;
}

static int unit_work_order(struct parser *p, const char *v)
{
    for (const char *s = v; *s; s++)
        if (!isgraph((unsigned char)*s))
            return fail(p, "work_order '%s' holds a space or control character", v);
    return conf_copy_value(p, p->cfg->unit.work_order, CONFIG_WORK_ORDER_MAX, v, "work_order");
}

const struct key_handler config_unit_keys[] = {
    {"serial_format", unit_serial_format},
    {"nvs_template", unit_nvs_template},
    {"secure_cert", unit_secure_cert},
    {"work_order", unit_work_order},
    {NULL, NULL},
};
