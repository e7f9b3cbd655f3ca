/* The one phase name table (phase.h). */
#include "phase.h"

static const char *const names[PHASE_COUNT] = {
    [PHASE_CONNECT] = "connect",
    [PHASE_IDENTIFY] = "identify",
    [PHASE_UNIT] = "unit",
    [PHASE_IDENTITY] = "identity",
    [PHASE_STUB] = "stub",
    [PHASE_BAUD] = "baud",
    [PHASE_CHECK] = "check",
    [PHASE_SKIP] = "skip",
    [PHASE_WRITE] = "write",
    [PHASE_VERIFY] = "verify",
    [PHASE_ERASE] = "erase",
    [PHASE_READ] = "read",
    [PHASE_REGISTER] = "register",
    [PHASE_RESET] = "reset",
    [PHASE_BOOT_LOG] = "boot-log",
    [PHASE_IDENTIFY_LED] = "identify-led",
    [PHASE_RETRY] = "retry",
};

const char *phase_name(enum phase p)
{
    return (unsigned)p < PHASE_COUNT ? names[p] : (const char *)0;
}
