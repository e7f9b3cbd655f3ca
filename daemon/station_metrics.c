/* The station's side of GET /metrics (station_metrics.h). */
#include "station_metrics.h"

#include <stdio.h>
#include <time.h>

#include "key_pool.h"
#include "metrics_text.h"
#include "slot.h"
#include "slot_state.h"
#include "station.h"
#include "station_db.h"
#include "station_production.h"
#include "unit_services.h"
#include "unit_tally.h"

/* Seconds. A commit at synchronous=FULL is about 1 ms on a PC's disk and
 * 5-50 ms on a Raspberry Pi's SD card; one past a second stalls the line. */
static const double commit_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1, 0.25, 0.5, 1, 2.5};
#define N_COMMIT_BOUNDS (sizeof commit_bounds / sizeof commit_bounds[0])

static void on_commit(void *ctx, double seconds, bool durable)
{
    struct station_metrics *m = ctx;
    metrics_histogram_observe(durable ? &m->commits_durable : &m->commits_progress, seconds);
}

void station_metrics_start(struct station_metrics *m, struct station *st,
                           struct unit_services *units, const struct jigd_config *cfg)
{
    *m = (struct station_metrics){.st = st, .units = units, .cfg = cfg,
                                  .started_at = (double)time(NULL)};
    metrics_histogram_init(&m->commits_durable, commit_bounds, N_COMMIT_BOUNDS);
    metrics_histogram_init(&m->commits_progress, commit_bounds, N_COMMIT_BOUNDS);
    if (units)
        sdb_observe_commits(units->db, on_commit, m);
}

/* ---- the slots ------------------------------------------------------------ */

/* Each configured slot, in order, with its number as a label value. */
struct slot_ref {
    struct slot *slot;
    char label[12];
};

static size_t slots_of(struct station_metrics *m, struct slot_ref *out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->cfg->n_slots; i++) {
        int index = m->cfg->slots[i].index;
        struct slot *s = station_slot(m->st, index);
        if (!s)
            continue;
        out[n].slot = s;
        snprintf(out[n].label, sizeof out[n].label, "%d", index);
        n++;
    }
    return n;
}

static void write_slot_gauges(struct metrics_text *out, const struct slot_ref *slots, size_t n)
{
    metrics_family(out, METRICS_GAUGE, "jigd_slot_state",
                   "1 for the state each slot is in now, 0 for the others (the slot states "
                   "of docs/api.md).");
    for (size_t i = 0; i < n; i++) {
        enum slot_state now = slot_state(slots[i].slot);
        for (int st = SLOT_STATE_UNSAID + 1; st < SLOT_STATE_COUNT; st++) {
            const struct metrics_label l[] = {{"slot", slots[i].label},
                                              {"state", slot_state_name((enum slot_state)st)}};
            metrics_count(out, l, 2, now == (enum slot_state)st);
        }
    }
    metrics_family(out, METRICS_GAUGE, "jigd_slot_baud",
                   "The baud rate of each slot's serial line: the unit running, else the "
                   "last one (0 before any); `baud` of GET /api/v1/slots.");
    for (size_t i = 0; i < n; i++)
        metrics_count(out, (const struct metrics_label[]){{"slot", slots[i].label}}, 1,
                      slot_baud(slots[i].slot));
}

static void write_slot_counters(struct metrics_text *out, const struct slot_ref *slots,
                                size_t n)
{
    metrics_family(out, METRICS_COUNTER, "jigd_attempts_total",
                   "Boards' attempts that ended and are on record in station.db, since jigd "
                   "started (process counter), by slot and result (ok, failed, "
                   "interrupted: jigd stopped mid-board).");
    for (size_t i = 0; i < n; i++) {
        const struct unit_tally *t = slot_tally(slots[i].slot);
        for (int r = 0; r < UNIT_RESULTS; r++) {
            const struct metrics_label l[] = {{"slot", slots[i].label},
                                              {"result", unit_result_name((enum unit_result)r)}};
            metrics_count(out, l, 2, t->attempts[r]);
        }
    }
    metrics_family(out, METRICS_COUNTER, "jigd_bytes_written_total",
                   "Bytes the ended attempts wrote to boards' flash (regions skipped as "
                   "already right are not written), since jigd started (process counter).");
    for (size_t i = 0; i < n; i++)
        metrics_count(out, (const struct metrics_label[]){{"slot", slots[i].label}}, 1,
                      slot_tally(slots[i].slot)->bytes_written);
}

/* Failures and phase times of the whole station: by phase, not by slot. */
static void write_phases(struct metrics_text *out, const struct unit_tally *all)
{
    metrics_family(out, METRICS_COUNTER, "jigd_attempt_failures_total",
                   "Failed attempts since jigd started (process counter), by the phase they "
                   "failed in (the phases of docs/api.md); the cause in words is in "
                   "GET /api/v1/reports/pareto.");
    for (int p = PHASE_NONE + 1; p < PHASE_COUNT; p++)
        metrics_count(out, (const struct metrics_label[]){{"phase", phase_name((enum phase)p)}},
                      1, all->failed_in[p]);
    metrics_family(out, METRICS_HISTOGRAM, "jigd_phase_duration_seconds",
                   "How long each phase of an attempt took, one observation per phase row "
                   "of station.db (a phase's steps summed), since jigd started (process "
                   "histogram).");
    for (int p = PHASE_NONE + 1; p < PHASE_COUNT; p++)
        metrics_histogram(out,
                          (const struct metrics_label[]){{"phase", phase_name((enum phase)p)}},
                          1, &all->phase_seconds[p]);
}

/* ---- the services: key pool, database, webhooks ---------------------------- */

static void write_key_pool(struct metrics_text *out, struct station_metrics *m)
{
    if (!m->units || !m->units->keys)
        return;
    struct key_pool_stats ks;
    key_pool_stats(m->units->keys, &ks);
    metrics_family(out, METRICS_GAUGE, "jigd_key_pool_keys",
                   "Unit keys made ahead and waiting in the pool now.");
    metrics_count(out, NULL, 0, ks.ready);
    metrics_family(out, METRICS_GAUGE, "jigd_key_pool_size",
                   "Keys the pool keeps ready when full (key_pool_size in [identity]).");
    metrics_count(out, NULL, 0, m->cfg->identity.key_pool_size);
    metrics_family(out, METRICS_GAUGE, "jigd_key_pool_waiting",
                   "Boards waiting in their loader for a key now (the key-pool alarm).");
    metrics_count(out, NULL, 0, ks.waiting);
    metrics_family(out, METRICS_COUNTER, "jigd_key_pool_generated_total",
                   "Keys generated since jigd started (process counter).");
    metrics_count(out, NULL, 0, ks.generated);
}

static void write_commits(struct metrics_text *out, const struct station_metrics *m)
{
    if (!m->units)
        return;
    metrics_family(out, METRICS_HISTOGRAM, "jigd_db_commit_seconds",
                   "How long each commit to station.db took, since jigd started (process "
                   "histogram): sync=full waits for the disk (results, serials, audit), "
                   "sync=normal are the progress rows that do not. Every slot waits while "
                   "one runs.");
    metrics_histogram(out, (const struct metrics_label[]){{"sync", "full"}}, 1,
                      &m->commits_durable);
    metrics_histogram(out, (const struct metrics_label[]){{"sync", "normal"}}, 1,
                      &m->commits_progress);
}

static double number_at(const cJSON *o, const char *path0, const char *path1, bool *ok)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path0);
    if (path1)
        v = cJSON_GetObjectItemCaseSensitive(v, path1);
    if (!cJSON_IsNumber(v))
        *ok = false;
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The figures GET /api/v1/station shows in its header, from the same
 * queries: nothing when the database cannot be read (never a wrong 0). */
static void write_production(struct metrics_text *out, struct station_metrics *m)
{
    if (!m->units)
        return;
    cJSON *p = station_production_json(m->units, time(NULL));
    bool ok = p != NULL;
    double units = number_at(p, "shift", "units", &ok);
    double first_pass = number_at(p, "shift", "first_pass", &ok);
    double hour = number_at(p, "units_per_hour", NULL, &ok);
    cJSON_Delete(p);
    if (!ok)
        return;
    metrics_family(out, METRICS_GAUGE, "jigd_shift_units",
                   "Units decided since the current shift began, each once by its first "
                   "attempt (from station.db: survives restarts; production.shift.units of "
                   "GET /api/v1/station).");
    metrics_value(out, NULL, 0, units);
    metrics_family(out, METRICS_GAUGE, "jigd_shift_first_pass_units",
                   "Of those, the units whose first attempt passed (from station.db).");
    metrics_value(out, NULL, 0, first_pass);
    metrics_family(out, METRICS_GAUGE, "jigd_units_last_hour",
                   "Units whose first attempt began in the last 60 minutes (from station.db).");
    metrics_value(out, NULL, 0, hour);
}

static void write_webhooks(struct metrics_text *out, struct station_metrics *m)
{
    if (!m->units || !m->cfg->n_webhooks)
        return;
    metrics_family(out, METRICS_GAUGE, "jigd_webhook_backlog",
                   "Deliveries each [webhook] receiver is owed and has not had (from "
                   "station.db's outbox: survives restarts; jigctl webhook list).");
    for (size_t i = 0; i < m->cfg->n_webhooks; i++) {
        const char *name = m->cfg->webhooks[i].name;
        int64_t n;
        if (sdb_outbox_pending(m->units->db, name, &n) == SDB_OK)
            metrics_count(out, (const struct metrics_label[]){{"receiver", name}}, 1,
                          (uint64_t)n);
    }
}

void station_metrics_write(struct station_metrics *m, struct metrics_text *out)
{
    metrics_family(out, METRICS_GAUGE, "jigd_start_time_seconds",
                   "When this jigd started (Unix time): the process counters count from "
                   "here.");
    metrics_value(out, NULL, 0, m->started_at);
    struct slot_ref slots[CONFIG_MAX_SLOTS];
    size_t n = slots_of(m, slots);
    write_slot_gauges(out, slots, n);
    write_slot_counters(out, slots, n);
    struct unit_tally all;
    unit_tally_init(&all);
    for (size_t i = 0; i < n; i++)
        unit_tally_add(&all, slot_tally(slots[i].slot));
    write_phases(out, &all);
    write_key_pool(out, m);
    write_commits(out, m);
    write_production(out, m);
    write_webhooks(out, m);
}
