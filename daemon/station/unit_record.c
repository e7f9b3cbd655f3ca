/* An attempt's record in the station database (unit_record.h). */
#include "unit_record.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "bundle.h"
#include "hex.h"
#include "mbedtls_compat.h"
#include "station_db.h"
#include "flash_job.h"
#include "unit_plan.h"
#include "log_line.h"

int64_t unit_record_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void complain(const struct unit_record *r, const char *what)
{
    log_line("jigd: slot %d: attempt %lld: %s not recorded: %s", r->slot,
             (long long)r->attempt_id, what, sdb_errmsg(r->db));
}

static int write_row(struct unit_record *r, const struct unit_record_row *w)
{
    if (w->is_part)
        return sdb_attempt_part(r->db, r->attempt_id, w->name, w->offset, w->size, w->sha256,
                                w->per_unit);
    return sdb_attempt_phase(r->db, r->attempt_id, w->name, w->started_ms, w->duration_ms,
                             w->bytes);
}

/* Writes a row now, or keeps it for the end when the database will not
 * take it (a full disk does not make the write plan any less true). */
static void record_row(struct unit_record *r, const struct unit_record_row *w)
{
    if (r->n_pending == 0 && write_row(r, w) == SDB_OK)
        return;
    if (r->n_pending == UNIT_RECORD_PENDING) {
        complain(r, w->is_part ? "a part" : "a phase");
        return;
    }
    if (r->n_pending == 0)
        log_line("jigd: slot %d: attempt %lld: %s kept to be recorded with the end: "
                 "%s", r->slot, (long long)r->attempt_id, w->is_part ? "a part" : "a phase",
                 sdb_errmsg(r->db));
    r->pending[r->n_pending++] = *w;
}

static void record_part(struct unit_record *r, const char *name, uint32_t offset, uint32_t size,
                        const char *sha256, bool per_unit)
{
    struct unit_record_row w = {.is_part = true, .offset = offset, .size = size,
                                .per_unit = per_unit};
    snprintf(w.name, sizeof w.name, "%s", name);
    snprintf(w.sha256, sizeof w.sha256, "%s", sha256);
    record_row(r, &w);
}

/* The rows kept back, in order; stops at the first the database refuses. */
static int write_pending(struct unit_record *r)
{
    size_t done = 0;
    while (done < r->n_pending && write_row(r, &r->pending[done]) == SDB_OK)
        done++;
    memmove(r->pending, r->pending + done, (r->n_pending - done) * sizeof r->pending[0]);
    r->n_pending -= done;
    return r->n_pending ? -1 : 0;
}

int unit_record_begin(struct unit_record *r, const struct bundle *b, const char *port,
                      const char *work_order, const struct unit_plan *plan)
{
    if (!r->db || r->attempt_id)
        return 0;
    int64_t bundle_id = 0;
    if (sdb_bundle_register(r->db, b->name, b->version, b->id, &bundle_id) != SDB_OK)
        return -1;
    struct sdb_attempt_start a = {.slot = r->slot, .adapter_id = port, .adapter_port = port,
                                  .bundle_id = bundle_id,
                                  .work_order = work_order && work_order[0] ? work_order : NULL};
    if (sdb_attempt_begin(r->db, &a, &r->attempt_id) != SDB_OK) {
        r->attempt_id = 0;
        return -1;
    }
    r->bytes_written = 0;
    r->n_pending = 0;
    /* The plan's parts, not the bundle's: one the unit's own partition
     * replaces is not written, so it is not on record. */
    for (size_t i = 0; i < plan->n; i++) {
        const struct bundle_part *p = plan->info[i].part;
        if (!p)
            continue;
        char sha[65];
        hex_encode(p->sha256, 32, sha);
        record_part(r, p->file, p->region.offset, (uint32_t)p->region.size, sha, false);
    }
    return 0;
}

void unit_record_parts(struct unit_record *r, const struct unit_plan *plan)
{
    if (!r->db || !r->attempt_id)
        return;
    for (size_t i = 0; i < plan->n; i++) {
        if (!plan->info[i].per_unit)
            continue;
        const struct loader_region *reg = &plan->regions[i].region;
        uint8_t sum[32];
        char sha[65];
        sha256_once(reg->data, reg->size, sum);
        hex_encode(sum, 32, sha);
        record_part(r, plan->info[i].name, reg->offset, (uint32_t)reg->size, sha, true);
    }
}

void unit_record_phase(struct unit_record *r, enum phase phase, int64_t started_ms,
                       int64_t duration_ms, uint64_t bytes)
{
    unit_tally_phase(r->tally, phase, duration_ms);
    if (!r->db || !r->attempt_id)
        return;
    struct unit_record_row w = {.started_ms = started_ms,
                                .duration_ms = duration_ms > 0 ? duration_ms : 0,
                                .bytes = bytes};
    snprintf(w.name, sizeof w.name, "%s", phase_name(phase) ? phase_name(phase) : "?");
    record_row(r, &w);
}

/* One row per phase of the job, in the order each first ran; steps of one
 * phase summed (the checks and writes of every region interleave, and the
 * engineer wants "write: 4.1 s, 1.2 MB", not twenty rows). */
#define PHASES_MAX 16

struct phase_sum {
    enum phase phase;
    int64_t started_ms, duration_ms;
    uint64_t bytes;
};

static struct phase_sum *phase_sum_of(struct phase_sum *p, size_t *n, enum phase phase)
{
    for (size_t i = 0; i < *n; i++)
        if (p[i].phase == phase)
            return &p[i];
    if (*n == PHASES_MAX)
        return NULL;
    p[*n] = (struct phase_sum){.phase = phase, .started_ms = -1};
    return &p[(*n)++];
}

void unit_record_steps(struct unit_record *r, struct flash_job *j, const struct unit_plan *plan)
{
    size_t n_steps, n = 0;
    const struct flash_job_step *steps = flash_job_steps(j, &n_steps);
    struct phase_sum sums[PHASES_MAX];
    uint64_t now_us = uv_hrtime() / 1000;
    int64_t wall = unit_record_wall_ms();
    for (size_t i = 0; i < n_steps; i++) {
        const struct flash_job_step *st = &steps[i];
        if (!st->started_us || st->skipped || st->kind == STEP_OPEN)
            continue;
        struct phase_sum *p = phase_sum_of(sums, &n, flash_job_step_phase(st->kind));
        if (!p)
            continue;
        uint64_t end = st->ended_us ? st->ended_us : now_us;
        if (p->started_ms < 0)
            p->started_ms = wall - (int64_t)(now_us - st->started_us) / 1000;
        p->duration_ms += (int64_t)(end - st->started_us) / 1000;
        if (st->kind == STEP_WRITE && st->ended_us) {
            p->bytes += plan->regions[st->region].region.size;
            r->bytes_written += plan->regions[st->region].region.size;
        }
    }
    for (size_t i = 0; i < n; i++)
        unit_record_phase(r, sums[i].phase, sums[i].started_ms, sums[i].duration_ms,
                          sums[i].bytes);
}

int unit_record_end(struct unit_record *r, enum unit_result result, enum phase phase,
                    const char *cause)
{
    if (r->db && r->attempt_id) {
        if (write_pending(r) < 0)
            return -1;
        int rc = result == UNIT_INTERRUPTED
            ? sdb_attempt_interrupt(r->db, r->attempt_id, phase_name(phase), cause,
                                    r->bytes_written)
            : sdb_attempt_end(r->db, r->attempt_id, result == UNIT_PASSED, phase_name(phase),
                              cause, r->bytes_written);
        if (rc != SDB_OK)
            return -1;
        r->attempt_id = 0;
    }
    /* Counted once it is on record, as the database has it. */
    unit_tally_end(r->tally, result, phase, r->bytes_written);
    return 0;
}
