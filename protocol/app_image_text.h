/* Human-readable description of a parsed image, in the layout of
 * `esptool.py image_info --version 2` (v4.8.1) from its "File size" line
 * on, so an operator sees the same facts as with Espressif's tool (and the
 * tests can compare against it). Descriptor strings are printed up to
 * their first NUL (esptool prints the padding NULs too). */
#ifndef JIGD_APP_IMAGE_TEXT_H
#define JIGD_APP_IMAGE_TEXT_H

#include <stddef.h>

#include "app_image.h"

/* Like snprintf: writes at most cap bytes (NUL-terminated when cap > 0)
 * and returns the full length. */
size_t app_image_describe(const struct app_image_info *info, char *out,
                          size_t cap);

#endif
