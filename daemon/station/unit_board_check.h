/* The checks that make writing a board pointless or harmful, decided
 * before the first byte goes to its flash: the chip the bundle is for, a
 * flash that identifies itself and is big enough, a revision the app runs
 * on. */
#ifndef JIGD_UNIT_BOARD_CHECK_H
#define JIGD_UNIT_BOARD_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "loader.h"

struct bundle;

/* true, or false with what is wrong in m and what to do in adv (the board
 * is in slot n). */
bool unit_board_fits(const struct bundle *b, const struct loader_chip_info *info, int n,
                     char *m, size_t mcap, char *adv, size_t acap);

#endif
