/* One board's unit job in a slot: the flash_job configured from the active
 * bundle, the board checks that must pass before anything is written, the
 * events every step sends, and the one retry a lower baud rate earns. */
#include "slot_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "port.h"

#define PROGRESS_EVERY_US 250000u   /* progress events per slot: 4 a second */

static uint64_t now_us(void)
{
    return uv_hrtime() / 1000;
}

const char *slot_phase_token(enum flash_job_step_kind k)
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

const char *slot_loader_phase_token(enum loader_phase p)
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

/* What the operator should do about a failure, by where and how it failed. */
const char *slot_advice_for(const struct loader_error *e)
{
    switch (e->code) {
    case FLASH_JOB_ERR_CANCELLED:
        return "the unit was aborted; start it again when ready";
    case FLASH_JOB_ERR_PORT:
        return "check the USB cable and adapter of this position (for rfc2217://, that the "
               "server runs); the slot resumes by itself when the port is back";
    case FLASH_JOB_ERR_STUB:
        return "reinstall the flasher stubs (npm ci) or set stub_dir = (empty) in jigd.conf "
               "to flash through the ROM loader";
    case LOADER_ERR_VERIFY:
        return "the flash does not keep what was written: reseat the board and run it again; "
               "if it repeats, set the board aside (faulty flash, or a part smaller than its "
               "ID claims)";
    case LOADER_ERR_NO_SYNC:
        return "no answer from the ROM loader: check that the board is seated and powered "
               "and that the BOOT/EN wiring (DTR/RTS) works";
    }
    switch (e->phase) {
    case LOADER_PHASE_CONNECT:
        return "no answer from the ROM loader: check that the board is seated and powered "
               "and that the BOOT/EN wiring (DTR/RTS) works";
    case LOADER_PHASE_WRITE:
    case LOADER_PHASE_VERIFY:
        return "the board stopped answering or refused the data: check its power supply "
               "(brownout), the cable and the seating, then run it again";
    case LOADER_PHASE_BAUD:
        return "the adapter does not carry the higher rate: lower max_baud for this slot";
    default:
        return "reseat the board and run it again; if it repeats, set the board aside";
    }
}

void slot_unit_release(struct slot *s)
{
    bundle_unref(s->bundle);
    s->bundle = NULL;
    free(s->regions);
    free(s->region_info);
    s->regions = NULL;
    s->region_info = NULL;
    s->n_regions = 0;
}

static bool overlaps(const struct loader_region *r, const struct pt_entry *e)
{
    return r->offset < e->offset + e->size && e->offset < r->offset + r->size;
}

/* The write plan: the bundle's parts, then the per-unit partitions (data
 * made after identify). A bundle part inside a per-unit partition (a
 * bundle that ships its own nvs.bin) is left out: the board's own wins. */
static int plan_regions(struct slot *s, const struct bundle *b, char *err, size_t errlen)
{
    const struct pt_entry *unit_parts[2];
    size_t n_unit = slot_identity_partitions(s, b, unit_parts);
    size_t cap = b->n_parts + n_unit;
    s->regions = calloc(cap, sizeof *s->regions);
    s->region_info = calloc(cap, sizeof *s->region_info);
    if (!s->regions || !s->region_info) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < b->n_parts; i++) {
        bool replaced = false;
        for (size_t k = 0; k < n_unit; k++)
            replaced |= overlaps(&b->parts[i].region, unit_parts[k]);
        if (replaced)
            continue;
        s->regions[n].region = b->parts[i].region;
        memcpy(s->regions[n].md5, b->parts[i].md5, sizeof s->regions[n].md5);
        s->regions[n].md5_known = true;
        s->region_info[n].part = &b->parts[i];
        s->region_info[n++].name = b->parts[i].file;
    }
    for (size_t k = 0; k < n_unit; k++) {
        s->regions[n].region.offset = unit_parts[k]->offset;
        s->regions[n].region.size = unit_parts[k]->size;
        s->regions[n].late = true;
        s->region_info[n].name = unit_parts[k]->name;
        s->region_info[n++].per_unit = true;
    }
    s->n_regions = n;
    return 0;
}

int slot_unit_start(struct slot *s, uint32_t baud, int connect_attempts, char *err,
                    size_t errlen)
{
    struct bundle *b = *s->env.bundle;
    if (!b) {
        snprintf(err, errlen, "no bundle is loaded");
        return -1;
    }
    if (plan_regions(s, b, err, errlen) < 0) {
        slot_unit_release(s);
        return -1;
    }
    s->bundle = bundle_ref(b);
    struct flash_job_config c = {
        .port = s->cfg.port,
        .action = FLASH_JOB_WRITE,
        .reset = s->sync_without_reset ? LOADER_RESET_NONE : slot_loader_reset(s),
        .reset_lines = s->reset_lines,
        .baud = baud > 115200 ? baud : 0,
        .stub_dir = s->env.stub_dir,
        .hard_reset = true,
        .regions = s->regions,
        .n_regions = s->n_regions,
        .connect_attempts = connect_attempts,
        .skip_matching = true,
        .verify_after_all = true,
        .boot_log_ms = s->env.boot_log_ms,
    };
    s->job = flash_job_new(s->env.loop, &c, &slot_unit_callbacks, s, err, errlen);
    if (!s->job) {
        slot_unit_release(s);
        return -1;
    }
    slot_record_begin(s);   /* once per unit: a retry goes on with the same attempt */
    s->act = ACT_UNIT;
    s->baud = baud;
    s->phase = "connect";
    s->bytes_done = s->written_before = 0;
    s->bytes_total = 0;
    for (size_t i = 0; i < s->n_regions; i++)
        s->bytes_total += s->regions[i].region.size;
    s->rate = 0;
    s->skipped_regions = 0;
    s->have_chip = false;
    if (!s->retrying)
        s->serial[0] = s->fingerprint[0] = '\0';
    s->unit_started_us = now_us();
    slot_boot_log_clear(s);
    flash_job_start(s->job);
    return 0;
}

/* ---- job callbacks ----------------------------------------------------- */

static void on_step(struct flash_job *j, const struct flash_job_step *step)
{
    struct slot *s = flash_job_owner(j);
    if (step->kind == STEP_OPEN)
        return;         /* connect follows at once and says the same */
    s->phase = slot_phase_token(step->kind);
    s->phase_started_us = step->started_us;
    char msg[160] = "";
    if (step->kind == STEP_WRITE || step->kind == STEP_VERIFY || step->kind == STEP_CHECK) {
        const struct loader_region *r = &s->regions[step->region].region;
        snprintf(msg, sizeof msg, "0x%x %s%s (%zu bytes)", r->offset,
                 s->region_info[step->region].name,
                 s->region_info[step->region].per_unit ? " (this unit's)" : "", r->size);
        if (step->kind == STEP_WRITE) {
            s->written_before = 0;
            for (size_t i = 0; i < step->region; i++)
                s->written_before += s->regions[i].region.size;
            s->bytes_done = s->written_before;
        }
    } else if (step->kind == STEP_BAUD) {
        snprintf(msg, sizeof msg, "%u baud", s->baud);
    }
    if (s->state != SLOT_RUNNING)
        slot_set_state(s, SLOT_RUNNING);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = s->phase,
                           .message = msg[0] ? msg : NULL, .rate = -1};
    slot_publish(s, &ev);
}

static void on_progress(struct flash_job *j, const struct flash_job_step *step,
                        uint64_t done, uint64_t total)
{
    struct slot *s = flash_job_owner(j);
    if (step->kind != STEP_WRITE)
        return;
    uint64_t now = now_us();
    s->bytes_done = s->written_before + done;
    double secs = (double)(now - step->started_us) / 1e6;
    s->rate = secs > 0 ? (double)done / secs : 0;
    if (done < total && now - s->last_progress_us < PROGRESS_EVERY_US)
        return;
    s->last_progress_us = now;
    struct jig_event ev = {.kind = EVENT_PROGRESS, .state = "running", .phase = "write",
                           .bytes_done = s->bytes_done, .bytes_total = s->bytes_total,
                           .rate = s->rate};
    slot_publish(s, &ev);
}

static void format_mac(const uint8_t m[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The board checks: everything that would make writing pointless or
 * harmful, decided before the first byte goes to its flash. */
static bool on_identified(struct flash_job *j, const struct loader_chip_info *info,
                          struct loader_error *why)
{
    struct slot *s = flash_job_owner(j);
    const struct bundle *b = s->bundle;
    s->chip = *info;
    s->have_chip = true;
    char mac[18], msg[200];
    format_mac(info->mac, mac);
    snprintf(msg, sizeof msg, "%s rev %d.%d, flash %u KB", info->chip ? info->chip->name : "?",
             info->revision / 100, info->revision % 100, info->flash_size / 1024);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "identify",
                           .mac = mac, .message = msg, .rate = -1};
    slot_publish(s, &ev);

    char *m = why->message, *adv = s->refusal_advice;
    size_t mcap = sizeof why->message, acap = sizeof s->refusal_advice;
    if (info->chip != b->chip) {
        snprintf(m, mcap, "board is %s but the bundle is for %s: wrong board in slot %d?",
                 info->chip ? info->chip->name : "an unknown chip", b->chip->name, s->cfg.index);
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
                 "board variant in slot %d?", info->flash_size / 1024, b->flash_size / 1024,
                 s->cfg.index);
        snprintf(adv, acap, "use a board with %u KB of flash, or a bundle built for %u KB",
                 b->flash_size / 1024, info->flash_size / 1024);
        return false;
    }
    if (!bundle_app_fits_revision(b, info->revision, m, mcap)) {
        snprintf(adv, acap, "this chip revision cannot run the app: set the board aside, or "
                 "rebuild the app for a wider chip revision range");
        return false;
    }
    return slot_identity_on_identified(s, j, why);
}

static void on_region_skipped(struct flash_job *j, size_t region)
{
    struct slot *s = flash_job_owner(j);
    s->skipped_regions++;
    char msg[160];
    snprintf(msg, sizeof msg, "0x%x %s already holds this content: not rewritten",
             s->regions[region].region.offset, s->region_info[region].name);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "skip",
                           .message = msg, .rate = -1};
    slot_publish(s, &ev);
}

static void on_boot_log(struct flash_job *j, const uint8_t *data, size_t n)
{
    slot_boot_log_append(flash_job_owner(j), data, n);
}

/* A failure a slower rate may cure: the rate change itself, or a transfer
 * that timed out or arrived garbled. */
static bool baud_may_cure(const struct slot *s, const struct loader_error *e)
{
    if (s->retrying || s->abort_requested || s->closing || s->baud <= 115200)
        return false;
    if (e->phase == LOADER_PHASE_BAUD && e->code != FLASH_JOB_ERR_PORT)
        return true;
    bool transfer = e->phase == LOADER_PHASE_WRITE || e->phase == LOADER_PHASE_VERIFY;
    return transfer && (e->code == LOADER_ERR_TIMEOUT || e->code == LOADER_ERR_PROTOCOL);
}

static bool retry_slower(struct slot *s, const struct loader_error *e)
{
    uint32_t lower = slot_baud_below(s->baud);
    if (!lower)
        return false;
    s->first_error = *e;
    snprintf(s->first_advice, sizeof s->first_advice, "%s", slot_advice_for(e));
    s->failed_baud = s->baud;
    char msg[300];
    snprintf(msg, sizeof msg, "%s at %u baud failed (%s); trying once more at %u baud",
             slot_loader_phase_token(e->phase), s->baud, e->message, lower);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "retry",
                           .message = msg, .rate = -1};
    slot_publish(s, &ev);
    slot_unit_release(s);
    s->retrying = true;
    char err[200];
    if (slot_unit_start(s, lower, 3, err, sizeof err) < 0) {
        s->retrying = false;
        return false;
    }
    return true;
}

/* ---- USB-Serial/JTAG ---------------------------------------------------
 * A chip with its own USB port drops off the bus when it resets and comes
 * back as a new device node. Through a /dev/serial/by-id/ path (which
 * names the chip, not the node) the slot reopens the same name and so
 * follows it; a local name is looked for before each try, a network port
 * (whose server drops the client while the device is gone) can only be
 * tried. Tested against espsim's USB-Serial/JTAG model (jigd/usb_jtag). */

#define REENUMERATION_WAIT_MS 500
#define REENUMERATION_TRIES 10      /* 5 s for the node to come back */

static bool usb_jtag_port_drop(const struct slot *s, const struct loader_error *e)
{
    return s->cfg.reset == SLOT_RESET_USB_JTAG && e && e->code == FLASH_JOB_ERR_PORT
        && !s->abort_requested && !s->closing;
}

static void on_reenumeration_wait(uv_timer_t *t);

static void wait_for_reenumeration(struct slot *s)
{
    slot_unit_release(s);
    uv_timer_start(&s->timer, on_reenumeration_wait, REENUMERATION_WAIT_MS, 0);
    s->act = ACT_UNIT;      /* still this unit: nothing else may start */
}

static void on_reenumeration_wait(uv_timer_t *t)
{
    struct slot *s = t->data;
    bool last = ++s->reenumeration_tries >= REENUMERATION_TRIES;
    if (!last && slot_port_is_local(s) && !port_tty_present(s->cfg.port)) {
        uv_timer_start(&s->timer, on_reenumeration_wait, REENUMERATION_WAIT_MS, 0);
        return;
    }
    /* The reset already put the chip in its loader: sync without another
     * reset, which would only drop it off the bus again. */
    char err[200];
    s->sync_without_reset = true;
    int r = slot_unit_start(s, s->baud, 3, err, sizeof err);
    s->sync_without_reset = false;
    if (r < 0) {
        struct loader_error e = {.phase = LOADER_PHASE_CONNECT, .code = FLASH_JOB_ERR_PORT};
        snprintf(e.message, sizeof e.message, "%s did not come back after the reset: %s",
                 s->cfg.port, err);
        s->reenumerating = false;
        slot_unit_finish(s, &e, slot_advice_for(&e));
    }
}

/* True when the drop was the re-enumeration and the unit goes on: the
 * first drop at connect, and each try that finds the port not back yet
 * while tries remain. */
static bool follow_reenumeration(struct slot *s, const struct loader_error *e)
{
    if (!usb_jtag_port_drop(s, e) || e->phase != LOADER_PHASE_CONNECT)
        return false;
    if (s->reenumerating) {
        if (s->reenumeration_tries >= REENUMERATION_TRIES)
            return false;
        wait_for_reenumeration(s);
        return true;
    }
    s->reenumerating = true;
    s->reenumeration_tries = 0;
    char msg[300];
    snprintf(msg, sizeof msg, "%s went away during the reset (USB-Serial/JTAG "
             "re-enumerates); waiting for it to come back", s->cfg.port);
    struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "connect",
                           .message = msg, .rate = -1};
    slot_publish(s, &ev);
    wait_for_reenumeration(s);
    return true;
}

static void record_result(struct slot *s, const struct loader_error *e, const char *advice)
{
    s->last_seconds = (double)(now_us() - s->unit_started_us) / 1e6;
    s->phase = NULL;
    char mac[18];
    format_mac(s->chip.mac, mac);
    if (!e) {
        s->passed++;
        snprintf(s->last_result, sizeof s->last_result, "pass");
        s->error_phase[0] = s->cause[0] = s->advice[0] = '\0';
        char msg[SLOT_TEXT] = "";
        if (s->fingerprint[0])
            snprintf(msg, sizeof msg, "certificate %s", s->fingerprint);
        struct jig_event ev = {.kind = EVENT_RESULT, .state = "passed", .result = "pass",
                               .mac = s->have_chip ? mac : NULL,
                               .serial = s->serial[0] ? s->serial : NULL,
                               .message = msg[0] ? msg : NULL, .rate = -1};
        slot_publish(s, &ev);
        return;
    }
    s->failed++;
    snprintf(s->last_result, sizeof s->last_result, "fail");
    snprintf(s->error_phase, sizeof s->error_phase, "%s", e->code == SLOT_ERR_IDENTITY
             ? "identity" : slot_loader_phase_token(e->phase));
    snprintf(s->cause, sizeof s->cause, "%s", e->message);
    snprintf(s->advice, sizeof s->advice, "%s", advice);
    struct jig_event err = {.kind = EVENT_ERROR, .state = "failed",
                            .error_phase = s->error_phase, .cause = s->cause,
                            .advice = s->advice, .rate = -1};
    slot_publish(s, &err);
    struct jig_event ev = {.kind = EVENT_RESULT, .state = "failed", .result = "fail",
                           .error_phase = s->error_phase, .cause = s->cause,
                           .advice = s->advice, .mac = s->have_chip ? mac : NULL,
                           .serial = s->serial[0] ? s->serial : NULL, .rate = -1};
    slot_publish(s, &ev);
}

static void on_done(struct flash_job *j, const struct loader_error *err)
{
    struct slot *s = flash_job_owner(j);
    /* err lives in the job: keep a copy before letting the job go. */
    struct loader_error copy = err ? *err : (struct loader_error){0};
    const struct loader_error *e = err ? &copy : NULL;
    slot_record_steps(s, j);
    s->job = NULL;
    flash_job_free(j);
    if (e && s->id.failed) {
        /* Making the identity failed (the job was refused or cancelled for
         * it): that is what the operator needs to read. */
        copy.code = SLOT_ERR_IDENTITY;
        snprintf(copy.message, sizeof copy.message, "%s", s->id.cause);
    }
    s->act = ACT_NONE;
    if (e && baud_may_cure(s, e) && retry_slower(s, e))
        return;
    if (follow_reenumeration(s, e))
        return;
    if (usb_jtag_port_drop(s, e) && e->phase == LOADER_PHASE_RESET) {
        /* Every region verified; the chip left the bus to boot its app. */
        struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "reset",
                               .message = "the board re-enumerated to run its app: no boot "
                                          "log over USB-Serial/JTAG", .rate = -1};
        slot_publish(s, &ev);
        e = NULL;
    }
    struct loader_error reported;
    const char *advice = NULL;
    if (e) {
        reported = *e;
        advice = e->code == FLASH_JOB_ERR_REFUSED ? s->refusal_advice
               : e->code == SLOT_ERR_IDENTITY ? s->id.advice : slot_advice_for(e);
        if (s->retrying) {
            /* The first failure is the one that says what went wrong. */
            reported = s->first_error;
            advice = s->first_advice;
        }
        if (s->abort_requested && e->code == FLASH_JOB_ERR_CANCELLED)
            snprintf(reported.message, sizeof reported.message,
                     "aborted by the operator during %s", slot_loader_phase_token(e->phase));
    } else if (s->retrying) {
        slot_baud_remember(s->env.baud, s->cfg.port, s->baud);
        char msg[200];
        snprintf(msg, sizeof msg, "%u baud failed on %s and %u worked: this adapter runs at "
                 "%u from now on", s->failed_baud, s->cfg.port, s->baud, s->baud);
        struct jig_event ev = {.kind = EVENT_SLOT, .state = "running", .phase = "baud",
                               .message = msg, .rate = -1};
        slot_publish(s, &ev);
    }
    slot_unit_finish(s, e ? &reported : NULL, advice);
}

void slot_unit_finish(struct slot *s, const struct loader_error *e, const char *advice)
{
    s->act = ACT_NONE;
    s->reenumerating = false;
    s->port_lost = e && e->code == FLASH_JOB_ERR_PORT;
    record_result(s, e, advice);
    slot_record_end(s, e);
    slot_identity_release(s);
    s->retrying = false;
    slot_unit_release(s);
    slot_unit_ended(s);
}

const struct flash_job_callbacks slot_unit_callbacks = {
    .on_step = on_step,
    .on_progress = on_progress,
    .on_done = on_done,
    .on_identified = on_identified,
    .on_region_skipped = on_region_skipped,
    .on_boot_log = on_boot_log,
};
