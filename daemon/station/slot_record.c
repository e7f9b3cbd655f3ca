/* Every attempt on record: begun when a unit starts (slot, adapter, bundle
 * and the hashes of the parts), tied to its unit after identify, its
 * phases timed, and ended on every path — pass, fail, abort, SIGTERM. (A
 * SIGKILL leaves it running; the next start marks it interrupted.)
 *
 * The database is the quality engineer's record, not the line's master: a
 * write that fails is said on stderr and the board goes on. The one write
 * that must succeed, the serial, is slot_identity.c's and refuses the board
 * when it fails. */
#include "slot_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "unit_services.h"

#include <mbedtls/sha256.h>

int64_t slot_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct station_db *db_of(const struct slot *s)
{
    return s->env.units ? s->env.units->db : NULL;
}

static void db_complain(struct slot *s, const char *what)
{
    fprintf(stderr, "jigd: slot %d: attempt %lld: %s not recorded: %s\n", s->cfg.index,
            (long long)s->attempt_id, what, sdb_errmsg(db_of(s)));
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

void slot_record_begin(struct slot *s)
{
    struct station_db *db = db_of(s);
    if (!db || s->attempt_id)
        return;
    const struct bundle *b = s->bundle;
    int64_t bundle_id = 0;
    if (sdb_bundle_register(db, b->name, b->version, b->id, &bundle_id) != SDB_OK)
        db_complain(s, "the bundle");
    const char *wo = s->env.units->cfg->unit.work_order;
    struct sdb_attempt_start a = {.slot = s->cfg.index, .adapter_id = s->cfg.port,
                                  .adapter_port = s->cfg.port, .bundle_id = bundle_id,
                                  .work_order = wo[0] ? wo : NULL};
    if (sdb_attempt_begin(db, &a, &s->attempt_id) != SDB_OK) {
        s->attempt_id = 0;
        db_complain(s, "the start");
        return;
    }
    s->bytes_written = 0;
    /* The plan's parts, not the bundle's: one the unit's own partition
     * replaces is not written, so it is not on record. */
    for (size_t i = 0; i < s->n_regions; i++) {
        const struct bundle_part *p = s->region_info[i].part;
        if (!p)
            continue;
        char sha[65];
        hex(p->sha256, 32, sha);
        if (sdb_attempt_part(db, s->attempt_id, p->file, p->region.offset,
                             (uint32_t)p->region.size, sha, false) != SDB_OK)
            db_complain(s, "a part");
    }
}

/* The per-unit partitions: their hash proves what the board got without
 * keeping what it got (the key). */
void slot_record_parts(struct slot *s)
{
    struct station_db *db = db_of(s);
    if (!db || !s->attempt_id)
        return;
    for (size_t i = 0; i < s->n_regions; i++) {
        if (!s->region_info[i].per_unit)
            continue;
        const struct loader_region *r = &s->regions[i].region;
        uint8_t sum[32];
        char sha[65];
        mbedtls_sha256_ret(r->data, r->size, sum, 0);
        hex(sum, 32, sha);
        if (sdb_attempt_part(db, s->attempt_id, s->region_info[i].name, r->offset,
                             (uint32_t)r->size, sha, true) != SDB_OK)
            db_complain(s, "a per-unit part");
    }
}

void slot_record_phase(struct slot *s, const char *phase, int64_t started_ms,
                       int64_t duration_ms, uint64_t bytes)
{
    struct station_db *db = db_of(s);
    if (!db || !s->attempt_id)
        return;
    if (sdb_attempt_phase(db, s->attempt_id, phase, started_ms,
                          duration_ms > 0 ? duration_ms : 0, bytes) != SDB_OK)
        db_complain(s, "a phase");
}

/* One row per phase of the job, in the order each first ran; steps of one
 * phase summed (the checks and writes of every region interleave, and the
 * engineer wants "write: 4.1 s, 1.2 MB", not twenty rows). */
#define PHASES_MAX 16

struct phase_sum {
    const char *phase;
    int64_t started_ms, duration_ms;
    uint64_t bytes;
};

static struct phase_sum *phase_slot(struct phase_sum *p, size_t *n, const char *phase)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(p[i].phase, phase))
            return &p[i];
    if (*n == PHASES_MAX)
        return NULL;
    p[*n] = (struct phase_sum){.phase = phase, .started_ms = -1};
    return &p[(*n)++];
}

void slot_record_steps(struct slot *s, struct flash_job *j)
{
    size_t n_steps, n = 0;
    const struct flash_job_step *steps = flash_job_steps(j, &n_steps);
    struct phase_sum sums[PHASES_MAX];
    uint64_t now_us = uv_hrtime() / 1000;
    int64_t wall = slot_wall_ms();
    for (size_t i = 0; i < n_steps; i++) {
        const struct flash_job_step *st = &steps[i];
        if (!st->started_us || st->skipped || st->kind == STEP_OPEN)
            continue;
        struct phase_sum *p = phase_slot(sums, &n, slot_phase_token(st->kind));
        if (!p)
            continue;
        uint64_t end = st->ended_us ? st->ended_us : now_us;
        if (p->started_ms < 0)
            p->started_ms = wall - (int64_t)(now_us - st->started_us) / 1000;
        p->duration_ms += (int64_t)(end - st->started_us) / 1000;
        if (st->kind == STEP_WRITE && st->ended_us) {
            p->bytes += s->regions[st->region].region.size;
            s->bytes_written += s->regions[st->region].region.size;
        }
    }
    for (size_t i = 0; i < n; i++)
        slot_record_phase(s, sums[i].phase, sums[i].started_ms, sums[i].duration_ms,
                          sums[i].bytes);
}

void slot_record_end(struct slot *s, const struct loader_error *e)
{
    struct station_db *db = db_of(s);
    if (!db || !s->attempt_id)
        return;
    if (sdb_attempt_end(db, s->attempt_id, e == NULL, e ? s->error_phase : NULL,
                        e ? s->cause : NULL, s->bytes_written) != SDB_OK)
        db_complain(s, "the end");
    s->attempt_id = 0;
}
