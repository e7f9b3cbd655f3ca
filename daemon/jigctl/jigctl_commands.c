/* Every command group, listed once, each as online (it talks to jigd) or
 * offline (it works here, without jigd). The offline groups are the ones
 * built as their own libraries; the help says which is which, so nobody
 * starts jigd to make an NVS image or read the audit database. */
#include "jigctl_commands.h"

#include <string.h>

struct group {
    const struct jigctl_command *commands;
    bool offline;
};

static const struct group groups[] = {
    {jigctl_slot_commands, false},
    {jigctl_watch_commands, false},
    {jigctl_bundle_commands, false},
    {jigctl_work_order_commands, false},
    {jigctl_bundle_import_commands, true},
    {jigctl_nvs_commands, true},
    {jigctl_audit_commands, true},
    {jigctl_doctor_commands, true},
    {jigctl_discover_commands, true},
    {jigctl_token_commands, true},
    {jigctl_webhook_commands, true},
};

#define N_GROUPS (sizeof groups / sizeof groups[0])
/* Where summaries start: after "name args" in the list of all commands,
 * after "jigctl name args" in a group's. */
#define COLUMN 32
#define GROUP_COLUMN 40

/* How many leading words of argv spell the command's name; 0 if not it. */
static int name_words(const char *name, int argc, char **argv)
{
    int words = 0;
    const char *p = name;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (words >= argc || strlen(argv[words]) != len || strncmp(argv[words], p, len))
            return 0;
        words++;
        p += len;
        p += strspn(p, " ");
    }
    return words;
}

const struct jigctl_command *jigctl_find_command(int argc, char **argv, int *words,
                                                 bool *offline)
{
    const struct jigctl_command *best = NULL;
    *words = 0;
    *offline = false;
    for (size_t g = 0; g < N_GROUPS; g++)
        for (const struct jigctl_command *c = groups[g].commands; c->name; c++) {
            int w = name_words(c->name, argc, argv);
            if (w > *words) {
                *words = w;
                *offline = groups[g].offline;
                best = c;
            }
        }
    return best;
}

static bool starts_with_word(const char *name, const char *word)
{
    size_t len = strlen(word);
    return !strncmp(name, word, len) && (name[len] == ' ' || name[len] == '\0');
}

/* One line: "  [jigctl ]name args   summary"; a long left side puts the
 * summary on the next line rather than pushing it off the screen. */
static void print_command(FILE *f, const char *prefix, const struct jigctl_command *c)
{
    int column = prefix[0] ? GROUP_COLUMN : COLUMN;
    char left[128];
    snprintf(left, sizeof left, "%s%s%s%s", prefix, c->name, c->args && c->args[0] ? " " : "",
             c->args ? c->args : "");
    if ((int)strlen(left) < column)
        fprintf(f, "  %-*s %s\n", column, left, c->summary);
    else
        fprintf(f, "  %s\n  %-*s %s\n", left, column, "", c->summary);
}

/* The commands of online or offline groups, under `word` if not NULL. */
static void print_section(FILE *f, bool offline, const char *word, const char *prefix)
{
    for (size_t g = 0; g < N_GROUPS; g++) {
        if (groups[g].offline != offline)
            continue;
        for (const struct jigctl_command *c = groups[g].commands; c->name; c++)
            if (!word || starts_with_word(c->name, word))
                print_command(f, prefix, c);
    }
}

static bool any(bool offline, const char *word)
{
    for (size_t g = 0; g < N_GROUPS; g++)
        for (const struct jigctl_command *c = groups[g].commands; c->name; c++)
            if (groups[g].offline == offline && starts_with_word(c->name, word))
                return true;
    return false;
}

void jigctl_print_commands(FILE *f)
{
    fprintf(f, "commands that talk to jigd (at --url):\n");
    print_section(f, false, NULL, "");
    fprintf(f, "\ncommands that work offline, without jigd:\n");
    print_section(f, true, NULL, "");
    fprintf(f, "\n'jigctl GROUP --help' lists one group, e.g. jigctl audit --help.\n");
}

bool jigctl_is_group(const char *word)
{
    return any(false, word) || any(true, word);
}

void jigctl_print_group(FILE *f, const char *word)
{
    if (any(false, word)) {
        fprintf(f, "these talk to jigd (at --url):\n");
        print_section(f, false, word, "jigctl ");
    }
    if (any(true, word)) {
        fprintf(f, "these work offline, without jigd:\n");
        print_section(f, true, word, "jigctl ");
    }
}
