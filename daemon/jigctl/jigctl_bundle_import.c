/* jigctl bundle import: makes a bundle folder from an ESP-IDF build, here,
 * without jigd; `jigctl bundle load` then asks jigd to flash it. */
#include "jigctl_command.h"

#include <stdio.h>

#include "bundle.h"

static int import(struct jigctl *ctl, int argc, char **argv)
{
    if (argc != 2) {
        jigctl_error("usage: jigctl bundle import <ESP-IDF build dir> <new bundle dir>");
        return JIGCTL_EXIT_USAGE;
    }
    char err[1024];
    if (bundle_import(argv[0], argv[1], err, sizeof err)) {
        jigctl_error("bundle import failed: %s", err);
        return JIGCTL_EXIT_FAILED;
    }
    printf("made bundle %s from %s; activate it with: jigctl bundle load %s\n", argv[1], argv[0],
           argv[1]);
    return JIGCTL_EXIT_OK;
}

const struct jigctl_command jigctl_bundle_import_commands[] = {
    {"bundle import", "<build dir> <bundle dir>",
     "make a bundle from an ESP-IDF build (flasher_args.json)", import, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
