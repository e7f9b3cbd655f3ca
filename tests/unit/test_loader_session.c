/* The loader after connect: identify (MAC, SPI flash id dance, sizes),
 * stub upload and OHAI, baud changes, registers and hard reset, against
 * fake_device, a scripted fake board (see fake_device.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fake_device.h"

#define MAX_STEPS 200000

static struct loader *connected(struct fake_device *d, uint64_t *now)
{
    struct loader *l = malloc(sizeof *l);
    assert_non_null(l);
    struct loader_config cfg;
    loader_config_default(&cfg);
    cfg.reset = LOADER_RESET_NONE;
    loader_init(l, &cfg);
    assert_int_equal(loader_start_connect(l, *now), 0);
    struct fake_run r = fake_drive(l, d, now, 0, MAX_STEPS);
    assert_true(r.finished && r.ok);
    d->nlog = 0;    /* tests look at what follows */
    return l;
}

static struct fake_run run(struct loader *l, struct fake_device *d, uint64_t *now)
{
    struct fake_run r = fake_drive(l, d, now, 5, MAX_STEPS);
    assert_true(r.finished);
    assert_false(r.stalled);
    return r;
}

/* The i-th WRITE_REG to addr, or NULL. */
static const struct fake_cmd *write_to(const struct fake_device *d, uint32_t addr)
{
    for (size_t i = 0; i < d->nlog; i++)
        if (d->log[i].op == 0x09 && d->log[i].words[0] == addr)
            return &d->log[i];
    return NULL;
}

static void test_identify_esp32c3_rom(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    fake_set_reg(d, 0x60002018, 0x11112222);    /* USR, to be restored */
    fake_set_reg(d, 0x60002020, 0x33334444);    /* USR2 */
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_identify(l, now), 0);
    struct fake_run r = run(l, d, &now);
    assert_true(r.ok);

    const struct loader_chip_info *info = loader_info(l);
    static const uint8_t mac[6] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};
    assert_memory_equal(info->mac, mac, 6);
    assert_int_equal(info->flash_id, 0x1640EF);
    assert_int_equal(info->flash_size, 4u << 20);

    /* ROM needs SPI_ATTACH: 8 bytes, config 0 (§8.2) */
    const struct fake_cmd *attach = fake_find(d, 0x0D, 0);
    assert_non_null(attach);
    assert_int_equal(attach->data_len, 8);
    assert_int_equal(attach->words[0], 0);
    /* RDID through the user-command registers (§8.1) */
    assert_int_equal(write_to(d, 0x60002028)->words[1], 23);            /* MISO_DLEN */
    assert_int_equal(write_to(d, 0x60002018)->words[1], 0x90000000u);   /* USR: COMMAND|MISO */
    assert_int_equal(write_to(d, 0x60002020)->words[1], 0x7000009Fu);   /* USR2 */
    assert_int_equal(write_to(d, 0x60002058)->words[1], 0);             /* W0 */
    assert_int_equal(write_to(d, 0x60002000)->words[1], 1u << 18);      /* CMD: go */
    assert_int_equal(fake_get_reg(d, 0x60002018), 0x11112222);
    assert_int_equal(fake_get_reg(d, 0x60002020), 0x33334444);
    /* then the geometry */
    const struct fake_cmd *params = fake_find(d, 0x0B, 0);
    assert_non_null(params);
    assert_int_equal(params->data_len, 24);
    uint32_t want[6] = {0, 4u << 20, 0x10000, 0x1000, 0x100, 0xFFFF};
    for (int i = 0; i < 6; i++)
        assert_int_equal(params->words[i], want[i]);
    free(l);
    fake_free(d);
}

static void test_identify_esp32_reads_its_own_registers(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    d->jedec = 0x18405E;    /* 16 MB */
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_identify(l, now), 0);
    assert_true(run(l, d, &now).ok);
    static const uint8_t mac[6] = {0x24, 0x0A, 0xC4, 0x12, 0x34, 0x56};
    assert_memory_equal(loader_info(l)->mac, mac, 6);
    assert_int_equal(loader_info(l)->flash_size, 16u << 20);
    assert_non_null(write_to(d, 0x3FF4202C));   /* ESP32 MISO_DLEN */
    assert_int_equal(write_to(d, 0x3FF42024)->words[1], 0x7000009Fu);
    free(l);
    fake_free(d);
}

static void test_identify_esp8266_rom_attaches_with_flash_begin(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP8266, 4096);
    d->mac[0] = 0x5C; d->mac[1] = 0xCF; d->mac[2] = 0x7F;
    fake_load_mac(d);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_info(l)->chip->kind, CHIP_ESP8266);
    assert_int_equal(loader_start_identify(l, now), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(loader_info(l)->mac[0], 0x5C);
    assert_int_equal(loader_info(l)->mac[5], 0x56);
    const struct fake_cmd *begin = fake_find(d, 0x02, 0);
    assert_non_null(begin);
    assert_int_equal(begin->data_len, 16);
    assert_int_equal(begin->words[0], 0);
    assert_int_equal(begin->words[2], 0x400);
    assert_int_equal(fake_count(d, 0x0D), 0);
    assert_int_equal(fake_count(d, 0x0B), 0);   /* no SPI_SET_PARAMS on this ROM */
    assert_int_equal(write_to(d, 0x60000220)->words[1], 23u << 8);  /* USR1 bit length */
    assert_int_equal(loader_info(l)->flash_size, 4u << 20);
    free(l);
    fake_free(d);
}

static void test_identify_without_flash_uses_default_geometry(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->jedec = 0xFFFFFF;
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_identify(l, now), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(loader_info(l)->flash_size, 0);
    assert_int_equal(fake_find(d, 0x0B, 0)->words[1], 4u << 20);
    free(l);
    fake_free(d);
}

static void test_garbage_and_wrong_direction_frames_are_skipped(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    d->garbage_before_reply = true;
    d->noise_between_frames = true;
    assert_int_equal(loader_start_identify(l, now), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(loader_info(l)->flash_id, 0x1640EF);
    free(l);
    fake_free(d);
}

static void test_only_wrong_direction_replies_time_out(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    d->garbage_only = true;
    assert_int_equal(loader_start_read_reg(l, now, 0x60008844), 0);
    struct fake_run r = run(l, d, &now);
    assert_false(r.ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_TIMEOUT);
    assert_int_equal(loader_error(l)->phase, PHASE_REGISTER);
    assert_non_null(strstr(loader_error(l)->message, "stopped answering"));
    free(l);
    fake_free(d);
}

static void test_stub_upload_then_ohai(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    struct stub_image stub = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &stub), 0);
    struct fake_run r = run(l, d, &now);
    assert_true(r.ok);
    assert_true(loader_stub_running(l));
    assert_true(d->stub);

    /* text: MEM_BEGIN(0x2000, 2, 0x1800, start), blocks of 0x1800 and 0x800 */
    const struct fake_cmd *b = fake_find(d, 0x05, 0);
    uint32_t text_begin[4] = {0x2000, 2, 0x1800, 0x40380000};
    for (int i = 0; i < 4; i++)
        assert_int_equal(b->words[i], text_begin[i]);
    assert_int_equal(fake_find(d, 0x07, 0)->payload_len, 0x1800);
    assert_int_equal(fake_find(d, 0x07, 1)->payload_len, 0x800);
    assert_int_equal(fake_find(d, 0x07, 1)->seq, 1);
    /* data: MEM_BEGIN(100, 1, 0x1800, start), seq restarts at 0 */
    b = fake_find(d, 0x05, 1);
    assert_int_equal(b->words[0], 100);
    assert_int_equal(b->words[3], 0x3FC96000);
    assert_int_equal(fake_find(d, 0x07, 2)->seq, 0);
    for (size_t i = 0; i < 3; i++)
        assert_true(fake_find(d, 0x07, i)->checksum_ok);
    const struct fake_cmd *end = fake_find(d, 0x06, 0);
    assert_int_equal(end->words[0], 0);
    assert_int_equal(end->words[1], 0x40380100);
    assert_int_equal(r.progress_done, 0x2000 + 100);

    /* Replies now carry 2 status bytes: a register read still works. */
    fake_set_reg(d, 0x60008844, 0xCAFEF00D);
    assert_int_equal(loader_start_read_reg(l, now, 0x60008844), 0);
    assert_true(run(l, d, &now).ok);
    assert_int_equal(loader_reg_value(l), 0xCAFEF00D);
    free(l);
    fake_free(d);
}

static void test_stub_that_never_greets_is_an_error(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->no_ohai = true;
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    struct stub_image stub = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &stub), 0);
    struct fake_run r = run(l, d, &now);
    assert_false(r.ok);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_TIMEOUT);
    assert_int_equal(loader_error(l)->phase, PHASE_STUB);
    assert_non_null(strstr(loader_error(l)->message, "did not start"));
    assert_false(loader_stub_running(l));
    free(l);
    fake_free(d);
}

static void test_baud_change_on_stub(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    struct stub_image stub = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &stub), 0);
    assert_true(run(l, d, &now).ok);

    assert_int_equal(loader_start_set_baud(l, now, 921600), 0);
    struct fake_run r = run(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(d->new_baud, 921600);
    assert_int_equal(d->new_baud_old, 115200);     /* the stub needs the current rate */
    assert_int_equal(r.set_baud, 1);
    assert_int_equal(r.last_baud, 921600);
    assert_int_equal(r.flushes, 1);                 /* junk from the switch */
    assert_int_equal(loader_baud(l), 921600);
    free(l);
    fake_free(d);
}

static void test_baud_change_on_rom(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_set_baud(l, now, 460800), 0);
    struct fake_run r = run(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(d->new_baud, 460800);
    assert_int_equal(d->new_baud_old, 0);
    assert_int_equal(fake_count(d, 0x0A), 0);       /* no ESP32 workaround here */
    assert_int_equal(r.last_baud, 460800);
    free(l);
    fake_free(d);
}

static void test_esp32_rom_baud_is_scaled_by_its_clock_calibration(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32, 4096);
    /* cali 2048, CK8M 52: the ROM believes it runs at 2048*15625*52/40
     * = 41.6 MHz, so ask for 460800 * 41.6 / 40 = 479232 (§10.3). */
    fake_set_reg(d, 0x3FF5F06C, 2048u << 7);
    fake_set_reg(d, 0x3FF5A010, 52);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_set_baud(l, now, 460800), 0);
    struct fake_run r = run(l, d, &now);
    assert_true(r.ok);
    assert_int_equal(d->new_baud, 479232);
    assert_int_equal(d->new_baud_old, 0);
    assert_int_equal(r.last_baud, 460800);          /* the host uses the real rate */
    free(l);
    fake_free(d);
}

static void test_esp8266_rom_refuses_baud_change(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP8266, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_set_baud(l, now, 460800), -1);
    assert_int_equal(loader_error(l)->code, LOADER_ERR_BAD_ARGUMENT);
    assert_non_null(strstr(loader_error(l)->message, "stub"));
    free(l);
    fake_free(d);
}

static void test_write_reg_applies_mask(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    fake_set_reg(d, 0x60004004, 0xFFFF0000);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    assert_int_equal(loader_start_write_reg(l, now, 0x60004004, 0x1234, 0x0000FFFF), 0);
    assert_true(run(l, d, &now).ok);
    const struct fake_cmd *w = fake_find(d, 0x09, 0);
    assert_int_equal(w->data_len, 16);
    assert_int_equal(w->words[2], 0x0000FFFF);
    assert_int_equal(w->words[3], 0);
    assert_int_equal(fake_get_reg(d, 0x60004004), 0xFFFF1234);
    free(l);
    fake_free(d);
}

/* The hard reset: one EN pulse of 100 ms (rts; dtr stays off so IO0 is
 * released) after which the chip boots what was written. */
static void assert_en_pulse_boots_the_firmware(struct loader *l, struct fake_device *d,
                                               uint64_t *now)
{
    size_t before = d->nlines;
    assert_int_equal(loader_start_hard_reset(l, *now), 0);
    assert_true(run(l, d, now).ok);
    assert_int_equal(d->nlines - before, 2);
    assert_true(!d->lines[before].dtr && d->lines[before].rts);
    assert_true(!d->lines[before + 1].dtr && !d->lines[before + 1].rts);
    assert_int_equal(d->lines[before + 1].at - d->lines[before].at, 100000);
    assert_int_equal(d->boots_flash, 1);
    assert_false(loader_stub_running(l));
}

static void test_hard_reset_pulses_en(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    struct stub_image stub = fake_stub_image();
    assert_int_equal(loader_start_stub(l, now, &stub), 0);
    assert_true(run(l, d, &now).ok);
    assert_en_pulse_boots_the_firmware(l, d, &now);
    free(l);
    fake_free(d);
}

/* reset = gpio: the same pulse works on straight wires (rts = EN low). */
static void test_hard_reset_on_gpio_lines_boots_the_firmware(void **state)
{
    (void)state;
    struct fake_device *d = fake_new(FAKE_ESP32C3, 4096);
    d->wired_direct = true;
    uint64_t now = 0;
    struct loader *l = connected(d, &now);
    l->cfg.reset = LOADER_RESET_GPIO;
    assert_en_pulse_boots_the_firmware(l, d, &now);
    free(l);
    fake_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identify_esp32c3_rom),
        cmocka_unit_test(test_identify_esp32_reads_its_own_registers),
        cmocka_unit_test(test_identify_esp8266_rom_attaches_with_flash_begin),
        cmocka_unit_test(test_identify_without_flash_uses_default_geometry),
        cmocka_unit_test(test_garbage_and_wrong_direction_frames_are_skipped),
        cmocka_unit_test(test_only_wrong_direction_replies_time_out),
        cmocka_unit_test(test_stub_upload_then_ohai),
        cmocka_unit_test(test_stub_that_never_greets_is_an_error),
        cmocka_unit_test(test_baud_change_on_stub),
        cmocka_unit_test(test_baud_change_on_rom),
        cmocka_unit_test(test_esp32_rom_baud_is_scaled_by_its_clock_calibration),
        cmocka_unit_test(test_esp8266_rom_refuses_baud_change),
        cmocka_unit_test(test_write_reg_applies_mask),
        cmocka_unit_test(test_hard_reset_pulses_en),
        cmocka_unit_test(test_hard_reset_on_gpio_lines_boots_the_firmware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
