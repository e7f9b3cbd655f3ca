/* jigctl webhook: the webhook outbox on the station database, here, beside
 * a running jigd (docs/api.md, "Webhooks").
 *
 *   list              per receiver: pending, delivered, the oldest pending,
 *                     the last try and why it failed
 *   retry [NAME]      every pending delivery is due now (no waiting out the
 *                     backoff once the receiver is mended)
 *   test NAME         owes NAME a webhook.test event, then waits for the
 *                     running jigd to deliver it and says what came back
 *
 * Where the database is: station_db_path.h. The receivers are jigd.conf's
 * [webhook NAME] sections (--config, or /etc/jigd/jigd.conf). */
#include "jigctl_command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "option_value.h"
#include "station_db.h"
#include "station_db_path.h"

#define DEFAULT_CONFIG "/etc/jigd/jigd.conf"
#define TEST_WAIT_S 20

struct webhook_args {
    const char *db, *config, *name, *format, *wait;
};

static int parse(int argc, char **argv, struct webhook_args *a, bool takes_name,
                 const char *usage)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = option_value(&i, argc, argv, "--db")))
            a->db = v;
        else if ((v = option_value(&i, argc, argv, "--config")))
            a->config = v;
        else if ((v = option_value(&i, argc, argv, "--format")))
            a->format = v;
        else if ((v = option_value(&i, argc, argv, "--wait")))
            a->wait = v;
        else if (takes_name && argv[i][0] != '-' && !a->name)
            v = a->name = argv[i];
        else
            v = "";
        if (!v[0]) {
            jigctl_error("usage: jigctl webhook %s", usage);
            return JIGCTL_EXIT_USAGE;
        }
    }
    return JIGCTL_EXIT_OK;
}

static const char *cell(const cJSON *row, const char *key, char *buf, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%lld", (long long)v->valuedouble);
    else
        snprintf(buf, cap, "-");
    return buf;
}

static void print_backlog(const cJSON *rows)
{
    static const char *const keys[] = {"receiver", "pending", "delivered", "oldest_pending_at",
                                       "tries", "last_try_at", "last_status", "last_error"};
    printf("RECEIVER  PENDING  DELIVERED  OLDEST PENDING  TRIES  LAST TRY  STATUS  ERROR\n");
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        char buf[8][48];
        for (int c = 0; c < 8; c++)
            printf("%s%s", c ? "  " : "", cell(row, keys[c], buf[c], sizeof buf[c]));
        printf("\n");
    }
}

static int webhook_list(struct jigctl *ctl, int argc, char **argv)
{
    (void)ctl;
    struct webhook_args a;
    int r = parse(argc, argv, &a, false, "list [--db PATH | --config PATH] [--format table|json]");
    if (r)
        return r;
    struct station_db *db = station_db_open_offline(a.db, a.config, false, "webhook");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *rows = NULL;
    r = sdb_outbox_backlog(db, &rows) == SDB_OK ? JIGCTL_EXIT_OK : JIGCTL_EXIT_FAILED;
    if (r)
        jigctl_error("%s", sdb_errmsg(db));
    else if (a.format && !strcmp(a.format, "json")) {
        char *text = cJSON_Print(rows);
        printf("%s\n", text ? text : "[]");
        free(text);
    } else if (cJSON_GetArraySize(rows) == 0)
        printf("nothing was ever owed to a webhook receiver ([webhook NAME] in jigd.conf)\n");
    else
        print_backlog(rows);
    cJSON_Delete(rows);
    sdb_close(db);
    return r;
}

static int webhook_retry(struct jigctl *ctl, int argc, char **argv)
{
    (void)ctl;
    struct webhook_args a;
    int r = parse(argc, argv, &a, true, "retry [NAME] [--db PATH | --config PATH]");
    if (r)
        return r;
    struct station_db *db = station_db_open_offline(a.db, a.config, true, "webhook");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    int64_t n = 0;
    if (sdb_outbox_retry_now(db, a.name, &n) != SDB_OK) {
        jigctl_error("%s", sdb_errmsg(db));
        r = JIGCTL_EXIT_FAILED;
    } else {
        printf("%lld pending deliver%s%s%s due now: a running jigd sends %s within a second\n",
               (long long)n, n == 1 ? "y" : "ies", a.name ? " to " : "", a.name ? a.name : "",
               n == 1 ? "it" : "them, each receiver's in order,");
    }
    sdb_close(db);
    return r;
}

/* The receiver is one of jigd.conf's: a test to a name jigd does not
 * deliver to would wait for nobody. */
static int known_receiver(const struct webhook_args *a)
{
    char err[512];
    const char *conf = a->config ? a->config : DEFAULT_CONFIG;
    struct jigd_config *c = config_load(conf, err, sizeof err);
    if (!c) {
        jigctl_error("%s (webhook test reads the receivers from jigd.conf: give --config)", err);
        return -1;
    }
    bool found = false;
    for (size_t i = 0; i < c->n_webhooks; i++)
        found |= !strcmp(c->webhooks[i].name, a->name);
    config_free(c);
    if (!found)
        jigctl_error("%s has no [webhook %s]", conf, a->name);
    return found ? 0 : -1;
}

static int wait_for_delivery(struct station_db *db, int64_t id, const struct webhook_args *a)
{
    int wait_s = a->wait ? atoi(a->wait) : TEST_WAIT_S;
    bool delivered = false;
    int status = 0;
    int64_t tries = 0;
    char error[SDB_OUTBOX_ERROR_MAX] = "";
    for (int i = 0; i <= wait_s * 5 && !delivered; i++) {
        if (sdb_outbox_state(db, id, &delivered, &status, error, &tries) != SDB_OK) {
            jigctl_error("%s", sdb_errmsg(db));
            return JIGCTL_EXIT_FAILED;
        }
        if (!delivered)
            usleep(200 * 1000);
    }
    if (delivered) {
        printf("webhook %s took the test delivery: HTTP %d\n", a->name, status);
        return JIGCTL_EXIT_OK;
    }
    jigctl_error("webhook %s has not taken the test delivery after %d s (%lld tr%s%s%s); is jigd "
                 "running? It stays owed and goes with the others (jigctl webhook list)",
                 a->name, wait_s, (long long)tries, tries == 1 ? "y" : "ies",
                 error[0] ? ", last: " : "", error);
    return JIGCTL_EXIT_FAILED;
}

static int webhook_test(struct jigctl *ctl, int argc, char **argv)
{
    (void)ctl;
    struct webhook_args a;
    int r = parse(argc, argv, &a, true, "test NAME [--config PATH] [--db PATH] [--wait S]");
    if (r || !a.name) {
        jigctl_error("usage: jigctl webhook test NAME [--config PATH] [--db PATH] [--wait S]");
        return JIGCTL_EXIT_USAGE;
    }
    if (known_receiver(&a) < 0)
        return JIGCTL_EXIT_FAILED;
    struct station_db *db = station_db_open_offline(a.db, a.config, true, "webhook");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    char who[300], key[160], body[512];
    station_db_actor(who, sizeof who);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    snprintf(key, sizeof key, "test:%s:%lld", a.name, ms);
    snprintf(body, sizeof body, "{\"event\":\"webhook.test\",\"id\":\"%s\",\"by\":\"%s\"}", key,
             who);
    int64_t id;
    if (sdb_outbox_add_for(db, a.name, "webhook.test", key, body, &id) != SDB_OK) {
        jigctl_error("%s", sdb_errmsg(db));
        sdb_close(db);
        return JIGCTL_EXIT_FAILED;
    }
    r = wait_for_delivery(db, id, &a);
    sdb_close(db);
    return r;
}

#define WEBHOOK_SOURCE \
    "  --db PATH         the station database (default: the data_dir of --config,\n" \
    "                    or of /etc/jigd/jigd.conf, else /var/lib/jigd/station.db)\n" \
    "  --config PATH     the station's jigd.conf\n"
#define WEBHOOK_EXIT "\n\nexit status: 0 done; 1 refused or failed (why, on stderr); 2 usage"

const struct jigctl_command jigctl_webhook_commands[] = {
    {"webhook list", "", "each receiver's backlog: pending, delivered, the last try",
     webhook_list, WEBHOOK_SOURCE "  --format F        table (default) or json" WEBHOOK_EXIT},
    {"webhook retry", "[NAME]", "pending deliveries (to NAME, or all) are due now",
     webhook_retry,
     WEBHOOK_SOURCE "\nFor a receiver that is back: no waiting out the backoff (up to 5 min)."
     WEBHOOK_EXIT},
    {"webhook test", "NAME", "owe NAME a test event; wait for jigd to deliver it",
     webhook_test,
     WEBHOOK_SOURCE "  --wait S          how long to wait for the delivery (default 20 s)\n\n"
     "The test is a webhook.test event through jigd's own outbox, signed like\n"
     "any other: it proves the URL, the secret and the receiver end to end." WEBHOOK_EXIT},
    {NULL, NULL, NULL, NULL, NULL},
};
