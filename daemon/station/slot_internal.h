/* The inside of a slot, shared by slot.c (states and triggers),
 * slot_unit.c (one board's job and its events) and slot_json.c. */
#ifndef JIGD_SLOT_INTERNAL_H
#define JIGD_SLOT_INTERNAL_H

#include "slot.h"

#include "event_bus.h"
#include "flash_job.h"
#include "key_pool.h"
#include "loader.h"
#include "reset_gpio.h"
#include "station_db.h"
#include "unit_cert.h"
#include "unit_nvs.h"

#define SLOT_BOOT_LOG_KEEP 4096     /* bytes of boot log kept per slot */
#define SLOT_TEXT 256

/* What a region of the unit's write plan is: a bundle part, or a
 * per-unit partition made after identify. */
struct slot_region_info {
    const char *name;               /* bundle file, or partition label */
    bool per_unit;
    const struct bundle_part *part; /* the bundle's part; NULL when per_unit */
};

/* The board's identity for this attempt (slot_identity.c). Kept across a
 * retry at a lower baud rate, so the board gets one serial and one key. */
struct slot_identity {
    bool made;                      /* unit, certificate and images are ready */
    bool key_waiting;               /* key_req is queued in the pool */
    struct key_pool_req key_req;
    struct sdb_unit unit;
    bool reworked;
    struct unit_cert cert;          /* holds the key PEM: zeroised by release */
    char fingerprint[65];
    struct unit_nvs_image nvs;      /* SECRET when the template uses {key_pem} */
    uint8_t *secure_cert;           /* SECRET: the esp_secure_cert image */
    size_t secure_cert_len;
    uint32_t secure_cert_offset;
    uint64_t started_ms;            /* wall clock, for the identity phase */
    bool failed;                    /* making it failed: cause below */
    char cause[SLOT_TEXT], advice[SLOT_TEXT];
};

/* What the slot's one job is doing. */
enum slot_activity {
    ACT_NONE,
    ACT_PROBE,          /* auto: is a board in the ROM loader? (quiet) */
    ACT_UNIT,           /* flashing the board */
    ACT_PRESENCE,       /* after a unit: is the board still there? (quiet) */
    ACT_BLINK,          /* identify LED */
    ACT_PORT_CHECK,     /* no-port: can the port be opened again? */
};

struct slot {
    struct slot_env env;
    struct slot_config cfg;
    struct reset_gpio *reset_lines; /* reset = gpio: EN/IO0, held while the slot lives */
    enum slot_state state;
    enum slot_activity act;
    struct flash_job *job;
    struct port *check_port;        /* ACT_PORT_CHECK: does the port open? */
    bool check_ok;
    uv_timer_t timer;               /* next probe / poll */
    bool closing;
    void (*closed_cb)(void *ctx);
    void *closed_ctx;
    int handles_open;

    bool awaiting_removal;          /* auto, hotplug: the unit is done, board still in */
    int presence_misses;
    bool blink_pending, identifying;
    bool abort_requested;
    bool start_pending;             /* start once the quiet probe has stopped */
    bool port_lost;                 /* the last unit ended because the port died */
    bool reenumerating;             /* usb-jtag: waiting for the node after a reset */
    int reenumeration_tries;
    bool sync_without_reset;        /* the next unit job syncs without a reset */

    /* the unit in progress */
    struct bundle *bundle;          /* our reference while the unit runs */
    struct flash_job_region *regions;
    struct slot_region_info *region_info;
    size_t n_regions;
    struct slot_identity id;
    int64_t attempt_id;             /* 0 = no attempt on record */
    uint64_t bytes_written;         /* this attempt, every job */
    uint32_t baud;                  /* the rate this attempt works at */
    bool retrying;                  /* second attempt one baud rung lower */
    uint32_t failed_baud;
    struct loader_error first_error;
    char first_advice[SLOT_TEXT];
    char refusal_advice[SLOT_TEXT];
    const char *phase;              /* NULL between units */
    uint64_t bytes_done, bytes_total, written_before;
    uint64_t phase_started_us, last_progress_us, unit_started_us;
    double rate;
    unsigned skipped_regions;

    /* what the board said about itself */
    bool have_chip;
    struct loader_chip_info chip;

    /* the last unit's outcome */
    char last_result[8];            /* "pass", "fail", "" */
    char error_phase[32], cause[SLOT_TEXT], advice[SLOT_TEXT];
    double last_seconds;
    unsigned passed, failed;
    char serial[SDB_SERIAL_MAX + 1];    /* the board's (now or last), "" = none */
    char fingerprint[65];               /* its certificate's SHA-256 */

    uint8_t boot_log[SLOT_BOOT_LOG_KEEP];   /* a ring: the newest bytes */
    size_t boot_log_len, boot_log_head;
};

/* slot.c */
void slot_set_state(struct slot *s, enum slot_state st);
/* The loader's reset strategy for this slot's wiring. */
enum loader_reset slot_loader_reset(const struct slot *s);
void slot_publish(struct slot *s, const struct jig_event *ev);
void slot_unit_ended(struct slot *s);    /* the unit's job is gone: what next */
bool slot_port_is_local(const struct slot *s);

/* slot_unit.c */
int slot_unit_start(struct slot *s, uint32_t baud, int connect_attempts, char *err,
                    size_t errlen);
void slot_unit_release(struct slot *s);  /* drop the bundle reference and regions */
/* Records the unit's outcome (e NULL = pass) and moves the slot on. */
void slot_unit_finish(struct slot *s, const struct loader_error *e, const char *advice);
extern const struct flash_job_callbacks slot_unit_callbacks;
const char *slot_phase_token(enum flash_job_step_kind k);
const char *slot_advice_for(const struct loader_error *e);
const char *slot_loader_phase_token(enum loader_phase p);

/* A failure making the board's identity (serial, key, certificate,
 * partitions): reported in phase "identity". */
#define SLOT_ERR_IDENTITY 120

/* slot_identity.c */
/* Adds the per-unit partitions to the plan (regions already hold the kept
 * bundle parts); called by slot_unit_start. */
bool slot_identity_wanted(const struct slot *s);
/* After the board checks passed: the unit, its serial, key, certificate
 * and partitions. May hold the job while a key is made. false = refuse. */
bool slot_identity_on_identified(struct slot *s, struct flash_job *j,
                                 struct loader_error *why);
/* Zeroises and frees the identity (after the last job of the attempt). */
void slot_identity_release(struct slot *s);
/* Per-unit partitions of the bundle's table: NVS, esp_secure_cert. */
size_t slot_identity_partitions(const struct slot *s, const struct bundle *b,
                                const struct pt_entry *out[2]);

/* slot_record.c */
void slot_record_begin(struct slot *s);
void slot_record_parts(struct slot *s);     /* the per-unit parts, once made */
void slot_record_steps(struct slot *s, struct flash_job *j);   /* before freeing j */
void slot_record_phase(struct slot *s, const char *phase, int64_t started_ms,
                       int64_t duration_ms, uint64_t bytes);
void slot_record_end(struct slot *s, const struct loader_error *e);
int64_t slot_wall_ms(void);

/* slot_json.c */
void slot_boot_log_append(struct slot *s, const uint8_t *data, size_t n);
void slot_boot_log_clear(struct slot *s);

#endif
