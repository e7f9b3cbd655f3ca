/* daemon/port_tty: what can be checked on any machine, and a loopback check
 * on a real adapter.
 *
 * Covered everywhere: a missing device, a device that is not a serial port
 * (a pty master) and a pty slave (what espsim --pty serves) all fail the
 * open with a message that says why, and closing after
 * that releases everything (ASan checks the leaks, uv_loop_close the handles).
 * libserialport 0.1.x opens a device only if it is in sysfs and answers
 * TIOCMGET, which no pty does, so the data path needs a real driver:
 * tests/vm/ runs this program in a QEMU guest (Debian's kernel) with
 * JIGD_TEST_TTY naming an emulated FTDI adapter whose data a host process
 * echoes back: write, read back, baud change, and DTR/RTS as the ftdi_sio
 * driver reports them. A USB-UART with TX wired to RX does the same on
 * hardware: JIGD_TEST_TTY=/dev/ttyUSB0. */
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
#include <sys/ioctl.h>
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

/* What the driver says DTR and RTS are, read through a second descriptor
 * opened before the port: every open of a tty raises both lines, so opening
 * one to look would change what it sees. -1 (a usb-serial: name, not a
 * path): nothing to check. */
static int open_line_watcher(const char *path)
{
    if (path[0] != '/')
        return -1;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    assert_true(fd >= 0);
    return fd;
}

static void expect_modem_lines(int watcher, int want)
{
    if (watcher < 0)
        return;
    int bits = 0;
    assert_int_equal(ioctl(watcher, TIOCMGET, &bits), 0);
    assert_int_equal(bits & (TIOCM_DTR | TIOCM_RTS), want);
}

static void test_loopback_adapter(void **state)
{
    const char *path = getenv("JIGD_TEST_TTY");
    if (!path || !*path) {
        skip();     /* needs a USB-UART with TX wired to RX */
        return;
    }
    int watcher = open_line_watcher(path);
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
    expect_modem_lines(watcher, TIOCM_DTR);
    assert_int_equal(port_set_lines(p, false, true), 0);
    expect_modem_lines(watcher, TIOCM_RTS);
    assert_int_equal(port_set_lines(p, false, false), 0);
    expect_modem_lines(watcher, 0);
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
    if (watcher >= 0)
        close(watcher);
}

/* With --loopback only the hardware case runs: ctest registers it apart,
 * so a machine without the adapter shows one skipped test, not a whole
 * program that "passed". */
int main(int argc, char **argv)
{
    const struct CMUnitTest open_errors[] = {
        cmocka_unit_test(test_missing_device),
        cmocka_unit_test(test_usb_serial_not_plugged),
        cmocka_unit_test(test_not_a_serial_port),
        cmocka_unit_test(test_pseudo_terminal),
    };
    const struct CMUnitTest loopback[] = {
        cmocka_unit_test(test_loopback_adapter),
    };
    if (argc > 1 && !strcmp(argv[1], "--loopback"))
        return cmocka_run_group_tests(loopback, NULL, NULL);
    return cmocka_run_group_tests(open_errors, NULL, NULL);
}
