/* jigctl's list of command groups (jigctl_commands.c), for main: finding
 * the command that the words on the command line name, and the help, which
 * says plainly which commands work offline. */
#ifndef JIGD_JIGCTL_COMMANDS_H
#define JIGD_JIGCTL_COMMANDS_H

#include <stdbool.h>
#include <stdio.h>

#include "jigctl_command.h"

/* The command whose name spells the most leading words of argv (NULL if
 * none); *words says how many, *offline whether it works without jigd. */
const struct jigctl_command *jigctl_find_command(int argc, char **argv, int *words,
                                                 bool *offline);

/* Every command, in two lists: those that talk to jigd, those that work
 * offline. */
void jigctl_print_commands(FILE *f);

/* Whether some command's name begins with this word ("bundle", "audit"). */
bool jigctl_is_group(const char *word);

/* The commands under one first word ("jigctl bundle", "jigctl audit
 * --help"), in the same two lists. */
void jigctl_print_group(FILE *f, const char *word);

#endif
