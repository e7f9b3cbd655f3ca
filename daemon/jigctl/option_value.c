/* "--name VALUE" or "--name=VALUE" (option_value.h). */
#include "option_value.h"

#include <string.h>

const char *option_value(int *i, int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n))
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    return *i + 1 < argc ? argv[++*i] : "";
}
