/* [label]: where the label of a passing unit goes, a raw-TCP printer or a
 * folder, with which template and how long a printer may take. No section,
 * no labels; jigd reads the template at start (docs/label.md). */
#include "config_parser.h"

#include <stdio.h>
#include <string.h>

#define PRINTER_EXAMPLE "tcp://10.0.0.5:9100"
#define FOLDER_EXAMPLE "/var/lib/jigd/labels"

/* tcp://HOST:PORT, or tcp://HOST for the raw port 9100 every ZPL printer
 * listens on. */
static int label_printer(struct parser *p, const char *v)
{
    struct label_settings *l = &p->cfg->label;
    static const char scheme[] = "tcp://";
    char with_port[300];
    if (strncmp(v, scheme, sizeof scheme - 1))
        return fail(p, "printer = '%s' is not tcp://HOST:PORT; write e.g. printer = "
                    PRINTER_EXAMPLE " (a label printer's raw ZPL port)", v);
    const char *hp = v + sizeof scheme - 1;
    snprintf(with_port, sizeof with_port, "%s:%d", hp, CONFIG_DEFAULT_LABEL_PORT);
    if (conf_parse_host_port(hp, l->printer_host, sizeof l->printer_host, &l->printer_port)
        && conf_parse_host_port(with_port, l->printer_host, sizeof l->printer_host,
                                &l->printer_port))
        return fail(p, "printer = '%s' is not tcp://HOST:PORT; write e.g. printer = "
                    PRINTER_EXAMPLE " ([v6 address]:PORT for IPv6)", v);
    l->printer_line = p->line;
    return 0;
}

static int label_folder(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "folder", FOLDER_EXAMPLE))
        return -1;
    p->cfg->label.folder_line = p->line;
    return conf_set_path(p, p->cfg->label.folder, v, "folder");
}

static int label_template(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "template", "/etc/jigd/label.zpl"))
        return -1;
    p->cfg->label.template_line = p->line;
    return conf_set_path(p, p->cfg->label.template_path, v, "template");
}

static int label_timeout_ms(struct parser *p, const char *v)
{
    unsigned long ms;
    if (conf_parse_uint(v, 100, 60000, &ms))
        return fail(p, "timeout_ms = '%s' is not a number of milliseconds from 100 to "
                    "60000; a printer on the line's network answers in well under %u", v,
                    CONFIG_DEFAULT_LABEL_TIMEOUT_MS);
    p->cfg->label.timeout_ms = (unsigned)ms;
    return 0;
}

const struct key_handler config_label_keys[] = {
    {"printer", label_printer},
    {"folder", label_folder},
    {"template", label_template},
    {"timeout_ms", label_timeout_ms},
    {NULL, NULL},
};

int conf_check_label(struct parser *p)
{
    const struct label_settings *l = &p->cfg->label;
    if (!l->enabled)
        return 0;
    if (!l->printer_host[0] && !l->folder[0])
        return conf_fail_at(p, l->line, "[label] names no printer and no folder; add "
                            "printer = " PRINTER_EXAMPLE " or folder = " FOLDER_EXAMPLE
                            ", or remove [label] to print no labels");
    if (l->printer_host[0] && l->folder[0])
        return conf_fail_at(p, l->folder_line, "[label] has a printer (line %d) and a "
                            "folder; a label goes to one of them: keep one",
                            l->printer_line);
    return 0;
}
