/* daemon/flash_job's promises, against a running espsim board:
 *   - steps run in order and each reports a start and an end time;
 *   - cancelling mid-write ends the job once, with the write phase named,
 *     and leaves nothing open on the loop (uv_loop_close succeeds);
 *   - the owner may free the job inside on_done;
 *   - a second job's MD5 of the region matches what the first one wrote;
 *   - after a cancelled job the board answers a new one (the port was
 *     released);
 *   - unusable configs are refused, and an unopenable port ends through
 *     on_done, never inside flash_job_start.
 * usage: test_flash_job rfc2217://127.0.0.1:PORT STUB_DIR
 * (flash_espsim.sh job_lifecycle starts the board and runs this). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "flash_job.h"
#include "mbedtls_compat.h"
#include "zimage.h"

static const char *port_url, *stub_dir;

#define IMAGE_SIZE (256 * 1024)

struct run {
    bool cancel_in_write;
    bool free_in_done;
    bool done;
    int done_calls;
    struct loader_error err;
    bool failed;
    size_t progress_calls;
    enum flash_job_step_kind last_started;
    size_t steps_started;
};

static void on_step(struct flash_job *j, const struct flash_job_step *s)
{
    struct run *r = flash_job_owner(j);
    r->last_started = s->kind;
    r->steps_started++;
}

static void on_progress(struct flash_job *j, const struct flash_job_step *s, uint64_t done,
                        uint64_t total)
{
    struct run *r = flash_job_owner(j);
    r->progress_calls++;
    assert_true(done <= total);
    if (r->cancel_in_write && s->kind == STEP_WRITE && done > 0)
        flash_job_cancel(j);
}

static void on_done(struct flash_job *j, const struct loader_error *err)
{
    struct run *r = flash_job_owner(j);
    r->done_calls++;
    r->done = true;
    r->failed = err != NULL;
    if (err)
        r->err = *err;
    if (r->free_in_done)
        flash_job_free(j);
}

static const struct flash_job_callbacks callbacks = {
    .on_step = on_step, .on_progress = on_progress, .on_done = on_done,
};

static uint8_t *make_image(void)
{
    uint8_t *img = malloc(IMAGE_SIZE);
    uint32_t x = 12345;
    for (size_t i = 0; i < IMAGE_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        img[i] = (uint8_t)(x >> 16) & (i % 3 ? 0xFF : 0x0F);
    }
    return img;
}

/* Runs one job to its end on a fresh loop; the loop must close cleanly. */
static struct flash_job *run_job(struct flash_job_config *cfg, struct run *r)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[200];
    struct flash_job *j = flash_job_new(&loop, cfg, &callbacks, r, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(flash_job_start(j), 0);
    assert_int_equal(flash_job_start(j), -1);   /* only once */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(r->done);
    assert_int_equal(r->done_calls, 1);
    assert_int_equal(uv_loop_close(&loop), 0);  /* port and timer all closed */
    return r->free_in_done ? NULL : j;
}

static void test_write_then_md5(void **state)
{
    uint8_t *img = make_image();
    struct flash_job_region region = {0};
    assert_int_equal(zimage_region(&region.region, 0x20000, img, IMAGE_SIZE), 0);
    struct flash_job_config cfg = {
        .port = port_url, .action = FLASH_JOB_WRITE, .reset = LOADER_RESET_CLASSIC,
        .baud = 921600, .stub_dir = stub_dir, .regions = &region, .n_regions = 1,
    };
    struct run r = {0};
    struct flash_job *j = run_job(&cfg, &r);
    if (r.failed)
        fail_msg("write failed: %s", r.err.message);
    assert_true(flash_job_stub_running(j));     /* no hard reset was asked for */
    assert_true(r.progress_calls > 0);

    /* The step log: planned order, each with start <= end. */
    size_t n;
    const struct flash_job_step *steps = flash_job_steps(j, &n);
    const enum flash_job_step_kind want[] = {STEP_OPEN, STEP_CONNECT, STEP_IDENTIFY,
                                             STEP_STUB, STEP_BAUD, STEP_WRITE, STEP_VERIFY};
    assert_true(n >= sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(steps[i].kind, want[i]);
        assert_true(steps[i].started_us > 0);
        assert_true(steps[i].ended_us >= steps[i].started_us);
        if (i)
            assert_true(steps[i].started_us >= steps[i - 1].ended_us);
    }
    uint8_t want_md5[16];
    md5_once(img, IMAGE_SIZE, want_md5);
    assert_memory_equal(region.md5, want_md5, 16);
    flash_job_free(j);

    /* A second job reads the MD5 back and frees itself in on_done. */
    struct flash_job_config md5 = {
        .port = port_url, .action = FLASH_JOB_MD5, .reset = LOADER_RESET_CLASSIC,
        .stub_dir = stub_dir, .offset = 0x20000, .size = IMAGE_SIZE,
    };
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[200];
    struct run r2 = {0};
    j = flash_job_new(&loop, &md5, &callbacks, &r2, err, sizeof err);
    assert_non_null(j);
    flash_job_start(j);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(r2.done);
    if (r2.failed)
        fail_msg("md5 failed: %s", r2.err.message);
    assert_memory_equal(flash_job_md5(j), want_md5, 16);
    flash_job_free(j);
    assert_int_equal(uv_loop_close(&loop), 0);

    free((void *)region.region.zdata);
    free(img);
}

/* A region whose MD5 the caller gives (a bundle part's) is verified against
 * that MD5, not one the job computes: a wrong one fails the verify, quoted
 * as expected, and is left as it was. */
static void test_given_md5_is_used(void **state)
{
    static uint8_t data[4096];
    memset(data, 0xA5, sizeof data);
    struct flash_job_region region = {
        .region = {.offset = 0x90000, .data = data, .size = sizeof data},
        .md5_known = true,
    };
    memset(region.md5, 0x5A, sizeof region.md5);
    struct flash_job_config cfg = {
        .port = port_url, .action = FLASH_JOB_WRITE, .reset = LOADER_RESET_CLASSIC,
        .stub_dir = stub_dir, .regions = &region, .n_regions = 1,
    };
    struct run r = {.free_in_done = true};
    run_job(&cfg, &r);
    assert_true(r.failed);
    assert_int_equal(r.err.code, LOADER_ERR_VERIFY);
    assert_non_null(strstr(r.err.message, "expected 5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
    for (size_t i = 0; i < sizeof region.md5; i++)
        assert_int_equal(region.md5[i], 0x5A);
}

static void test_cancel_mid_write(void **state)
{
    uint8_t *img = make_image();
    struct flash_job_region region = {
        .region = {.offset = 0x60000, .data = img, .size = IMAGE_SIZE},   /* uncompressed */
    };
    struct flash_job_config cfg = {
        .port = port_url, .action = FLASH_JOB_WRITE, .reset = LOADER_RESET_CLASSIC,
        .baud = 921600, .stub_dir = stub_dir, .regions = &region, .n_regions = 1,
        .hard_reset = true,
    };
    struct run r = {.cancel_in_write = true, .free_in_done = true};
    run_job(&cfg, &r);
    assert_true(r.failed);
    assert_int_equal(r.err.code, LOADER_ERR_CANCELLED);
    assert_int_equal(r.err.phase, PHASE_WRITE);
    assert_non_null(strstr(r.err.message, "cancelled during write"));
    assert_int_equal(r.last_started, STEP_WRITE);  /* nothing ran after the cancel */

    /* The board and the port are free again: a new job connects. */
    struct flash_job_config id = {
        .port = port_url, .action = FLASH_JOB_IDENTIFY, .reset = LOADER_RESET_CLASSIC,
    };
    struct run r2 = {.free_in_done = true};
    run_job(&id, &r2);
    if (r2.failed)
        fail_msg("identify after cancel failed: %s", r2.err.message);
    free(img);
}

static void test_bad_configs_are_refused(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[200];
    struct run r = {0};
    struct flash_job_config none = {.port = port_url, .action = FLASH_JOB_WRITE};
    assert_null(flash_job_new(&loop, &none, &callbacks, &r, err, sizeof err));
    assert_non_null(strstr(err, "nothing to write"));
    struct flash_job_config read = {.port = port_url, .action = FLASH_JOB_READ, .size = 16};
    assert_null(flash_job_new(&loop, &read, &callbacks, &r, err, sizeof err));
    /* A port URL nobody can open ends through on_done, not in start. */
    struct flash_job_config bad = {.port = "nonsense", .action = FLASH_JOB_IDENTIFY};
    struct flash_job *j = flash_job_new(&loop, &bad, &callbacks, &r, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(flash_job_start(j), 0);
    assert_false(r.done);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(r.done && r.failed);
    assert_int_equal(r.err.code, LOADER_ERR_PORT);
    flash_job_free(j);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_flash_job rfc2217://HOST:PORT STUB_DIR\n");
        return 2;
    }
    port_url = argv[1];
    stub_dir = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_configs_are_refused),
        cmocka_unit_test(test_write_then_md5),
        cmocka_unit_test(test_given_md5_is_used),
        cmocka_unit_test(test_cancel_mid_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
