/* jigctl token: the REST API's named tokens, on the station database, here,
 * without jigd (when jigd runs, it notices a change within 2 seconds).
 *
 *   add NAME --role R   makes a token, stores its SHA-256, shows it once
 *   list                every token, never a hash
 *   revoke NAME         the token stops working; its name is free again
 *
 * Where the database is: station_db_path.h (--db, --config, jigd.conf's
 * data_dir). add and revoke write beside a running jigd
 * (sdb_options.beside_jigd), never creating or upgrading the file; list
 * reads it read-only. Who did it goes into the audit log as
 * jigctl:<login name>. */
#include "jigctl_command.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station_db.h"
#include "option_value.h"
#include "station_db_path.h"
#include "token_secret.h"

#define ROLES "viewer, operator, mes or admin"

struct token_args {
    const char *db, *config, *name, *role;
    bool json;
};

enum { TAKES_NAME = 1, TAKES_ROLE = 2, TAKES_FORMAT = 4 };

/* ---- the command line ----------------------------------------------------- */

enum taken { TAKEN, NOT_TAKEN, NO_VALUE, BAD_FORMAT };

/* One argument: taken, or why not. */
static enum taken take_arg(int *i, int argc, char **argv, unsigned takes,
                           struct token_args *a)
{
    const char *v;
    if ((v = option_value(i, argc, argv, "--db")))
        a->db = v;
    else if ((v = option_value(i, argc, argv, "--config")))
        a->config = v;
    else if ((takes & TAKES_ROLE) && (v = option_value(i, argc, argv, "--role")))
        a->role = v;
    else if ((takes & TAKES_FORMAT) && (v = option_value(i, argc, argv, "--format"))) {
        if (v[0] && strcmp(v, "json") && strcmp(v, "table"))
            return BAD_FORMAT;
        a->json = !strcmp(v, "json");
    } else if ((takes & TAKES_NAME) && argv[*i][0] != '-' && !a->name)
        v = a->name = argv[*i];
    else
        return NOT_TAKEN;
    return v[0] ? TAKEN : NO_VALUE;
}

static int usage(const char *command, const char *synopsis)
{
    jigctl_error("usage: jigctl token %s %s", command, synopsis);
    return JIGCTL_EXIT_USAGE;
}

static int parse(int argc, char **argv, unsigned takes, struct token_args *a,
                 const char *command, const char *synopsis)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        switch (take_arg(&i, argc, argv, takes, a)) {
        case TAKEN:
            continue;
        case NOT_TAKEN:
            if (arg[0] == '-')
                jigctl_error("token %s: unknown option '%s'", command, arg);
            else
                jigctl_error("token %s: '%s' is one word too many", command, arg);
            break;
        case NO_VALUE:
            jigctl_error("token %s: %s needs a value", command, arg);
            break;
        case BAD_FORMAT:
            jigctl_error("token %s: --format is table or json", command);
            break;
        }
        return usage(command, synopsis);
    }
    if ((takes & TAKES_NAME) && !a->name)
        return usage(command, synopsis);
    return JIGCTL_EXIT_OK;
}

/* ---- add -------------------------------------------------------------------- */

static bool known_role(const char *role)
{
    return !strcmp(role, "viewer") || !strcmp(role, "operator") || !strcmp(role, "mes")
        || !strcmp(role, "admin");
}

/* The token goes to stdout alone, so `> file` keeps exactly it. A token
 * stored but not delivered would hold the name for nobody: it is revoked
 * again. A closed pipe must come back as an error for that, not end jigctl
 * (SIGPIPE) with the token stored. */
static int deliver(struct station_db *db, const struct token_args *a, const char *who,
                   const char *token)
{
    signal(SIGPIPE, SIG_IGN);
    if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
        int saved = errno;
        int rc = sdb_token_revoke(db, a->name, who);
        jigctl_error("could not write the token to stdout (%s); %s", strerror(saved),
                     rc == SDB_OK ? "it was revoked again: run the command again"
                                  : "revoke it: jigctl token revoke NAME");
        return JIGCTL_EXIT_FAILED;
    }
    fprintf(stderr, "token %s (role %s) added. It is shown only this once and is not stored: "
            "keep it now (a file with chmod 600, or the MES's secret store).\n", a->name,
            a->role);
    return JIGCTL_EXIT_OK;
}

static int token_add(struct jigctl *ctl, int argc, char **argv)
{
    static const char synopsis[] = "NAME --role viewer|operator|mes|admin [--db PATH | "
                                   "--config PATH]";
    struct token_args a;
    char who[300], text[TOKEN_TEXT_LEN + 1], hash[TOKEN_HASH_LEN + 1], err[256];
    int r = parse(argc, argv, TAKES_NAME | TAKES_ROLE, &a, "add", synopsis);
    if (r)
        return r;
    if (!a.role || !known_role(a.role)) {
        jigctl_error("token add: --role is " ROLES " (viewer reads; operator also starts, "
                     "aborts and identifies; mes also loads bundles; admin also manages "
                     "tokens)");
        return JIGCTL_EXIT_USAGE;
    }
    struct station_db *db = station_db_open_offline(a.db, a.config, true, "token");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    station_db_actor(who, sizeof who);
    if (token_make(text, hash, err, sizeof err) < 0) {
        jigctl_error("%s", err);
        r = JIGCTL_EXIT_FAILED;
    } else if (sdb_token_add(db, a.name, a.role, hash, who) != SDB_OK) {
        jigctl_error("%s", sdb_errmsg(db));
        r = JIGCTL_EXIT_FAILED;
    } else {
        r = deliver(db, &a, who, text);
    }
    explicit_bzero(text, sizeof text);
    sdb_close(db);
    return r;
}

/* ---- list ------------------------------------------------------------------- */

static const char *cell(const cJSON *row, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* REVOKED: "-" while active, else when and by whom. */
static void revoked(const cJSON *row, char *out, size_t cap)
{
    const char *at = cell(row, "revoked_at");
    if (at[0])
        snprintf(out, cap, "%s by %s", at, cell(row, "revoked_by"));
    else
        snprintf(out, cap, "-");
}

static void print_table(const cJSON *rows)
{
    int w[4] = {4, 4, 7, 2};   /* NAME, ROLE, CREATED, BY: at least their titles */
    static const char *const keys[] = {"name", "role", "created_at", "created_by"};
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
        for (int c = 0; c < 4; c++)
            if ((int)strlen(cell(row, keys[c])) > w[c])
                w[c] = (int)strlen(cell(row, keys[c]));
    printf("%-*s  %-*s  %-*s  %-*s  REVOKED\n", w[0], "NAME", w[1], "ROLE", w[2], "CREATED",
           w[3], "BY");
    cJSON_ArrayForEach(row, rows) {
        char r[160];
        revoked(row, r, sizeof r);
        printf("%-*s  %-*s  %-*s  %-*s  %s\n", w[0], cell(row, "name"), w[1], cell(row, "role"),
               w[2], cell(row, "created_at"), w[3], cell(row, "created_by"), r);
    }
}

static int print_rows(const cJSON *rows, bool json)
{
    if (json) {
        char *text = cJSON_Print(rows);
        printf("%s\n", text ? text : "[]");
        free(text);
    } else if (cJSON_GetArraySize(rows) == 0) {
        printf("no API tokens (jigctl token add NAME --role ROLE makes one)\n");
    } else {
        print_table(rows);
    }
    if (fflush(stdout) != 0) {
        jigctl_error("cannot write the list to stdout: %s", strerror(errno));
        return JIGCTL_EXIT_FAILED;
    }
    return JIGCTL_EXIT_OK;
}

static int token_list(struct jigctl *ctl, int argc, char **argv)
{
    struct token_args a;
    int r = parse(argc, argv, TAKES_FORMAT, &a, "list",
                  "[--db PATH | --config PATH] [--format table|json]");
    if (r)
        return r;
    struct station_db *db = station_db_open_offline(a.db, a.config, false, "token");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    cJSON *rows = NULL;
    if (sdb_token_list(db, &rows) != SDB_OK) {
        jigctl_error("%s", sdb_errmsg(db));
        sdb_close(db);
        return JIGCTL_EXIT_FAILED;
    }
    sdb_close(db);
    r = print_rows(rows, a.json);
    cJSON_Delete(rows);
    return r;
}

/* ---- revoke ----------------------------------------------------------------- */

static int token_revoke(struct jigctl *ctl, int argc, char **argv)
{
    struct token_args a;
    char who[300];
    int r = parse(argc, argv, TAKES_NAME, &a, "revoke", "NAME [--db PATH | --config PATH]");
    if (r)
        return r;
    struct station_db *db = station_db_open_offline(a.db, a.config, true, "token");
    if (!db)
        return JIGCTL_EXIT_FAILED;
    station_db_actor(who, sizeof who);
    if (sdb_token_revoke(db, a.name, who) != SDB_OK) {
        jigctl_error("%s", sdb_errmsg(db));
        r = JIGCTL_EXIT_FAILED;
    } else {
        printf("token %s revoked: a running jigd stops accepting it within 2 seconds\n",
               a.name);
    }
    sdb_close(db);
    return r;
}

/* What every token command takes, for its --help. */
#define TOKEN_SOURCE \
    "  --db PATH         the station database (default: the data_dir of --config,\n" \
    "                    or of /etc/jigd/jigd.conf, else /var/lib/jigd/station.db)\n" \
    "  --config PATH     the station's jigd.conf, to find its data_dir\n"
#define TOKEN_EXIT "\n\nexit status: 0 done; 1 refused or failed (why, on stderr); 2 usage"

const struct jigctl_command jigctl_token_commands[] = {
    {"token add", "NAME --role ROLE", "make an API token; prints it once, stores its hash",
     token_add,
     "  --role ROLE       viewer: reads; operator: also starts, aborts, identifies;\n"
     "                    mes: also loads bundles; admin: also manages tokens\n"
     TOKEN_SOURCE
     "\nNAME is 1 to 64 letters, digits, '.', '_' or '-', one active token each.\n"
     "The token (jigd_ and 64 hex digits) is printed alone on stdout, so\n"
     "  jigctl token add mes1 --role mes > mes1.token && chmod 600 mes1.token\n"
     "keeps it; only its SHA-256 is stored, so it cannot be shown again.\n"
     "The audit log records token.add by jigctl:<your login>." TOKEN_EXIT},
    {"token list", "", "every API token: name, role, created, by whom, revoked",
     token_list,
     TOKEN_SOURCE
     "  --format F        table (default) or json\n\n"
     "Active tokens first, then revoked ones; never a token or its hash." TOKEN_EXIT},
    {"token revoke", "NAME", "the token stops working (jigd notices within 2 s)",
     token_revoke,
     TOKEN_SOURCE
     "\nThe token is kept, marked revoked, for the record; its name may be given\n"
     "to a new token. The audit log records token.revoke." TOKEN_EXIT},
    {NULL, NULL, NULL, NULL, NULL},
};
