/* The board checks (unit_board_check.h). */
#include "unit_board_check.h"

#include <stdio.h>

#include "bundle.h"

bool unit_board_fits(const struct bundle *b, const struct loader_chip_info *info, int n,
                     char *m, size_t mcap, char *adv, size_t acap)
{
    if (info->chip != b->chip) {
        snprintf(m, mcap, "board is %s but the bundle is for %s: wrong board in slot %d?",
                 info->chip ? info->chip->name : "an unknown chip", b->chip->name, n);
        snprintf(adv, acap, "take the board out and put a %s board in, or load a bundle "
                 "made for %s", b->chip->name, info->chip ? info->chip->name : "it");
        return false;
    }
    if (info->flash_size == 0) {
        snprintf(m, mcap, "the board's flash did not identify itself (JEDEC id 0x%06x)",
                 (unsigned)info->flash_id);
        snprintf(adv, acap, "set the board aside: no flash chip, or a bad solder joint on it");
        return false;
    }
    if (info->flash_size < b->flash_size) {
        snprintf(m, mcap, "the board has %u KB of flash but the bundle needs %u KB: wrong "
                 "board variant in slot %d?", info->flash_size / 1024, b->flash_size / 1024, n);
        snprintf(adv, acap, "use a board with %u KB of flash, or a bundle built for %u KB",
                 b->flash_size / 1024, info->flash_size / 1024);
        return false;
    }
    if (!bundle_app_fits_revision(b, info->revision, m, mcap)) {
        snprintf(adv, acap, "this chip revision cannot run the app: set the board aside, or "
                 "rebuild the app for a wider chip revision range");
        return false;
    }
    return true;
}
