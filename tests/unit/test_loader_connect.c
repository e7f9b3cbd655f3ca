/* The loader's connect: reset sequences, SYNC with retries and the
 * 8-reply rule, chip detection (rom-protocol.md §4.2, §5, §6.4), against
 * fake_device, a scripted fake board (see fake_device.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_device.h"

#define MAX_STEPS 200000

static struct loader *new_loader(enum loader_reset reset)
{
    struct loader *l = malloc(sizeof *l);
    assert_non_null(l);
    struct loader_config cfg;
    loader_config_default(&cfg);
    cfg.reset = reset;
    loader_init(l, &cfg);
    return l;
}

static struct fake_run connect(struct loader *l, struct fake_device *d, uint64_t *now)
{
    assert_int_equal(loader_start_connect(l, *now), 0);
    struct fake_run r = fake_drive(l, d, now, 7, MAX_STEPS);
    assert_true(r.finished);
    assert_false(r.stalled);
    return r;
}

static void test_sync_packet_is_byte_exact(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);

    /* §5: C0, 00 08 2400 00000000, 07 07 12 20, 32 x 55, C0 */
    uint8_t want[46] = {0xC0, 0x00, 0x08, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
                        0x07, 0x07, 0x12, 0x20};
    memset(want + 13, 0x55, 32);
    want[45] = 0xC0;
    const struct fake_cmd *sync = fake_find(d, 0x08, 0);
    assert_non_null(sync);
    assert_int_equal(sync->raw_len, sizeof want);
    assert_memory_equal(sync->raw, want, sizeof want);

    /* READ_REG of the magic register: C0 00 0A 0400 00000000 00100040 C0 */
    static const uint8_t magic[] = {0xC0, 0x00, 0x0A, 0x04, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x10, 0x00, 0x40, 0xC0};
    const struct fake_cmd *rr = fake_find(d, 0x0A, 0);
    assert_non_null(rr);
    assert_int_equal(rr->raw_len, sizeof magic);
    assert_memory_equal(rr->raw, magic, sizeof magic);
    free(l);
    fake_free(d);
}

static void test_esp32_with_boot_text_noise_and_lost_syncs(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_CLASSIC);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->download = false;            /* running its app until reset */
    d->boot_banner = true;
    d->noise_between_frames = true;
    d->lose_syncs = 2;              /* auto-baud eats the first ones */
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32);
    assert_int_equal(loader_info(l)->magic, 0x00F01D83);
    assert_false(loader_stub_running(l));
    assert_int_equal(d->boots_download, 1);
    assert_int_equal(fake_count(d, 0x08), 3);
    /* One reset: the tight sequence, IO0 held 50 ms after EN rises (§4.2). */
    assert_int_equal(d->nlines, 5);
    bool want[5][2] = {{false, false}, {true, true}, {false, true}, {true, false}, {false, false}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(d->lines[i].dtr, want[i][0]);
        assert_int_equal(d->lines[i].rts, want[i][1]);
    }
    assert_int_equal(d->lines[3].at - d->lines[2].at, 100000);
    assert_int_equal(d->lines[4].at - d->lines[3].at, 50000);
    free(l);
    fake_free(d);
}

static void test_reset_works_when_the_port_sets_dtr_then_rts(void **state)
{
    (void)state;
    /* Every reset strategy of the schedule must bring the chip up in
     * download mode through a port that changes one line at a time. */
    for (int attempt = 0; attempt < 4; attempt++) {
        struct loader *l = new_loader(LOADER_RESET_CLASSIC);
        struct fake_device *d = fake_new(FAKE_ESP32, 4096);
        d->download = false;
        d->lines_one_at_a_time = true;
        d->lose_syncs = 5 * attempt;    /* fail the earlier attempts */
        uint64_t now = 1000;
        struct fake_run r = connect(l, d, &now);
        assert_true(r.ok);
        assert_int_equal(d->boots_download, attempt + 1);
        assert_int_equal(d->boots_flash, 0);
        free(l);
        fake_free(d);
    }
}

static void test_fewer_than_8_sync_replies_is_a_failed_try(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->partial_sync_replies = 5;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_true(r.ok);
    assert_int_equal(fake_count(d, 0x08), 2);
    /* The next command came only after the second, complete SYNC try. */
    assert_int_equal(d->log[0].op, 0x08);
    assert_int_equal(d->log[1].op, 0x08);
    assert_int_equal(d->log[2].op, 0x14);
    free(l);
    fake_free(d);
}

static void test_esp32c3_is_detected_by_security_info(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32C3);
    assert_false(loader_info(l)->secure_download);
    assert_int_equal(d->nlog, 3);
    assert_int_equal(d->log[1].op, 0x14);
    assert_int_equal(d->log[1].data_len, 0);
    assert_int_equal(d->log[2].op, 0x0A);
    assert_int_equal(d->log[2].words[0], 0x40001000);
    assert_int_equal(loader_info(l)->magic, 0x1B31506F);
    free(l);
    fake_free(d);
}

/* C5, P4, C61 are told by the chip id in GET_SECURITY_INFO, whatever their
 * ROM's magic: a value newer than the table, or the P4's 0 (§5.3, and
 * esp8266-chips-improv.md §2.1). */
static void test_newer_chips_are_detected_by_chip_id(void **state)
{
    (void)state;
    const struct {
        int chip_id;
        uint32_t magic;
        enum chip_kind want;
    } cases[] = {
        {23, 0x1101406F, CHIP_ESP32C5},
        {23, 0x30E1706F, CHIP_ESP32C5},
        {23, 0x12345678, CHIP_ESP32C5},     /* a ROM newer than the table */
        {18, 0x00000000, CHIP_ESP32P4},
        {18, 0x0ADDBAD0, CHIP_ESP32P4},
        {20, 0x7211606F, CHIP_ESP32C61},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct loader *l = new_loader(LOADER_RESET_NONE);
        struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
        d->later_chip_id = cases[i].chip_id;
        d->later_magic_set = true;
        d->later_magic = cases[i].magic;
        uint64_t now = 1000;
        struct fake_run r = connect(l, d, &now);
        assert_true(r.ok);
        assert_int_equal(loader_info(l)->chip->kind, cases[i].want);
        assert_int_equal(loader_info(l)->magic, cases[i].magic);
        free(l);
        fake_free(d);
    }
}

/* Without a chip id a magic of 0 names no chip (a P4 and an S31 both read
 * it): the board is refused as unknown, not taken for a P4. */
static void test_magic_0_without_chip_id_is_unknown(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->later_magic_set = true;
    d->later_magic = 0;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_false(r.ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_UNKNOWN_CHIP);
    assert_non_null(strstr(loader_error(l)->message, "magic 0x00000000"));
    free(l);
    fake_free(d);
}

static void test_esp32_unsupported_security_info_drains_without_reconnect(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_CLASSIC);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32);
    /* esptool 5: no second reset or SYNC, straight on to the magic (§2.6). */
    assert_int_equal(d->nlines, 5);
    assert_int_equal(d->nlog, 3);
    assert_int_equal(d->log[0].op, 0x08);
    assert_int_equal(d->log[1].op, 0x14);
    assert_int_equal(d->log[2].op, 0x0A);
    /* ... and only after the 8 "unsupported" replies were left to drain. */
    assert_true(d->log[2].at - d->log[1].at >= 200000);
    free(l);
    fake_free(d);
}

/* A loop held up (a slow fsync elsewhere in jigd) wakes from the drain's
 * 200 ms sleep before it reads the burst that arrived meanwhile: a flush
 * then cannot drop bytes not yet read, and the first late "unsupported"
 * reply was taken as READ_REG refused: an ESP32 named "ESP32-S2 in Secure
 * Download Mode" (seen in the fault matrix's slow-fsync round). */
static void test_esp32_burst_read_after_the_drain_is_still_dropped(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->unsupported_late = 230000;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32);
    assert_false(loader_info(l)->secure_download);
    assert_int_equal(fake_count(d, 0x0A), 1);
    free(l);
    fake_free(d);
}

/* A board that refuses READ_REG and gave no chip id is taken for an
 * ESP32-S2 in Secure Download Mode (§6.4); the refusal's burst is drained
 * too before connect ends, so it cannot answer the next operation. */
static void test_read_reg_refused_without_chip_id_is_s2_in_sdm(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->secure_download = true;      /* here: READ_REG answered "unsupported" */
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32S2);
    assert_true(loader_info(l)->secure_download);
    assert_int_equal(fake_count(d, 0x0A), 1);
    assert_int_equal(d->out_len, 0);                /* nothing left to be misread */
    free(l);
    fake_free(d);
}

static void test_esp32_security_info_success_form_falls_back_to_magic(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->sec_info_matching_zeros = true;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32);
    free(l);
    fake_free(d);
}

static void test_secure_download_mode_is_reported_and_identify_refused(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->secure_download = true;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32C3);
    assert_true(loader_info(l)->secure_download);
    assert_int_equal(fake_count(d, 0x0A), 0);   /* READ_REG is refused in SDM */

    assert_int_equal(loader_start_identify(l, now), 0);
    r = fake_drive(l, d, &now, 0, MAX_STEPS);
    assert_true(r.finished);
    assert_false(r.ok);
    assert_non_null(strstr(loader_error(l)->message, "Secure Download Mode"));
    struct stub_image stub = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &stub), -1);
    free(l);
    fake_free(d);
}

static void test_silent_port_fails_after_all_attempts(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_CLASSIC);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->silent_after = 0;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_false(r.ok);
    const struct loader_error *e = loader_error(l);
    assert_int_equal(e->code, LOADER_ERR_NO_SYNC);
    assert_int_equal(e->phase, PHASE_CONNECT);
    assert_non_null(strstr(e->message, "7 reset attempts"));
    assert_non_null(strstr(e->message, "BOOT/EN wiring"));
    assert_int_equal(fake_count(d, 0x08), 7 * 5);
    /* Attempts alternate a 50 ms and a 550 ms IO0 hold; pairs alternate the
     * tight and the classic sequence. Attempt 2 (classic) starts with DTR
     * off and RTS unchanged. */
    assert_int_equal(d->lines[9].at - d->lines[8].at, 550000);
    assert_false(d->lines[10].dtr);
    assert_true(d->lines[11].rts && !d->lines[11].dtr);
    assert_true(d->lines[12].rts && d->lines[12].dtr);
    free(l);
    fake_free(d);
}

static void test_board_booting_from_flash_is_explained(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_CLASSIC);
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->download = false;
    d->io0_broken = true;
    d->boot_banner = true;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);

    assert_false(r.ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_NO_SYNC);
    assert_non_null(strstr(loader_error(l)->message, "boot:0x13"));
    assert_non_null(strstr(loader_error(l)->message, "BOOT/IO0"));
    assert_int_equal(d->boots_flash, 7);
    free(l);
    fake_free(d);
}

static void test_running_stub_is_recognised_by_sync_value(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->stub = true;
    uint64_t now = 1000;
    struct fake_run r = connect(l, d, &now);
    assert_true(r.ok);
    assert_true(loader_stub_running(l));
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP32C3);
    free(l);
    fake_free(d);
}

static void test_usb_jtag_reset_sequence(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_USB_JTAG);
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 1000;
    connect(l, d, &now);
    /* §4.2: (off,off) 0.1 s, (DTR) 0.1 s, RTS on then DTR off 0.1 s, (off,off) */
    assert_true(d->nlines >= 5);
    bool want[5][2] = {{false, false}, {true, false}, {true, true}, {false, true},
                       {false, false}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(d->lines[i].dtr, want[i][0]);
        assert_int_equal(d->lines[i].rts, want[i][1]);
    }
    assert_int_equal(d->lines[1].at - d->lines[0].at, 100000);
    assert_int_equal(d->lines[2].at - d->lines[1].at, 100000);
    assert_int_equal(d->lines[3].at - d->lines[2].at, 0);
    assert_int_equal(d->lines[4].at - d->lines[3].at, 100000);
    free(l);
    fake_free(d);
}

/* reset = gpio: EN and IO0 on straight wires (dtr = IO0 low, rts = EN low).
 * Nothing holds EN low for the loader, so IO0 must be low before EN is let go
 * and stay low over the strap sampling; the board must come up in download
 * mode however the schedule's attempts go. */
static void test_gpio_reset_sequence_enters_download_mode(void **state)
{
    (void)state;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct loader *l = new_loader(LOADER_RESET_GPIO);
        struct fake_device *d = fake_new(FAKE_ESP32, 4096);
        d->download = false;
        d->wired_direct = true;
        d->lose_syncs = 5 * attempt;    /* fail the first attempt the second time */
        uint64_t now = 1000;
        assert_true(connect(l, d, &now).ok);
        assert_int_equal(d->boots_download, attempt + 1);
        assert_int_equal(d->boots_flash, 0);
        size_t at = 4 * (size_t)attempt;    /* four line steps per attempt */
        bool want[4][2] = {{false, true}, {true, true}, {true, false}, {false, false}};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(d->lines[at + i].dtr, want[i][0]);
            assert_int_equal(d->lines[at + i].rts, want[i][1]);
        }
        assert_int_equal(d->lines[at + 1].at - d->lines[at].at, 100000);  /* EN low */
        /* IO0 held after EN rises: 50 ms, then 550 ms for a slow EN RC. */
        assert_int_equal(d->lines[at + 3].at - d->lines[at + 2].at,
                         attempt ? 550000 : 50000);
        free(l);
        fake_free(d);
    }
}

static void test_second_operation_while_busy_is_refused(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    assert_int_equal(loader_start_connect(l, 0), 0);
    assert_int_equal(loader_start_connect(l, 0), -1);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_BUSY);
    free(l);
}

static void test_operations_need_a_connected_chip(void **state)
{
    (void)state;
    struct loader *l = new_loader(LOADER_RESET_NONE);
    assert_int_equal(loader_start_identify(l, 0), -1);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_BAD_ARGUMENT);
    assert_int_equal(loader_start_md5(l, 0, 0, 4096), -1);
    /* and nothing was queued */
    struct loader_event ev;
    assert_false(loader_next_event(l, 0, &ev));
    assert_int_equal(loader_deadline(l), LOADER_NO_DEADLINE);
    free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_packet_is_byte_exact),
        cmocka_unit_test(test_esp32_with_boot_text_noise_and_lost_syncs),
        cmocka_unit_test(test_reset_works_when_the_port_sets_dtr_then_rts),
        cmocka_unit_test(test_fewer_than_8_sync_replies_is_a_failed_try),
        cmocka_unit_test(test_esp32c3_is_detected_by_security_info),
        cmocka_unit_test(test_newer_chips_are_detected_by_chip_id),
        cmocka_unit_test(test_magic_0_without_chip_id_is_unknown),
        cmocka_unit_test(test_esp32_unsupported_security_info_drains_without_reconnect),
        cmocka_unit_test(test_esp32_burst_read_after_the_drain_is_still_dropped),
        cmocka_unit_test(test_read_reg_refused_without_chip_id_is_s2_in_sdm),
        cmocka_unit_test(test_esp32_security_info_success_form_falls_back_to_magic),
        cmocka_unit_test(test_secure_download_mode_is_reported_and_identify_refused),
        cmocka_unit_test(test_silent_port_fails_after_all_attempts),
        cmocka_unit_test(test_board_booting_from_flash_is_explained),
        cmocka_unit_test(test_running_stub_is_recognised_by_sync_value),
        cmocka_unit_test(test_usb_jtag_reset_sequence),
        cmocka_unit_test(test_gpio_reset_sequence_enters_download_mode),
        cmocka_unit_test(test_second_operation_while_busy_is_refused),
        cmocka_unit_test(test_operations_need_a_connected_chip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
