/* Phase names (unit_phase.h). */
#include "unit_phase.h"

const char *unit_phase_of_step(enum flash_job_step_kind k)
{
    switch (k) {
    case STEP_OPEN:
    case STEP_CONNECT: return "connect";
    case STEP_IDENTIFY: return "identify";
    case STEP_STUB: return "stub";
    case STEP_BAUD: return "baud";
    case STEP_CHECK: return "check";
    case STEP_WRITE: return "write";
    case STEP_VERIFY:
    case STEP_MD5: return "verify";
    case STEP_READ: return "read";
    case STEP_ERASE: return "erase";
    case STEP_RESET: return "reset";
    case STEP_BLINK: return "blink";
    case STEP_BOOT_LOG: return "boot-log";
    }
    return "?";
}

const char *unit_phase_of_loader(enum loader_phase p)
{
    switch (p) {
    case LOADER_PHASE_IDLE: return "start";
    case LOADER_PHASE_CONNECT: return "connect";
    case LOADER_PHASE_IDENTIFY: return "identify";
    case LOADER_PHASE_STUB: return "stub";
    case LOADER_PHASE_BAUD: return "baud";
    case LOADER_PHASE_WRITE: return "write";
    case LOADER_PHASE_VERIFY: return "verify";
    case LOADER_PHASE_ERASE: return "erase";
    case LOADER_PHASE_READ: return "read";
    case LOADER_PHASE_REGISTER: return "register";
    case LOADER_PHASE_RESET: return "reset";
    }
    return "?";
}
