/* The steps a job's config asks for, planned whole at flash_job_new so the
 * step log shows everything to come, and what each step is called and
 * which loader phase its failures name. */
#include "flash_job_internal.h"

#include <stdio.h>

static const char *const step_names[] = {
    [STEP_OPEN] = "open port",
    [STEP_CONNECT] = "connect",
    [STEP_IDENTIFY] = "identify",
    [STEP_STUB] = "stub upload",
    [STEP_BAUD] = "baud change",
    [STEP_WRITE] = "write",
    [STEP_VERIFY] = "verify",
    [STEP_MD5] = "md5",
    [STEP_READ] = "read",
    [STEP_ERASE] = "erase",
    [STEP_RESET] = "hard reset",
    [STEP_CHECK] = "check",
    [STEP_BLINK] = "blink",
    [STEP_BOOT_LOG] = "boot log",
};

const char *flash_job_step_name(enum flash_job_step_kind k)
{
    return (unsigned)k < sizeof step_names / sizeof step_names[0] ? step_names[k] : "?";
}

enum phase flash_job_step_phase(enum flash_job_step_kind k)
{
    switch (k) {
    case STEP_OPEN:
    case STEP_CONNECT: return PHASE_CONNECT;
    case STEP_IDENTIFY: return PHASE_IDENTIFY;
    case STEP_STUB: return PHASE_STUB;
    case STEP_BAUD: return PHASE_BAUD;
    case STEP_WRITE: return PHASE_WRITE;
    case STEP_VERIFY:
    case STEP_MD5: return PHASE_VERIFY;
    case STEP_READ: return PHASE_READ;
    case STEP_ERASE: return PHASE_ERASE;
    case STEP_RESET: return PHASE_RESET;
    case STEP_CHECK: return PHASE_CHECK;
    case STEP_BLINK: return PHASE_IDENTIFY_LED;
    case STEP_BOOT_LOG: return PHASE_BOOT_LOG;
    }
    return PHASE_NONE;
}

int job_plan(struct flash_job *j, char *err, size_t errlen)
{
    const struct flash_job_config *c = &j->cfg;
    size_t n = 0;
    size_t need = 7 + (c->action == FLASH_JOB_WRITE ? 3 * c->n_regions : 1);
    if (need > FLASH_JOB_MAX_STEPS) {
        snprintf(err, errlen, "too many regions (%zu; at most %d)", c->n_regions,
                 (FLASH_JOB_MAX_STEPS - 7) / 3);
        return -1;
    }
    j->steps[n++] = (struct flash_job_step){.kind = STEP_OPEN};
    j->steps[n++] = (struct flash_job_step){.kind = STEP_CONNECT};
    j->steps[n++] = (struct flash_job_step){.kind = STEP_IDENTIFY};
    if (c->action != FLASH_JOB_IDENTIFY && c->action != FLASH_JOB_BLINK) {
        if (c->stub_dir)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_STUB};
        if (c->baud)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_BAUD};
    }
    switch (c->action) {
    case FLASH_JOB_IDENTIFY:
        break;
    case FLASH_JOB_BLINK:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_BLINK};
        break;
    case FLASH_JOB_WRITE:
        for (size_t i = 0; i < c->n_regions; i++) {
            if (c->skip_matching)
                j->steps[n++] = (struct flash_job_step){.kind = STEP_CHECK, .region = i};
            j->steps[n++] = (struct flash_job_step){.kind = STEP_WRITE, .region = i};
            if (!c->verify_after_all)
                j->steps[n++] = (struct flash_job_step){.kind = STEP_VERIFY, .region = i};
        }
        for (size_t i = 0; c->verify_after_all && i < c->n_regions; i++)
            j->steps[n++] = (struct flash_job_step){.kind = STEP_VERIFY, .region = i};
        break;
    case FLASH_JOB_MD5:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_MD5};
        break;
    case FLASH_JOB_READ:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_READ};
        break;
    case FLASH_JOB_ERASE:
        j->steps[n++] = (struct flash_job_step){.kind = STEP_ERASE};
        break;
    }
    if (c->hard_reset)
        j->steps[n++] = (struct flash_job_step){.kind = STEP_RESET};
    if (c->hard_reset && c->boot_log_ms)
        j->steps[n++] = (struct flash_job_step){.kind = STEP_BOOT_LOG};
    j->n_steps = n;
    return 0;
}
