/* Running the plan: each step's loader operation started (or the step
 * skipped), and each finished operation judged: a refused board, a region
 * that already matches, a verify that does not. */
#include "flash_job_internal.h"

#include <string.h>

#include "hex.h"
#include "mbedtls_compat.h"
#include "stub_cache.h"

/* <stub_dir>/<stub>.json from the stub cache, held until the job is freed:
 * the loader points into it for the whole upload. */
static int load_stub(struct flash_job *j, const struct chip_desc *chip, const char *stub)
{
    char err[sizeof j->error.message];
    stub_cache_release(j->stub);
    j->stub = stub_cache_acquire(j->cfg.stub_dir, chip, stub, err, sizeof err);
    if (!j->stub) {
        job_fail(j, LOADER_ERR_STUB, "%s", err);
        return -1;
    }
    return 0;
}

/* Starts the loader operation for the current step. Returns 1 if the step
 * has nothing to do here (skip it), 0 if started, -1 if the job failed. */
static int start_loader_op(struct flash_job *j, uint64_t now)
{
    struct loader *l = &j->loader;
    const struct flash_job_step *s = job_current(j);
    const struct loader_chip_info *info = loader_info(l);
    int r = 0;
    switch (s->kind) {
    case STEP_OPEN:
        return 1;
    case STEP_CONNECT:
        r = loader_start_connect(l, now);
        break;
    case STEP_IDENTIFY:
        r = loader_start_identify(l, now);
        break;
    case STEP_STUB: {
        /* The revision was read by STEP_IDENTIFY, before this step. */
        const char *stub = info->chip ? chip_stub_name(info->chip, info->revision) : NULL;
        if (!stub || info->secure_download)
            return 1;
        if (load_stub(j, info->chip, stub) < 0)
            return -1;
        r = loader_start_stub(l, now, j->stub);
        break;
    }
    case STEP_BAUD:
        if (j->cfg.baud == loader_baud(l))
            return 1;
        r = loader_start_set_baud(l, now, j->cfg.baud);
        break;
    case STEP_CHECK:
    case STEP_VERIFY: {
        if (s->skipped)
            return 1;
        const struct loader_region *reg = &j->cfg.regions[s->region].region;
        r = loader_start_md5(l, now, reg->offset, (uint32_t)reg->size);
        break;
    }
    case STEP_WRITE:
        if (s->skipped)
            return 1;
        r = loader_start_write(l, now, &j->cfg.regions[s->region].region);
        break;
    case STEP_MD5:
        r = loader_start_md5(l, now, j->cfg.offset, j->cfg.size);
        break;
    case STEP_BLINK:
        return job_blink_start(j, now);
    case STEP_BOOT_LOG:
        /* The chip prints its boot log at the ROM's rate, whatever rate
         * the stub ran at. */
        if (port_set_baud(j->port, 115200) < 0) {
            job_fail(j, LOADER_ERR_PORT, "%s", j->port->error);
            return -1;
        }
        j->step_wake_us = now + (uint64_t)j->cfg.boot_log_ms * 1000;
        return 0;
    case STEP_READ:
        r = loader_start_read(l, now, j->cfg.offset, j->cfg.size, j->cfg.read_dst);
        break;
    case STEP_ERASE:
        r = loader_start_erase(l, now, j->cfg.offset, j->cfg.size);
        break;
    case STEP_RESET:
        r = loader_start_hard_reset(l, now);
        break;
    }
    if (r < 0) {
        /* A refused start names the loader's previous phase; ours is the
         * one that was asked for. */
        job_fail_loader(j);
        j->error.phase = flash_job_step_phase(s->kind);
        return -1;
    }
    return 0;
}

/* Moves on to the next step that has something to do, or ends the job. */
void job_next_step(struct flash_job *j)
{
    while (j->state == JOB_RUNNING) {
        if (j->steps[j->cur].ended_us == 0)
            j->steps[j->cur].ended_us = job_now_us();
        if (++j->cur == j->n_steps) {
            j->cur = j->n_steps - 1;
            job_end(j);
            return;
        }
        uint64_t now = job_now_us();
        struct flash_job_step *s = job_current(j);
        s->started_us = now;
        int r = start_loader_op(j, now);
        if (r < 0)
            return;
        if (r == 0) {
            if (j->cb->on_step)
                j->cb->on_step(j, s);
            return;
        }
        s->ended_us = now;      /* skipped: zero duration */
    }
}

/* The region already holds its bytes: its write and verify are skipped. */
static void mark_region_skipped(struct flash_job *j, size_t region)
{
    for (size_t i = j->cur + 1; i < j->n_steps; i++)
        if ((j->steps[i].kind == STEP_WRITE || j->steps[i].kind == STEP_VERIFY)
            && j->steps[i].region == region)
            j->steps[i].skipped = true;
    if (j->cb->on_region_skipped)
        j->cb->on_region_skipped(j, region);
}

/* The MD5 of each region the caller could not give: the bundle's parts
 * come hashed from the bundle load, so hashing here is for bytes made for
 * this board alone (late: they exist only after identify) and for callers
 * that write files (jigflash). */
void job_hash_regions(struct flash_job *j, bool late)
{
    for (size_t i = 0; j->cfg.action == FLASH_JOB_WRITE && i < j->cfg.n_regions; i++) {
        struct flash_job_region *r = &j->cfg.regions[i];
        if (r->late == late && !r->md5_known)
            md5_once(r->region.data, r->region.size, r->md5);
    }
}

/* The loader finished the current step's operation successfully. */
void job_step_done(struct flash_job *j)
{
    const struct flash_job_step *s = job_current(j);
    if (s->kind == STEP_IDENTIFY && j->cb->on_identified) {
        struct loader_error why = {.phase = PHASE_IDENTIFY};
        if (!j->cb->on_identified(j, loader_info(&j->loader), &why)) {
            job_fail(j, LOADER_ERR_REFUSED, "%s", why.message);
            return;
        }
        if (j->held)
            return;
        job_hash_regions(j, true);
    }
    if (s->kind == STEP_CHECK) {
        if (memcmp(loader_md5(&j->loader), j->cfg.regions[s->region].md5, 16) == 0)
            mark_region_skipped(j, s->region);
    }
    if (s->kind == STEP_BLINK && !job_blink_written(j, job_now_us()))
        return;
    if (s->kind == STEP_VERIFY) {
        const struct flash_job_region *r = &j->cfg.regions[s->region];
        const uint8_t *got = loader_md5(&j->loader);
        if (memcmp(got, r->md5, 16) != 0) {
            char want_hex[HEX_LEN(16)], got_hex[HEX_LEN(16)];
            job_fail(j, LOADER_ERR_VERIFY, "flash at 0x%x (%zu bytes) reads back with MD5 %s, "
                     "expected %s: the write did not stick; check the flash chip and its "
                     "power supply, then flash again", r->region.offset, r->region.size,
                     hex_encode(got, 16, got_hex), hex_encode(r->md5, 16, want_hex));
            return;
        }
    }
    job_next_step(j);
}
