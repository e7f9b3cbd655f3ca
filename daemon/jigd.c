/* jigd: the flashing station daemon. Reads jigd.conf, makes the station
 * (slots, bundle, event bus), serves the REST API, and runs everything on
 * one libuv loop until SIGINT or SIGTERM. Its log (stderr) is every event
 * of the bus, one timestamped line each. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "api.h"
#include "api_token_sync.h"
#include "config.h"
#include "event_bus.h"
#include "last_words.h"
#include "log_line.h"
#include "service_notify.h"
#include "station.h"
#include "station_ca.h"
#include "station_api.h"
#include "station_metrics.h"
#include "station_db.h"
#include "stub_cache.h"
#include "unit_services.h"
#include "webhook_wiring.h"

#define EVENT_RING 4096

#define DEFAULT_CONFIG "/etc/jigd/jigd.conf"

static const char usage[] =
"usage: jigd [-c jigd.conf]\n"
"  -c, --config FILE   the station configuration (docs/config.md);\n"
"                      default " DEFAULT_CONFIG "\n"
"  -h, --help          this text\n"
"jigd flashes the boards in its jig positions and serves the REST API\n"
"(docs/jigd.md). SIGINT or SIGTERM aborts running units and stops it.\n"
"Its data_dir (station database, CA) must exist: jigd never creates it.\n";

struct daemon {
    uv_loop_t *loop;
    struct jigd_config *cfg;
    struct event_bus *bus;
    struct event_sub *log_sub;
    struct station *station;
    struct unit_services *units;
    struct station_api adapter;     /* the API's backend */
    struct station_metrics metrics; /* GET /metrics, the station's side */
    struct api *api;
    struct api_token_sync tokens;   /* station.db's named tokens into the API */
    struct webhook_wiring webhooks; /* the outbox to the [webhook] receivers */
    uv_signal_t sigint, sigterm;
    bool stopping;
};

/* Every event goes to the log as it is published (progress is left out:
 * the result says how long a unit took, and 4 lines a second per slot
 * would bury everything else). */
static void on_event(void *ctx, struct event_sub *sub)
{
    const struct event_record *rec;
    uint64_t missed;
    enum event_next n;
    while ((n = event_sub_next(sub, &rec, &missed)) != EVENT_NEXT_NONE) {
        if (n == EVENT_NEXT_OVERFLOW)
            return;
        if (n == EVENT_NEXT_GAP) {
            log_line("(%llu events not logged)", (unsigned long long)missed);
            continue;
        }
        if (rec->kind != EVENT_PROGRESS)
            log_line("%s", rec->json);
        if (rec->kind == EVENT_RESULT)
            webhook_wiring_kick(&((struct daemon *)ctx)->webhooks);
    }
}

static void on_units_closed(void *ctx)
{
    struct daemon *d = ctx;
    d->units = NULL;
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
}

/* The key pool and the database close last: every unit has ended (and
 * its attempt is recorded) by now. No request comes any more, so the
 * adapter's timer goes first; the database appends what is still counted
 * as it closes. */
static void on_webhooks_stopped(void *ctx)
{
    struct daemon *d = ctx;
    if (d->units)
        unit_services_close(d->units, on_units_closed, d);
    else
        on_units_closed(d);
}

static void on_api_stopped(void *ctx)
{
    struct daemon *d = ctx;
    station_api_close(&d->adapter);
    webhook_wiring_stop(&d->webhooks, on_webhooks_stopped, d);
}

static void on_station_stopped(void *ctx)
{
    struct daemon *d = ctx;
    api_token_sync_close(&d->tokens);
    if (d->api)
        api_stop(d->api, on_api_stopped, d);
    else
        on_api_stopped(d);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    if (d->stopping)
        return;
    d->stopping = true;
    service_notify_stopping();
    log_line("jigd: %s: aborting running units and stopping", strsignal(signum));
    if (d->units)
        unit_services_audit(d->units, "jigd", "station.stop", 0, strsignal(signum));
    station_stop(d->station, on_station_stopped, d);
}

static void log_identity(struct daemon *d)
{
    struct unit_services *u = d->units;
    log_line("jigd: station database %s/%s, schema %d", d->cfg->station.data_dir,
             UNIT_SERVICES_DB_FILE, sdb_schema_version(u->db));
    if (u->interrupted_at_open)
        log_line("jigd: %d attempt(s) a previous jigd left running are marked interrupted",
                 u->interrupted_at_open);
    log_line("jigd: station CA %s%s (%s)", station_ca_cert_path(u->ca),
             station_ca_created(u->ca) ? ", created now: boards issued by an earlier CA "
             "will not verify against it" : "", station_ca_facts(u->ca)->fingerprint_sha256);
    if (u->work_order_why[0])
        log_line("jigd: %s", u->work_order_why);
    log_line("jigd: serials %s%s%s; keys %s, %u kept ready", u->serial_format,
             u->work_order[0] ? " for work order " : "", u->work_order,
             d->cfg->identity.key_type, d->cfg->identity.key_pool_size);
}

/* Where the dashboard's files are: web_ui in jigd.conf, else
 * ../share/jigd/web-ui from the folder of jigd's binary, one rule for an
 * install (/usr/local/bin -> /usr/local/share) and the build tree (bin/
 * beside share/, made by CMake). "" when jigd cannot tell where it is. */
static void web_ui_dir(const struct station_config *st, char *out, size_t cap)
{
    out[0] = '\0';
    if (st->web_ui[0]) {
        snprintf(out, cap, "%s", st->web_ui);
        return;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(out, cap, "%s/../share/jigd/web-ui", exe);
}

static void log_dashboard(struct daemon *d, const char *dir)
{
    const struct station_config *st = &d->cfg->station;
    unsigned port = http_server_port(api_http_server(d->api));
    if (api_web_ui_found(d->api))
        log_line("jigd: dashboard on http://%s:%u/ (files from %s)", st->listen_host, port, dir);
    else
        log_line("jigd: no dashboard: cannot open the web-ui folder '%s'; set web_ui in "
                 "[station] to where web-ui/ is installed (docs/config.md)", dir);
}

/* Say who may do what, so "why is start refused?" has its answer in the
 * log. Token counts only: never a token, nor its hash. */
static void log_api_mode(struct daemon *d)
{
    const struct station_config *st = &d->cfg->station;
    size_t named = http_server_token_count(api_http_server(d->api));
    char mode[160];
    if (st->api_token_file[0] || named)
        snprintf(mode, sizeof mode, "every request needs an API token: %zu named%s", named,
                 st->api_token_file[0] ? ", and api_token_file's (admin)" : "");
    else
        snprintf(mode, sizeof mode, "%s", st->api_trust_local
                 ? "no API token yet; trusted-local: programs on this machine may act "
                   "without one (api_trust_local)"
                 : "no API token yet: read-only, and this machine only; add one with "
                   "jigctl token add NAME --role ROLE");
    log_line("jigd: REST API on http://%s:%u/api/v1 (%s)", st->listen_host,
             http_server_port(api_http_server(d->api)), mode);
    if (st->api_token_file[0])
        log_line("jigd: api_token_file is deprecated: it works as an admin token named "
                 "'%s'; give each client its own named token (jigctl token add NAME "
                 "--role ROLE) and remove api_token_file", HTTP_ACTOR_TOKEN_FILE);
}

static int start_api(struct daemon *d)
{
    char token[HTTP_TOKEN_MAX], err[300], web_ui[4200];
    token[0] = '\0';
    if (d->cfg->station.api_token_file[0]
        && config_read_api_token(d->cfg, token, sizeof token, err, sizeof err) < 0) {
        log_line("jigd: %s", err);
        return -1;
    }
    web_ui_dir(&d->cfg->station, web_ui, sizeof web_ui);
    struct api_options opt = {
        .http = {.host = d->cfg->station.listen_host, .port = d->cfg->station.listen_port,
                 .token = token, .trust_local = d->cfg->station.api_trust_local,
                 .named_tokens = d->units != NULL,
                 .max_upload = (size_t)d->cfg->station.api_max_upload_mb << 20},
        .web_ui_dir = web_ui,
    };
    station_api_init(&d->adapter, d->loop, d->station, d->units);
    station_metrics_start(&d->metrics, d->station, d->units, d->cfg);
    d->adapter.metrics = &d->metrics;
    struct api_backend be = station_api_backend(&d->adapter);
    d->api = api_start(d->loop, &opt, &be, d->bus, err, sizeof err);
    memset(token, 0, sizeof token);
    if (!d->api) {
        log_line("jigd: %s", err);
        return -1;
    }
    if (d->units && api_token_sync_start(&d->tokens, d->loop, d->units->db,
                                         api_http_server(d->api), api_event_stream(d->api),
                                         err, sizeof err) < 0) {
        log_line("jigd: %s", err);
        return -1;
    }
    d->adapter.tokens = d->units ? &d->tokens : NULL;
    log_api_mode(d);
    log_dashboard(d, web_ui);
    return 0;
}

/* Where the flasher stubs come from, said once at start: a stub_dir that
 * is not there is found now, not by the first board (the slots say so
 * again, per chip, once a bundle is loaded). */
static void log_stubs(const struct jigd_config *cfg)
{
    const char *dir = cfg->station.stub_dir;
    struct stat sb;
    if (!dir[0])
        log_line("jigd: no stub_dir: every board is flashed through its ROM loader");
    else if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
        log_line("jigd: flasher stubs from %s", dir);
    else
        log_line("jigd: warning: stub_dir %s is not a folder (%s): no unit starts until it "
                 "holds the bundle's <chip>.json: " CONFIG_STUB_DIR_ADVICE, dir,
                 stat(dir, &sb) == 0 ? "not a directory" : strerror(errno));
}

static void close_units_now(void *ctx)
{
    struct daemon *d = ctx;
    unit_services_close(d->units, NULL, NULL);
    d->units = NULL;
}

/* jigd does not start: what it opened closes, and says so. */
static int not_started(struct daemon *d, const char *err)
{
    log_line("jigd: %s", err);
    log_line("jigd: not started; no board was touched");
    d->stopping = true;
    webhook_wiring_stop(&d->webhooks, close_units_now, d);
    uv_run(d->loop, UV_RUN_DEFAULT);
    return 2;
}

/* Where the labels of passing units go, said once at start ([label]). */
static void log_labels(const struct jigd_config *cfg)
{
    const struct label_settings *l = &cfg->label;
    if (!l->enabled)
        return;
    char where[300];
    if (l->folder[0])
        snprintf(where, sizeof where, "the folder %.280s", l->folder);
    else
        snprintf(where, sizeof where, strchr(l->printer_host, ':') ? "the printer at [%s]:%u"
                 : "the printer at %s:%u", l->printer_host, (unsigned)l->printer_port);
    log_line("jigd: a label for every unit that passes, to %s (%s)", where,
             l->template_path[0] ? l->template_path : "the built-in label");
}

static int run(struct daemon *d, const char *conf, bool conf_given)
{
    char err[600];
    struct stat sb;
    if (!conf_given && stat(conf, &sb) != 0) {
        log_line("jigd: no configuration: %s (the default without -c): %s; install one "
                 "(deploy/jigd.conf is the commented default, docs/config.md) or give one "
                 "with -c FILE", conf, strerror(errno));
        return 2;
    }
    d->cfg = config_load(conf, err, sizeof err);
    if (!d->cfg) {
        log_line("jigd: %s", err);
        return 2;
    }
    for (size_t i = 0; i < d->cfg->n_warnings; i++)
        log_line("jigd: warning: %s", d->cfg->warnings[i]);
    last_words_install(d->cfg->station.data_dir);
    d->bus = event_bus_new(EVENT_RING, NULL);
    if (!d->bus) {
        log_line("jigd: out of memory");
        return 1;
    }
    d->log_sub = event_bus_subscribe(d->bus, 0, EVENT_RING, on_event, d);
    /* The database, the CA, the key pool and the NVS template: every file
     * a unit needs is proven before a slot touches a board. */
    d->units = unit_services_open(d->loop, d->cfg, err, sizeof err);
    if (!d->units) {
        log_line("jigd: %s", err);
        log_line("jigd: not started; no board was touched");
        uv_run(d->loop, UV_RUN_DEFAULT);    /* lets a half-open key pool close */
        return 2;
    }
    if (webhook_wiring_start(&d->webhooks, d->loop, d->cfg, d->units, err, sizeof err) < 0)
        return not_started(d, err);
    d->station = station_new(d->loop, d->cfg, d->bus, err, sizeof err);
    if (!d->station)
        return not_started(d, err);
    station_set_unit_services(d->station, d->units);
    webhook_wiring_hear_alarms(&d->webhooks, d->station);
    log_identity(d);
    log_stubs(d->cfg);    /* (the database audits the start itself) */
    log_labels(d->cfg);
    uv_signal_init(d->loop, &d->sigint);
    uv_signal_init(d->loop, &d->sigterm);
    d->sigint.data = d->sigterm.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    int status = 0;
    if (start_api(d) < 0) {
        status = 3;
        d->stopping = true;
        station_stop(d->station, on_station_stopped, d);
    } else {
        size_t n = station_slot_count(d->station);
        log_line("jigd: station %s with %zu slot%s", d->cfg->station.name, n,
                 n == 1 ? "" : "s");
        station_start(d->station);
        service_notify_ready(d->loop);    /* the API listens: systemd may say "started" */
    }
    uv_run(d->loop, UV_RUN_DEFAULT);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *conf = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        if (c == 'c') {
            conf = optarg;
        } else {
            fputs(usage, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);   /* a client gone mid-reply is the server's to handle */
    /* What jigd writes (the database and its WAL, the CA's files) is the
     * station's record and its keys: for no other user, whatever umask
     * the shell that started jigd had. The same as the systemd unit's
     * UMask=0077; a stricter umask stays. */
    umask(umask(0) | 077);
    struct daemon d = {.loop = uv_default_loop()};
    int status = run(&d, conf ? conf : DEFAULT_CONFIG, conf != NULL);
    if (d.log_sub)
        event_bus_unsubscribe(d.log_sub);
    station_free(d.station);
    stub_cache_clear();     /* after the station: its jobs held the stubs */
    event_bus_free(d.bus);
    config_free(d.cfg);
    uv_loop_close(d.loop);
    return status;
}
