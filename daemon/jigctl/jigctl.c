/* jigctl's entry: global options, and the HTTP helpers the commands that
 * talk to jigd share. The command groups are listed in jigctl_commands.c. */
#include "jigctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_route.h"
#include "jigctl_commands.h"

void jigctl_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("jigctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *jigctl_str(const cJSON *o, const char *key, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : def;
}

double jigctl_num(const cJSON *o, const char *key, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

/* ---- HTTP -------------------------------------------------------------- */

static int exit_for(int client_status)
{
    return client_status == HTTP_CLIENT_BAD_URL ? JIGCTL_EXIT_USAGE
                                                : JIGCTL_EXIT_UNREACHABLE;
}

/* jigd's answer to a request: its JSON in *out, or the error and hint
 * said on stderr. */
static int answer(struct jigctl *ctl, const char *method, const char *path, int r,
                  const char *err, struct http_response *resp, cJSON **out)
{
    *out = NULL;
    if (r) {
        jigctl_error("%s", err);
        return exit_for(r);
    }
    cJSON *json = cJSON_ParseWithLength(resp->body, resp->body_len);
    int code = JIGCTL_EXIT_OK;
    if (resp->status >= 300) {
        const char *what = jigctl_str(json, "error", NULL);
        const char *hint = jigctl_str(json, "hint", NULL);
        if (what)
            jigctl_error("%s", what);
        else
            jigctl_error("%s %s: HTTP %d from %s", method, path, resp->status,
                         ctl->http.url);
        if (hint)
            fprintf(stderr, "  hint: %s\n", hint);
        if (resp->status == 401 && !ctl->http.token[0])
            fprintf(stderr, "  hint: give the token with --token-file PATH or "
                            "JIGD_TOKEN\n");
        code = JIGCTL_EXIT_FAILED;
        cJSON_Delete(json);
        json = NULL;
    } else if (!json) {
        jigctl_error("%s %s: the answer from %s is not JSON; is that address jigd's?",
                     method, path, ctl->http.url);
        code = JIGCTL_EXIT_FAILED;
    }
    http_response_free(resp);
    *out = json;
    return code;
}

static int call(struct jigctl *ctl, const char *method, const char *path,
                const cJSON *body, cJSON **out)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    char err[512] = "";
    struct http_response resp;
    int r = http_client_request(&ctl->http, method, path, body ? text : NULL,
                                &resp, err, sizeof err);
    free(text);
    return answer(ctl, method, path, r, err, &resp, out);
}

int jigctl_upload(struct jigctl *ctl, const char *path, const void *data, size_t len,
                  const char *content_type, cJSON **out)
{
    char err[512] = "";
    struct http_response resp;
    int r = http_client_upload(&ctl->http, path, data, len, content_type, &resp, err,
                               sizeof err);
    return answer(ctl, "POST", path, r, err, &resp, out);
}

int jigctl_get(struct jigctl *ctl, const char *path, cJSON **out)
{
    return call(ctl, "GET", path, NULL, out);
}

int jigctl_post(struct jigctl *ctl, const char *path, const cJSON *body, cJSON **out)
{
    cJSON *empty = body ? NULL : cJSON_CreateObject();
    int r = call(ctl, "POST", path, body ? body : empty, out);
    cJSON_Delete(empty);
    return r;
}

int jigctl_slot_arg(int argc, char **argv, const char *command, int *slot)
{
    if (argc != 1) {
        jigctl_error("usage: jigctl %s <slot>", command);
        return JIGCTL_EXIT_USAGE;
    }
    if (api_route_parse_slot(argv[0], strlen(argv[0]), slot)) {
        jigctl_error("'%s' is not a slot number; slots are numbered 1, 2, ... "
                     "(jigctl status lists them)", argv[0]);
        return JIGCTL_EXIT_USAGE;
    }
    return JIGCTL_EXIT_OK;
}

/* ---- command line ------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: jigctl [--url URL] [--token-file PATH] [--timeout SECONDS] "
               "COMMAND [ARGS]\n\n");
    jigctl_print_commands(f);
    fprintf(f, "\noptions (for the commands that talk to jigd):\n"
               "  --url URL          jigd's address (default $JIGD_URL or %s)\n"
               "  --token-file PATH  file holding the API token (or $JIGD_TOKEN)\n"
               "  --timeout SECONDS  give up on a silent jigd after this long "
               "(default 10)\n"
               "\nexit status: 0 ok, 1 jigd refused, 2 usage, 3 jigd unreachable\n",
            HTTP_CLIENT_DEFAULT_URL);
}

static bool is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

/* "jigctl bundle" alone, or "jigctl audit --help": what follows the word.
 * Returns the exit code. */
static int group_help(int argc, char **argv)
{
    if (!jigctl_is_group(argv[0])) {
        jigctl_error("unknown command '%s' (jigctl --help lists them)", argv[0]);
        return JIGCTL_EXIT_USAGE;
    }
    if (argc > 1 && is_help(argv[1])) {
        jigctl_print_group(stdout, argv[0]);
        return JIGCTL_EXIT_OK;
    }
    jigctl_error("'%s' needs a subcommand:", argv[0]);
    jigctl_print_group(stderr, argv[0]);
    return JIGCTL_EXIT_USAGE;
}

/* `jigctl <command> ... --help`: the command's usage, and nothing else. A
 * --help anywhere after the command's words wins, so it never reaches jigd
 * as an argument (`bundle load --help` must not load a bundle). */
static bool asks_for_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (is_help(argv[i]))
            return true;
    return false;
}

static int command_help(const struct jigctl_command *c, bool offline)
{
    const char *args = c->args ? c->args : "";
    printf("usage: jigctl %s%s%s\n  %s\n", c->name, args[0] ? " " : "", args, c->summary);
    if (c->details)
        printf("\n%s\n", c->details);
    printf("\n%s\n", offline ? "Works offline, without jigd."
                              : "Talks to jigd: --url or $JIGD_URL (default "
                                HTTP_CLIENT_DEFAULT_URL "), --token-file or $JIGD_TOKEN.");
    return JIGCTL_EXIT_OK;
}

static int read_token_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        jigctl_error("cannot read the token file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (!n) {
        jigctl_error("the token file %s is empty", path);
        return -1;
    }
    return 0;
}

static const char *option_value(int *i, int argc, char **argv, const char *name)
{
    size_t len = strlen(name);
    if (!strncmp(argv[*i], name, len) && argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (strcmp(argv[*i], name))
        return NULL;
    if (*i + 1 >= argc) {
        jigctl_error("%s needs a value", name);
        exit(JIGCTL_EXIT_USAGE);
    }
    return argv[++*i];
}

struct options {
    const char *url, *token_file, *timeout;
    int command;                /* argv index of the command's first word */
};

/* The global options before the command. False when jigctl stops here
 * (--help, or a mistake), with the exit code in *code. */
static bool parse_options(int argc, char **argv, struct options *o, int *code)
{
    o->url = getenv("JIGD_URL");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (is_help(argv[i])) {
            usage(stdout);
            *code = JIGCTL_EXIT_OK;
            return false;
        } else if ((v = option_value(&i, argc, argv, "--url"))) {
            o->url = v;
        } else if ((v = option_value(&i, argc, argv, "--token-file"))) {
            o->token_file = v;
        } else if ((v = option_value(&i, argc, argv, "--timeout"))) {
            o->timeout = v;
        } else {
            jigctl_error("unknown option '%s' (jigctl --help lists them)", argv[i]);
            *code = JIGCTL_EXIT_USAGE;
            return false;
        }
    }
    if (i >= argc) {
        usage(stderr);
        *code = JIGCTL_EXIT_USAGE;
        return false;
    }
    o->command = i;
    return true;
}

/* The client for the commands that talk to jigd: URL, deadline, token. */
static int setup_client(struct jigctl *ctl, const struct options *o)
{
    char err[512];
    if (http_client_init(&ctl->http, o->url && o->url[0] ? o->url : HTTP_CLIENT_DEFAULT_URL,
                         err, sizeof err)) {
        jigctl_error("%s", err);
        return JIGCTL_EXIT_USAGE;
    }
    if (o->timeout) {
        char *end;
        long s = strtol(o->timeout, &end, 10);
        if (*end || s < 1 || s > 3600) {
            jigctl_error("--timeout takes whole seconds from 1 to 3600");
            return JIGCTL_EXIT_USAGE;
        }
        ctl->http.timeout_ms = (int)s * 1000;
    }
    const char *env_token = getenv("JIGD_TOKEN");
    if (o->token_file) {
        if (read_token_file(o->token_file, ctl->http.token, sizeof ctl->http.token))
            return JIGCTL_EXIT_USAGE;
    } else if (env_token) {
        snprintf(ctl->http.token, sizeof ctl->http.token, "%s", env_token);
    }
    return JIGCTL_EXIT_OK;
}

int main(int argc, char **argv)
{
    struct options o = {0};
    int code;
    if (!parse_options(argc, argv, &o, &code))
        return code;
    int words;
    bool offline;
    const struct jigctl_command *cmd = jigctl_find_command(argc - o.command, argv + o.command,
                                                           &words, &offline);
    if (!cmd)
        return group_help(argc - o.command, argv + o.command);
    int cmd_argc = argc - o.command - words;
    char **cmd_argv = argv + o.command + words;
    if (asks_for_help(cmd_argc, cmd_argv))
        return command_help(cmd, offline);
    /* An offline command has no use for jigd's address or token, so a stale
     * $JIGD_URL cannot stop it; it gets no client at all. */
    if (offline)
        return cmd->run(NULL, cmd_argc, cmd_argv);
    struct jigctl ctl = {.tty = isatty(STDOUT_FILENO)};
    code = setup_client(&ctl, &o);
    if (code)
        return code;
    return cmd->run(&ctl, cmd_argc, cmd_argv);
}
