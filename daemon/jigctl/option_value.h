/* One spelling of an option's value for every offline command group:
 * "--name VALUE" or "--name=VALUE". */
#ifndef JIGD_JIGCTL_OPTION_VALUE_H
#define JIGD_JIGCTL_OPTION_VALUE_H

/* The value of option `name` at argv[*i] ("" when it is missing: the caller
 * says what to give), moving *i past it; NULL when argv[*i] is another
 * option. */
const char *option_value(int *i, int argc, char **argv, const char *name);

#endif
