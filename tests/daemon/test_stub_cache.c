/* The stub cache: a stub file is decoded once and then shared, a replaced
 * file is read again while the old stub stays valid for whoever holds it,
 * and failures are reported with the job's words and never remembered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chip.h"
#include "stub_cache.h"

/* "QUJD" is "ABC", "REVG" is "DEF". */
#define STUB_ABC "{\"entry\":1,\"text\":\"QUJD\",\"text_start\":2}"
#define STUB_DEF "{\"entry\":1,\"text\":\"REVG\",\"text_start\":2}"

struct fixture {
    char dir[64];
    char path[128];
    const struct chip_desc *chip;
};

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Writes beside, then renames over: a new file, as npm ci leaves it. */
static void replace_stub(struct fixture *f, const char *text)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.new", f->path);
    write_text(tmp, text);
    assert_int_equal(rename(tmp, f->path), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/stub-cache.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->chip = chip_by_name("esp32c3");
    snprintf(f->path, sizeof f->path, "%s/%s.json", f->dir, f->chip->stub_name);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    stub_cache_clear();
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static const struct stub_image *acquire(struct fixture *f)
{
    char err[200];
    const struct stub_image *s = stub_cache_acquire(f->dir, f->chip, f->chip->stub_name, err,
                                                    sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static void decoded_once_then_shared(void **state)
{
    struct fixture *f = *state;
    write_text(f->path, STUB_ABC);
    const struct stub_image *a = acquire(f);
    assert_int_equal(a->text_len, 3);
    assert_memory_equal(a->text, "ABC", 3);
    assert_int_equal(a->entry, 1);
    const struct stub_image *b = acquire(f);
    assert_ptr_equal(a, b);
    stub_cache_release(a);
    stub_cache_release(b);
    const struct stub_image *c = acquire(f);
    assert_ptr_equal(c, a);     /* released by all, still kept */
    stub_cache_release(c);
}

static void a_reinstalled_stub_is_read_again(void **state)
{
    struct fixture *f = *state;
    write_text(f->path, STUB_ABC);
    const struct stub_image *old = acquire(f);
    replace_stub(f, STUB_DEF);
    const struct stub_image *fresh = acquire(f);
    assert_ptr_not_equal(fresh, old);
    assert_memory_equal(fresh->text, "DEF", 3);
    assert_memory_equal(old->text, "ABC", 3);   /* still the holder's to use */
    stub_cache_release(old);
    const struct stub_image *again = acquire(f);
    assert_ptr_equal(again, fresh);
    stub_cache_release(again);
    stub_cache_release(fresh);
}

static void a_missing_stub_is_not_remembered(void **state)
{
    struct fixture *f = *state;
    char err[200];
    assert_null(stub_cache_acquire(f->dir, f->chip, f->chip->stub_name, err, sizeof err));
    assert_non_null(strstr(err, "no flasher stub for ESP32-C3: cannot open"));
    assert_non_null(strstr(err, "/esp32c3.json"));
    /* What to do is the caller's: jigd has no --no-stub (it has stub_dir =). */
    assert_null(strstr(err, "--no-stub"));
    write_text(f->path, STUB_ABC);
    const struct stub_image *s = acquire(f);
    assert_memory_equal(s->text, "ABC", 3);
    stub_cache_release(s);
}

static void an_unusable_stub_is_named(void **state)
{
    struct fixture *f = *state;
    write_text(f->path, "{\"entry\":1}");
    char err[200];
    assert_null(stub_cache_acquire(f->dir, f->chip, f->chip->stub_name, err, sizeof err));
    assert_non_null(strstr(err, "is unusable"));
    assert_non_null(strstr(err, "\"text\""));
    replace_stub(f, STUB_DEF);
    const struct stub_image *s = acquire(f);
    assert_memory_equal(s->text, "DEF", 3);
    stub_cache_release(s);
}

/* Cleared while a job holds a stub: the stub lives until released. */
static void clear_leaves_held_stubs_to_their_holders(void **state)
{
    struct fixture *f = *state;
    write_text(f->path, STUB_ABC);
    const struct stub_image *held = acquire(f);
    stub_cache_clear();
    assert_memory_equal(held->text, "ABC", 3);
    const struct stub_image *again = acquire(f);
    assert_ptr_not_equal(again, held);
    stub_cache_release(held);
    stub_cache_release(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(decoded_once_then_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(a_reinstalled_stub_is_read_again, setup, teardown),
        cmocka_unit_test_setup_teardown(a_missing_stub_is_not_remembered, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unusable_stub_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(clear_leaves_held_stubs_to_their_holders, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
