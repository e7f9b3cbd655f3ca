/* The one slot state name table (slot_state.h). */
#include "slot_state.h"

#include <stddef.h>

static const char *const names[SLOT_STATE_COUNT] = {
    [SLOT_DISABLED] = "disabled", [SLOT_NO_PORT] = "no-port", [SLOT_IDLE] = "idle",
    [SLOT_ARMED] = "armed",       [SLOT_RUNNING] = "running", [SLOT_PASSED] = "passed",
    [SLOT_FAILED] = "failed",     [SLOT_UNRECORDED] = "unrecorded",
};

const char *slot_state_name(enum slot_state s)
{
    return (unsigned)s < SLOT_STATE_COUNT ? names[s] : NULL;
}
