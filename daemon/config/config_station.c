/* [station]: the box itself: its name, where it keeps its data, where the
 * API listens, the stubs and bundle it starts with, and the defaults its
 * slots inherit. */
#include "config_parser.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int station_name(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "name", "line3-east"))
        return -1;
    for (const char *s = v; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
            return fail(p, "station name '%s' may only hold letters, digits, "
                        "'-', '_' and '.' (it names records and files)", v);
    return conf_copy_value(p, p->cfg->station.name, CONFIG_NAME_MAX, v, "name");
}

static int station_data_dir(struct parser *p, const char *v)
{
    if (conf_need_value(p, v, "data_dir", CONFIG_DEFAULT_DATA_DIR))
        return -1;
    return conf_set_path(p, p->cfg->station.data_dir, v, "data_dir");
}

static int station_listen(struct parser *p, const char *v)
{
    struct station_config *s = &p->cfg->station;
    if (conf_parse_host_port(v, s->listen_host, sizeof s->listen_host, &s->listen_port))
        return fail(p, "listen = '%s' is not host:port; write e.g. listen = "
                    "127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080", v);
    return 0;
}

static int station_api_token_file(struct parser *p, const char *v)
{
    return conf_set_path(p, p->cfg->station.api_token_file, v, "api_token_file");
}

static int station_stub_dir(struct parser *p, const char *v)
{
    return conf_set_path(p, p->cfg->station.stub_dir, v, "stub_dir");
}

static int station_web_ui(struct parser *p, const char *v)
{
    return conf_set_path(p, p->cfg->station.web_ui, v, "web_ui");
}

static int station_bundle(struct parser *p, const char *v)
{
    return conf_set_path(p, p->cfg->station.bundle, v, "bundle");
}

static int station_max_baud(struct parser *p, const char *v)
{
    return conf_parse_baud(p, v, &p->cfg->station.max_baud);
}

static int station_boot_log_seconds(struct parser *p, const char *v)
{
    unsigned long s;
    if (conf_parse_uint(v, 1, 600, &s))
        return fail(p, "boot_log_seconds = '%s' is not a number of seconds "
                    "from 1 to 600", v);
    p->cfg->station.boot_log_seconds = (unsigned)s;
    return 0;
}

static int station_api_trust_local(struct parser *p, const char *v)
{
    if (conf_parse_bool(v, &p->cfg->station.api_trust_local))
        return fail(p, "api_trust_local = '%s' is not yes or no", v);
    p->trust_local_line = p->cfg->station.api_trust_local ? p->line : 0;
    return 0;
}

/* The largest bundle archive the API takes (POST /api/v1/bundles): it is
 * held in memory while it is unpacked. */
static int station_api_max_upload_mb(struct parser *p, const char *v)
{
    unsigned long mb;
    if (conf_parse_uint(v, 1, CONFIG_MAX_UPLOAD_MB, &mb))
        return fail(p, "api_max_upload_mb = '%s' is not a number of MiB from 1 to %u", v,
                    CONFIG_MAX_UPLOAD_MB);
    p->cfg->station.api_max_upload_mb = (unsigned)mb;
    return 0;
}

/* Room in data_dir for the records of units about to start, so that a
 * filling disk stops the line before a board is half-way, not after. */
static int station_min_free_mb(struct parser *p, const char *v)
{
    unsigned long mb;
    if (conf_parse_uint(v, 0, CONFIG_MAX_MIN_FREE_MB, &mb))
        return fail(p, "min_free_mb = '%s' is not a number of MiB from 0 (no check) to %u",
                    v, CONFIG_MAX_MIN_FREE_MB);
    p->cfg->station.min_free_mb = (unsigned)mb;
    return 0;
}

/* One "HH:MM" at c: its minute of the day, or -1. */
static int clock_minute(const char *c)
{
    for (int i = 0; i < 5; i++)
        if (i == 2 ? c[i] != ':' : (c[i] < '0' || c[i] > '9'))
            return -1;
    int h = (c[0] - '0') * 10 + (c[1] - '0'), m = (c[3] - '0') * 10 + (c[4] - '0');
    return h > 23 || m > 59 || (c[5] && c[5] != ' ') ? -1 : h * 60 + m;
}

/* "06:00 14:00 22:00": one to CONFIG_MAX_SHIFTS local times, ascending. */
static int station_shift_starts(struct parser *p, const char *v)
{
    struct station_config *s = &p->cfg->station;
    size_t n = 0;
    for (const char *c = v; *c; c += 5) {
        int minute = clock_minute(c);
        if (minute < 0)
            return fail(p, "shift_starts = '%s': each start is a local time HH:MM (00:00 to "
                        "23:59), separated by spaces, e.g. %s", v, CONFIG_DEFAULT_SHIFT_STARTS);
        if (n == CONFIG_MAX_SHIFTS)
            return fail(p, "shift_starts = '%s' names more than %d shifts", v, CONFIG_MAX_SHIFTS);
        if (n && (unsigned)minute <= s->shift_starts[n - 1])
            return fail(p, "shift_starts = '%s': the times must be in order through the day, "
                        "each once", v);
        s->shift_starts[n++] = (unsigned)minute;
        while (c[5] == ' ')
            c++;
    }
    if (n == 0)
        return fail(p, "shift_starts needs at least one time, e.g. %s", CONFIG_DEFAULT_SHIFT_STARTS);
    s->n_shift_starts = n;
    return 0;
}

static int station_led_gpio(struct parser *p, const char *v)
{
    return conf_parse_led_gpio(p, v, &p->cfg->station.led_gpio);
}

const char *board_code_need_name(enum board_code_need n)
{
    switch (n) {
    case BOARD_CODE_NONE: return "none";
    case BOARD_CODE_OPTIONAL: return "optional";
    case BOARD_CODE_REQUIRED: return "required";
    }
    return "?";
}

static int station_board_code(struct parser *p, const char *v)
{
    for (int n = BOARD_CODE_NONE; n <= BOARD_CODE_REQUIRED; n++) {
        if (!strcasecmp(v, board_code_need_name((enum board_code_need)n))) {
            p->cfg->station.board_code = (enum board_code_need)n;
            return 0;
        }
    }
    return fail(p, "board_code = '%s' is not one of none, optional, required", v);
}

const struct key_handler config_station_keys[] = {
    {"name", station_name},
    {"data_dir", station_data_dir},
    {"listen", station_listen},
    {"api_token_file", station_api_token_file},
    {"api_trust_local", station_api_trust_local},
    {"api_max_upload_mb", station_api_max_upload_mb},
    {"stub_dir", station_stub_dir},
    {"web_ui", station_web_ui},
    {"bundle", station_bundle},
    {"max_baud", station_max_baud},
    {"boot_log_seconds", station_boot_log_seconds},
    {"led_gpio", station_led_gpio},
    {"min_free_mb", station_min_free_mb},
    {"shift_starts", station_shift_starts},
    {"board_code", station_board_code},
    {NULL, NULL},
};
