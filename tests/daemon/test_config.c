/* jigd.conf parser: every key, every default, and each mistake reported at
 * its own line with a hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static struct jigd_config *parse(const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return config_parse(text, strlen(text), "jigd.conf", err, errlen);
}

static void test_defaults_fill_everything_not_given(void **state)
{
    char err[512];
    struct jigd_config *c = parse("[slot 1]\nport = /dev/serial/by-id/usb-a\n",
                                  err, sizeof err);
    assert_non_null(c);
    char host[256] = "";
    gethostname(host, sizeof host);
    host[CONFIG_NAME_MAX - 1] = '\0';
    assert_string_equal(c->station.name, host[0] ? host : "jigd");
    assert_string_equal(c->station.data_dir, "/var/lib/jigd");
    assert_string_equal(c->station.listen_host, "127.0.0.1");
    assert_int_equal(c->station.listen_port, 8080);
    assert_string_equal(c->station.api_token_file, "");
    assert_string_equal(c->station.stub_dir, JIGD_STUB_DIR);
    assert_string_equal(c->station.bundle, "");
    assert_int_equal(c->station.max_baud, 921600);
    assert_int_equal(c->station.boot_log_seconds, 10);
    assert_int_equal(c->station.min_free_mb, 64);
    assert_int_equal(c->station.n_shift_starts, 3);
    assert_int_equal(c->station.shift_starts[0], 6 * 60);
    assert_int_equal(c->station.shift_starts[2], 22 * 60);
    assert_int_equal(c->station.led_gpio, CONFIG_NO_GPIO);

    assert_int_equal(c->n_slots, 1);
    const struct slot_config *s = config_slot(c, 1);
    assert_non_null(s);
    assert_string_equal(s->port, "/dev/serial/by-id/usb-a");
    assert_int_equal(s->trigger, SLOT_TRIGGER_AUTO);
    assert_int_equal(s->reset, LOADER_RESET_CLASSIC);
    assert_string_equal(s->gpio_chip, "");
    assert_int_equal(s->gpio_en, CONFIG_NO_GPIO);
    assert_int_equal(s->gpio_io0, CONFIG_NO_GPIO);
    assert_int_equal(s->max_baud, 921600);
    assert_int_equal(s->led_gpio, CONFIG_NO_GPIO);
    assert_true(s->enabled);
    assert_int_equal(c->n_warnings, 0);
    assert_null(config_slot(c, 2));
    config_free(c);
}

static const char every_key[] =
    "# a full configuration\n"
    "[slot 2]\n"                                         /* 2 */
    "port = usb-serial:A10KX3Y7   # FTDI adapter\n"
    "trigger = manual\n"
    "reset = gpio\n"
    "gpio_chip = gpiochip1\n"
    "gpio_en = 17\n"
    "gpio_io0 = 27\n"
    "max_baud = 460800\n"
    "led_gpio = 8\n"
    "enabled = yes\n"
    "\n"
    "[station]\n"                                        /* 13 */
    "name = line3-east\n"
    "data_dir = /srv/jigd\n"
    "listen = [::]:9090\n"
    "api_token_file = secrets/token\n"
    "stub_dir =\n"
    "bundle = \"bundles/acme 1.4\"  # quoted: has a space\n"
    "max_baud = 2000000\n"
    "boot_log_seconds = 30\n"
    "led_gpio = 2\n"
    "min_free_mb = 256\n"
    "shift_starts = 07:30   19:30\n"
    "\n"
    "[slot 1]\n"
    "port = rfc2217://10.0.0.5:4000\n"
    "trigger = hotplug\n"
    "reset = usb-jtag\n"
    "[ slot   3 ]\n"
    "port = /dev/serial/by-path/pci-0:1.3-port0\n"
    "reset = none\n"
    "enabled = off\n";

static void test_every_key_is_read(void **state)
{
    char err[512];
    struct jigd_config *c = config_parse(every_key, strlen(every_key),
                                         "/etc/jigd/jigd.conf", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->station.name, "line3-east");
    assert_string_equal(c->station.data_dir, "/srv/jigd");
    assert_string_equal(c->station.listen_host, "::");
    assert_int_equal(c->station.listen_port, 9090);
    /* relative paths are anchored at the config file's folder */
    assert_string_equal(c->station.api_token_file, "/etc/jigd/secrets/token");
    assert_string_equal(c->station.stub_dir, "");
    assert_string_equal(c->station.bundle, "/etc/jigd/bundles/acme 1.4");
    assert_int_equal(c->station.max_baud, 2000000);
    assert_int_equal(c->station.boot_log_seconds, 30);
    assert_int_equal(c->station.led_gpio, 2);
    assert_int_equal(c->station.min_free_mb, 256);
    assert_int_equal(c->station.n_shift_starts, 2);
    assert_int_equal(c->station.shift_starts[0], 7 * 60 + 30);
    assert_int_equal(c->station.shift_starts[1], 19 * 60 + 30);

    assert_int_equal(c->n_slots, 3);
    /* sorted by number, whatever the file order */
    assert_int_equal(c->slots[0].index, 1);
    assert_int_equal(c->slots[1].index, 2);
    assert_int_equal(c->slots[2].index, 3);

    const struct slot_config *s1 = config_slot(c, 1);
    assert_string_equal(s1->port, "rfc2217://10.0.0.5:4000");
    assert_int_equal(s1->trigger, SLOT_TRIGGER_HOTPLUG);
    assert_int_equal(s1->reset, LOADER_RESET_USB_JTAG);
    assert_int_equal(s1->max_baud, 2000000);     /* inherited from [station] */
    assert_int_equal(s1->led_gpio, 2);            /* inherited */

    const struct slot_config *s2 = config_slot(c, 2);
    assert_int_equal(s2->line, 2);
    assert_string_equal(s2->port, "usb-serial:A10KX3Y7");
    assert_int_equal(s2->trigger, SLOT_TRIGGER_MANUAL);
    assert_int_equal(s2->reset, LOADER_RESET_GPIO);
    assert_string_equal(s2->gpio_chip, "/dev/gpiochip1");
    assert_int_equal(s2->gpio_en, 17);
    assert_int_equal(s2->gpio_io0, 27);
    assert_int_equal(s2->max_baud, 460800);
    assert_int_equal(s2->led_gpio, 8);
    assert_true(s2->enabled);

    const struct slot_config *s3 = config_slot(c, 3);
    assert_int_equal(s3->reset, LOADER_RESET_NONE);
    assert_false(s3->enabled);
    assert_int_equal(c->n_warnings, 0);
    config_free(c);
}

struct bad_case {
    const char *text;
    const char *expect;     /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
    {"[slot 1]\nport = /dev/serial/by-id/a\n\n[slot 3]\nport = /dev/serial/by-id/b\nbaudd = 5\n",
     "jigd.conf:6: unknown key 'baudd' in [slot 3]; known keys: port, trigger, "
     "reset, gpio_chip, gpio_en, gpio_io0, max_baud, led_gpio, enabled"},
    {"[station]\nnmae = x\n[slot 1]\nport=/dev/serial/by-id/a\n",
     "jigd.conf:2: unknown key 'nmae' in [station]; known keys: name, data_dir"},
    {"[slot 1]\nport = /dev/serial/by-id/a\n[slot 1]\nport = /dev/serial/by-id/b\n",
     "jigd.conf:3: [slot 1] is defined twice (first at line 1)"},
    {"[station]\n[slot 1]\nport = /dev/serial/by-id/a\n[station]\n",
     "jigd.conf:4: [station] appears twice (first at line 1)"},
    {"[slot 0]\nport = /dev/serial/by-id/a\n", "jigd.conf:1: [slot 0]: the slot number must be 1 to 64"},
    {"[slot 65]\n", "jigd.conf:1: [slot 65]: the slot number must be 1 to 64"},
    {"[slot x]\n", "jigd.conf:1: [slot x]: the slot number"},
    {"[stations]\n", "jigd.conf:1: unknown section [stations]; known sections"},
    {"[slot 1\n", "jigd.conf:1: section header '[slot 1' has no closing ']'"},
    {"[slot 1] extra\n", "jigd.conf:1: unexpected text after the section header"},
    {"# only comments\n\n", "jigd.conf: no [slot N] section"},
    {"[station]\nname = a\n", "jigd.conf: no [slot N] section"},
    {"name = x\n", "jigd.conf:1: 'name' is outside any section"},
    {"[slot 1]\nport /dev/x\n", "jigd.conf:2: expected key = value"},
    {"[slot 1]\n= 3\n", "jigd.conf:2: a line starts with '='"},
    {"[slot 1]\npo-rt = 3\n", "jigd.conf:2: 'po-rt' is not a key name"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nport = /dev/serial/by-id/b\n",
     "jigd.conf:3: 'port' is set twice in [slot 1] (first at line 2)"},
    {"[slot 1]\nport = COM3\n", "jigd.conf:2: port 'COM3' is not a serial device"},
    {"[slot 1]\nport = rfc2217://host\n", "jigd.conf:2: port 'rfc2217://host' needs host:port"},
    {"[slot 1]\nport = rfc2217://host:0\n", "jigd.conf:2: port 'rfc2217://host:0' needs host:port"},
    {"[slot 1]\nport = usb-serial:\n", "jigd.conf:2: port 'usb-serial:' is not a serial device"},
    {"[slot 1]\nport =\n", "jigd.conf:2: 'port' has no value"},
    {"[slot 1]\ntrigger = auto\n", "jigd.conf:1: [slot 1] has no port"},
    {"[slot 1]\nport = /dev/serial/by-id/a\ntrigger = button\n",
     "jigd.conf:3: trigger = 'button' is not one of auto, manual, hotplug"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset = dtr\n",
     "jigd.conf:3: reset = 'dtr' is not one of classic, usb-jtag, gpio, none"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset = gpio\ngpio_chip = gpiochip0\ngpio_en = 3\n",
     "jigd.conf:1: [slot 1] has reset = gpio but no gpio_io0"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset = gpio\ngpio_en = 3\ngpio_io0 = 4\n",
     "jigd.conf:1: [slot 1] has reset = gpio but no gpio_chip"},
    {"[slot 1]\nport = /dev/serial/by-id/a\ngpio_en = 3\n",
     "jigd.conf:3: gpio_en in [slot 1] is only used with reset = gpio (this slot has reset = classic)"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset = gpio\ngpio_chip = gpiochip0\ngpio_en = 3\ngpio_io0 = 3\n",
     "jigd.conf:6: gpio_en and gpio_io0 in [slot 1] are the same line 3"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset=gpio\ngpio_chip=a/b\n",
     "jigd.conf:4: gpio_chip = 'a/b' should be /dev/gpiochipN"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nreset=gpio\ngpio_en = -1\n",
     "jigd.conf:4: gpio_en = '-1' is not a GPIO line offset"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nmax_baud = 9600000\n",
     "jigd.conf:3: max_baud = '9600000' is not a baud rate between 9600 and 5000000"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nmax_baud = 115200x\n",
     "jigd.conf:3: max_baud = '115200x' is not a baud rate"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nled_gpio = 64\n",
     "jigd.conf:3: led_gpio = '64' is not a chip GPIO number"},
    /* The blink drives GPIO 0-31 only: 32 is refused at start, not at the
     * first identify. */
    {"[slot 1]\nport = /dev/serial/by-id/a\nled_gpio = 32\n",
     "jigd.conf:3: led_gpio = '32' is not a chip GPIO number the identify blink can drive (0-31)"},
    {"[slot 1]\nport = /dev/serial/by-id/a\nenabled = maybe\n",
     "jigd.conf:3: enabled = 'maybe' is not yes or no"},
    {"[slot 1]\nport = /dev/serial/by-id/a\n[slot 2]\nport = /dev/serial/by-id/a\n",
     "jigd.conf:3: [slot 2] uses port /dev/serial/by-id/a, like [slot 1] (line 1)"},
    {"[station]\nlisten = 8080\n[slot 1]\nport = /dev/serial/by-id/a\n",
     "jigd.conf:2: listen = '8080' is not host:port"},
    {"[station]\nlisten = ::1:8080\n", "jigd.conf:2: listen = '::1:8080' is not host:port"},
    /* Trusted-local mode needs a loopback listen; a name that merely looks
     * like loopback may resolve anywhere. */
    {"[station]\nlisten = 0.0.0.0:8080\napi_trust_local = yes\n[slot 1]\nport = /dev/serial/by-id/a\n",
     "jigd.conf:3: api_trust_local = yes trusts every program on this machine, so it needs a "
     "loopback listen (127.0.0.1, ::1 or localhost), not 0.0.0.0"},
    {"[station]\nlisten = 127.0.0.1.nip.io:8080\napi_trust_local = yes\n[slot 1]\nport = /dev/a\n",
     "not 127.0.0.1.nip.io"},
    {"[station]\nlisten = 127.example:8080\napi_trust_local = yes\n[slot 1]\nport = /dev/a\n",
     "not 127.example"},
    {"[station]\nlisten = [::ffff:10.0.0.1]:8080\napi_trust_local = yes\n[slot 1]\nport = /dev/a\n",
     "not ::ffff:10.0.0.1"},
    {"[station]\napi_trust_local = maybe\n",
     "jigd.conf:2: api_trust_local = 'maybe' is not yes or no"},
    {"[station]\nlisten = 0.0.0.0:8080\napi_token_file = /etc/jigd/token\n"
     "api_trust_local = yes\n[slot 1]\nport = /dev/serial/by-id/a\n",
     "jigd.conf:4: api_trust_local = yes trusts every program on this machine, so it needs "
     "a loopback listen"},
    {"[station]\nname = line 3\n", "jigd.conf:2: station name 'line 3' may only hold"},
    {"[station]\nname =\n", "jigd.conf:2: 'name' has no value"},
    {"[station]\ndata_dir =\n", "jigd.conf:2: 'data_dir' has no value"},
    {"[station]\nboot_log_seconds = 0\n", "jigd.conf:2: boot_log_seconds = '0' is not a number of seconds"},
    {"[station]\nmin_free_mb = 64M\n", "jigd.conf:2: min_free_mb = '64M' is not a number of MiB"},
    {"[station]\nshift_starts = 6:00 14:00\n", "jigd.conf:2: shift_starts = '6:00 14:00': each start is a local time HH:MM"},
    {"[station]\nshift_starts = 06:00 24:00\n", "jigd.conf:2: shift_starts = '06:00 24:00': each start"},
    {"[station]\nshift_starts = 06:00,14:00\n", "jigd.conf:2: shift_starts = '06:00,14:00': each start"},
    {"[station]\nshift_starts = 14:00 06:00\n", "the times must be in order through the day"},
    {"[station]\nshift_starts = 00:00 04:00 08:00 12:00 16:00 20:00 22:00\n", "names more than 6 shifts"},
    {"[station]\nbundle = \"abc\n", "jigd.conf:2: value starts with \" but has no closing \""},
    {"[station]\nbundle = \"abc\" def\n", "jigd.conf:2: unexpected text after the closing \""},
    {"[station]\nname = a\x01\n", "jigd.conf:2: control character 0x01"},
    {"[station]\nboard_code = yes\n",
     "jigd.conf:2: board_code = 'yes' is not one of none, optional, required"},
    {"[slot 1]\nport = /dev/a\n[webhook mes]\nsecret_file = s\n",
     "jigd.conf:3: [webhook mes] has no url"},
    {"[slot 1]\nport = /dev/a\n[webhook mes]\nurl = https://m/x\n",
     "jigd.conf:3: [webhook mes] has no secret_file: every delivery is signed"},
    {"[slot 1]\nport = /dev/a\n[webhook mes]\nurl = ftp://m/x\n",
     "jigd.conf:4: url 'ftp://m/x' is not an http:// or https:// address"},
    {"[slot 1]\nport = /dev/a\n[webhook mes]\nurl = http://m/\nsecret_file = s\nevents = units\n",
     "jigd.conf:6: events: 'units' is not one of unit.result, work_order, alarm, all"},
    {"[slot 1]\nport = /dev/a\n[webhook mes]\nurl = http://m/\nsecret_file = s\ntimeout_s = 0\n",
     "jigd.conf:6: timeout_s = '0' is not a number of seconds from 1 to 300"},
    {"[slot 1]\nport = /dev/a\n[webhook a b]\n",
     "jigd.conf:3: [webhook a b]: a webhook's name is 1 to 32 letters"},
    {"[slot 1]\nport = /dev/a\n[webhook m]\nurl = http://m/\nsecret_file = s\n[webhook m]\n",
     "jigd.conf:6: [webhook m] appears twice (first at line 3)"},
    {"[slot 1]\nport = /dev/a\n[webhook m]\nurl = http://m/\nsecret_file = s\nport = 3\n",
     "jigd.conf:6: unknown key 'port' in [webhook m]; known keys: url, events, secret_file, timeout_s"},
};

static void test_each_mistake_names_its_line(void **state)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char err[512];
        struct jigd_config *c = parse(bad_cases[i].text, err, sizeof err);
        if (c) {
            config_free(c);
            fail_msg("case %zu accepted: %s", i, bad_cases[i].text);
        }
        if (!strstr(err, bad_cases[i].expect))
            fail_msg("case %zu:\n  got    %s\n  wanted %s", i, err, bad_cases[i].expect);
    }
}

static void test_webhooks_are_read(void **state)
{
    char err[512];
    struct jigd_config *c = parse("[slot 1]\nport = /dev/serial/by-id/a\n"
                                  "[webhook mes]\nurl = https://mes.example/jigd\n"
                                  "secret_file = /etc/jigd/mes.secret\nevents = unit.result, alarm\n"
                                  "[webhook andon]\nurl = http://10.0.0.9/\nsecret_file = a.secret\n"
                                  "timeout_s = 30\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_webhooks, 2);
    assert_string_equal(c->webhooks[0].name, "mes");
    assert_string_equal(c->webhooks[0].url, "https://mes.example/jigd");
    assert_int_equal(c->webhooks[0].events, WEBHOOK_UNIT_RESULT | WEBHOOK_ALARM);
    assert_int_equal(c->webhooks[0].timeout_s, 10);
    assert_int_equal(c->webhooks[1].events, WEBHOOK_ALL_EVENTS);
    assert_int_equal(c->webhooks[1].timeout_s, 30);
    assert_string_equal(c->webhooks[1].secret_file, "a.secret");
    assert_int_equal(c->station.board_code, BOARD_CODE_NONE);
    config_free(c);
}

static void test_nul_byte_is_refused(void **state)
{
    static const char text[] = "[slot 1]\nport = /dev/serial/by-id/a\0b\n";
    char err[256];
    struct jigd_config *c = config_parse(text, sizeof text - 1, "x.conf", err,
                                         sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "x.conf:2: control character 0x00"));
}

static void test_overlong_line_and_value_are_refused(void **state)
{
    char err[256];
    size_t n = 5000;
    char *text = malloc(n + 64);
    int k = snprintf(text, n + 64, "[slot 1]\nport = /dev/");
    memset(text + k, 'a', n - (size_t)k);
    text[n] = '\n';
    assert_null(config_parse(text, n + 1, "x.conf", err, sizeof err));
    assert_non_null(strstr(err, "x.conf:2: line is longer than"));

    memset(text + k, 'a', 1100);
    memcpy(text + k + 1100, "\n", 1);
    assert_null(config_parse(text, (size_t)k + 1101, "x.conf", err, sizeof err));
    assert_non_null(strstr(err, "x.conf:2: value of 'port' is too long"));
    free(text);
}

static void test_comments_quotes_crlf_and_bom(void **state)
{
    static const char text[] =
        "\xEF\xBB\xBF# exported from a Windows editor\r\n"
        "[station]   # the station\r\n"
        "  bundle = \"/b/with # hash\"   # comment\r\n"
        "NAME = s1\r\n"
        "[SLOT 4]\r\n"
        "port = usb-serial:AB#12\r\n"
        "enabled = TRUE\r\n";
    char err[256];
    struct jigd_config *c = parse(text, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->station.bundle, "/b/with # hash");
    assert_string_equal(c->station.name, "s1");
    assert_string_equal(config_slot(c, 4)->port, "usb-serial:AB#12");
    config_free(c);
}

static void test_unstable_port_name_is_a_warning(void **state)
{
    char err[256];
    struct jigd_config *c = parse("[slot 1]\n\nport = /dev/ttyUSB0\n[slot 2]\n"
                                  "port = /dev/ttyUSB1\nenabled = no\n",
                                  err, sizeof err);
    assert_non_null(c);
    assert_int_equal(c->n_warnings, 2);
    assert_non_null(strstr(c->warnings[0], "jigd.conf:3: port /dev/ttyUSB0 may get "
                                           "another name"));
    assert_non_null(strstr(c->warnings[1], "jigd.conf:5:"));
    config_free(c);
}

static void test_disabled_slots_may_share_or_lack_a_port(void **state)
{
    char err[256];
    struct jigd_config *c = parse("[slot 1]\nport = /dev/serial/by-id/a\n"
                                  "[slot 2]\nport = /dev/serial/by-id/a\nenabled = no\n"
                                  "[slot 3]\nenabled = no\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_slots, 3);
    config_free(c);
}

static void test_network_listen_with_token_is_accepted(void **state)
{
    char err[256];
    struct jigd_config *c = parse("[station]\nlisten = 0.0.0.0:80\n"
                                  "api_token_file = /etc/jigd/token\n"
                                  "[slot 1]\nport = /dev/serial/by-id/a\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->station.listen_host, "0.0.0.0");
    assert_int_equal(c->station.listen_port, 80);
    config_free(c);
}

/* Named tokens live in station.db, not in jigd.conf: a network listen
 * without api_token_file is taken (jigd answers only this machine until
 * the station has a token; docs/api.md). */
static void test_network_listen_without_token_file_is_accepted(void **state)
{
    char err[256];
    struct jigd_config *c = parse("[station]\nlisten = 0.0.0.0:8080\n"
                                  "[slot 1]\nport = /dev/serial/by-id/a\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_string_equal(c->station.listen_host, "0.0.0.0");
    assert_int_equal(c->n_warnings, 0);
    config_free(c);
}

/* Loopback is an address, not a spelling: these need no token. */
static void test_loopback_listen_and_trusted_local_mode(void **state)
{
    static const char *const loopback[] = {
        "localhost:8080", "LocalHost:8080", "127.0.0.1:8080", "127.0.0.2:9000",
        "127.255.255.254:1", "[::1]:8080", "[::ffff:127.0.0.1]:8080",
    };
    char err[256], text[256];
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        snprintf(text, sizeof text, "[station]\nlisten = %s\n[slot 1]\n"
                 "port = /dev/serial/by-id/a\n", loopback[i]);
        struct jigd_config *c = parse(text, err, sizeof err);
        if (!c)
            fail_msg("listen = %s: %s", loopback[i], err);
        assert_false(c->station.api_trust_local);     /* the default */
        config_free(c);
    }
    struct jigd_config *c = parse("[station]\nlisten = [::1]:8080\napi_trust_local = yes\n"
                                  "[slot 1]\nport = /dev/serial/by-id/a\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_true(c->station.api_trust_local);
    assert_int_equal(c->n_warnings, 0);
    config_free(c);
    /* With a token as well, the token wins: say so. */
    c = parse("[station]\napi_trust_local = yes\napi_token_file = /etc/jigd/token\n"
              "[slot 1]\nport = /dev/serial/by-id/a\n", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_warnings, 1);
    assert_non_null(strstr(c->warnings[0], "jigd.conf:2: api_trust_local = yes has no effect"));
    config_free(c);
}

static void test_load_reports_missing_file(void **state)
{
    char err[256];
    assert_null(config_load("/nonexistent/jigd.conf", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/jigd.conf: cannot open"));
}

/* The shipped default must always parse. */
static void test_deploy_default_config_parses(void **state)
{
    char err[512];
    struct jigd_config *c = config_load(JIGD_SOURCE_DIR "/deploy/jigd.conf", err,
                                        sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->n_slots, 8);
    for (size_t i = 0; i < c->n_slots; i++) {
        assert_int_equal(c->slots[i].index, (int)i + 1);
        assert_non_null(strstr(c->slots[i].port, "/dev/serial/by-path/"));
    }
    assert_int_equal(c->n_warnings, 0);
    config_free(c);
}

static struct jigd_config *config_with_token_file(const char *path)
{
    char text[512], err[256];
    snprintf(text, sizeof text, "[station]\napi_token_file = %s\n[slot 1]\n"
             "port = /dev/serial/by-id/a\n", path);
    return parse(text, err, sizeof err);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_api_token_is_read_only_from_a_private_file(void **state)
{
    char dir[] = "/tmp/jigd_token_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/token", dir);
    struct jigd_config *c = config_with_token_file(path);
    assert_non_null(c);
    char tok[128], err[512];

    write_file(path, "s3cr3t-t0ken-0123456789\n", 0600);
    assert_int_equal(config_read_api_token(c, tok, sizeof tok, err, sizeof err), 0);
    assert_string_equal(tok, "s3cr3t-t0ken-0123456789");

    chmod(path, 0644);
    assert_int_equal(config_read_api_token(c, tok, sizeof tok, err, sizeof err), -1);
    assert_non_null(strstr(err, "mode 644"));
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cr3t"));
    assert_string_equal(tok, "");   /* nothing of a refused token remains */

    write_file(path, "short\n", 0600);
    assert_int_equal(config_read_api_token(c, tok, sizeof tok, err, sizeof err), -1);
    assert_non_null(strstr(err, "at least 16 characters"));
    assert_null(strstr(err, "short\n"));

    write_file(path, "two words in one token line\n", 0600);
    assert_int_equal(config_read_api_token(c, tok, sizeof tok, err, sizeof err), -1);
    assert_non_null(strstr(err, "spaces"));
    assert_null(strstr(err, "words"));

    unlink(path);
    assert_int_equal(config_read_api_token(c, tok, sizeof tok, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    rmdir(dir);
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_fill_everything_not_given),
        cmocka_unit_test(test_every_key_is_read),
        cmocka_unit_test(test_each_mistake_names_its_line),
        cmocka_unit_test(test_webhooks_are_read),
        cmocka_unit_test(test_nul_byte_is_refused),
        cmocka_unit_test(test_overlong_line_and_value_are_refused),
        cmocka_unit_test(test_comments_quotes_crlf_and_bom),
        cmocka_unit_test(test_unstable_port_name_is_a_warning),
        cmocka_unit_test(test_disabled_slots_may_share_or_lack_a_port),
        cmocka_unit_test(test_network_listen_with_token_is_accepted),
        cmocka_unit_test(test_network_listen_without_token_file_is_accepted),
        cmocka_unit_test(test_loopback_listen_and_trusted_local_mode),
        cmocka_unit_test(test_load_reports_missing_file),
        cmocka_unit_test(test_deploy_default_config_parses),
        cmocka_unit_test(test_api_token_is_read_only_from_a_private_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
