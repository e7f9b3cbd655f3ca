/* daemon/port_tty: what can be checked on a machine without a serial
 * adapter, and a loopback check for one that has.
 *
 * Covered everywhere: a missing device, a device that is not a serial port
 * (a pty master) and a pty slave (what espsim --pty serves) all fail the
 * open with a message that says why, and closing after
 * that releases everything (ASan checks the leaks, uv_loop_close the handles).
 * Not covered without hardware: the data path. libserialport 0.1.x opens a
 * device only if it is in sysfs and answers TIOCMGET, which no pty does, so
 * neither a pty nor socat can stand in for a UART here. With a USB-UART whose
 * TX is wired to its RX, set JIGD_TEST_TTY=/dev/ttyUSB0 to run the loopback
 * test (write, read back, baud change, DTR/RTS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "port.h"
#include "port_test_client.h"

/* Opens `path`, expects the open to be refused at once with `hint` in the
 * message, then closes cleanly. */
static void expect_refused(const char *path, const char *hint)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct client c = {0};
    char err[200];
    struct port *p = port_new(&loop, path, &callbacks, &c, err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->ops->kind, "tty");
    assert_int_equal(port_open(p), -1);
    assert_non_null(strstr(p->error, path));
    assert_non_null(strstr(p->error, hint));
    assert_int_equal(port_write(p, (const uint8_t *)"x", 1), -1);
    port_close(p);
    run_until(&loop, &c.closed, 2000);
    assert_false(c.opened);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_missing_device(void **state)
{
    expect_refused("/dev/ttyUSB-jigd-test-missing", "check the device path");
}

/* An adapter named by its USB serial number is looked up among the plugged
 * USB serial ports; none here has this one. (With a looped-back adapter,
 * JIGD_TEST_TTY=usb-serial:<its number> runs the loopback test through the
 * same lookup.) */
static void test_usb_serial_not_plugged(void **state)
{
    expect_refused("usb-serial:JIGD-TEST-NO-SUCH-ADAPTER", "no USB serial adapter with that serial");
}

static void test_not_a_serial_port(void **state)
{
    /* A pty master: in sysfs, opens, but has no modem-control ioctls. */
    expect_refused("/dev/ptmx", "opening failed");
}

/* What espsim --pty hands out: the refusal must say why, not just "not
 * found". Skipped where the pty's slave has no visible path (some
 * containers mount a devpts that does not match /dev/ptmx). */
static void test_pseudo_terminal(void **state)
{
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    const char *name = ttyname(slave);
    struct stat st;
    if (!name || strncmp(name, "/dev/pts/", 9) || stat(name, &st) != 0) {
        close(master);
        close(slave);
        skip();
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "%s", name);
    expect_refused(path, "pseudo-terminal");
    close(master);
    close(slave);
}

static void test_loopback_adapter(void **state)
{
    const char *path = getenv("JIGD_TEST_TTY");
    if (!path || !*path) {
        skip();     /* needs a USB-UART with TX wired to RX */
        return;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct client c = {0};
    char err[200];
    struct port *p = port_new(&loop, path, &callbacks, &c, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(port_open(p), 0);
    run_until(&loop, &c.opened, 2000);
    assert_string_equal(c.open_error, "");
    assert_int_equal(port_set_baud(p, 921600), 0);
    assert_int_equal(port_set_lines(p, true, false), 0);
    assert_int_equal(port_set_lines(p, false, false), 0);
    assert_int_equal(port_flush_input(p), 0);

    uint8_t out[4096];
    for (size_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(i * 131 + 7);
    assert_int_equal(port_write(p, out, sizeof out), 0);
    uint64_t end = uv_hrtime() + 3000000000ull;
    while (c.rx_len < sizeof out && uv_hrtime() < end)
        uv_run(&loop, UV_RUN_NOWAIT);
    assert_int_equal(c.rx_len, sizeof out);
    assert_memory_equal(c.rx, out, sizeof out);
    assert_false(c.errored);

    port_close(p);
    run_until(&loop, &c.closed, 2000);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_device),
        cmocka_unit_test(test_usb_serial_not_plugged),
        cmocka_unit_test(test_not_a_serial_port),
        cmocka_unit_test(test_pseudo_terminal),
        cmocka_unit_test(test_loopback_adapter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
