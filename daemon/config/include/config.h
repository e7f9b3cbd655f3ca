/* jigd.conf: the station's configuration file, edited by the line engineer.
 *
 * An INI-style text file (docs/config.md documents every key):
 *
 *     # comment
 *     [station]
 *     name = line3-east
 *     listen = 127.0.0.1:8080
 *
 *     [slot 1]
 *     port = /dev/serial/by-path/pci-0000:00:14.0-usb-0:1.1:1.0-port0
 *
 * The parser is written by hand so that every complaint names the file and
 * line and says what to write instead. It never reads the files the
 * configuration points at (bundle, token, stubs): those are checked by their
 * owners when they are used. The one exception is config_read_api_token,
 * which exists so the token is read in exactly one careful place. */
#ifndef JIGD_CONFIG_H
#define JIGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader.h"

#define CONFIG_MAX_SLOTS 64     /* [slot 1] .. [slot 64] */
#define CONFIG_PATH_MAX 1024    /* longest path or port string accepted */
#define CONFIG_NAME_MAX 64      /* station name */
#define CONFIG_MAX_WARNINGS 16

#define CONFIG_DEFAULT_LISTEN_HOST "127.0.0.1"
#define CONFIG_DEFAULT_LISTEN_PORT 8080
#define CONFIG_DEFAULT_DATA_DIR "/var/lib/jigd"
#define CONFIG_DEFAULT_MAX_BAUD 921600u
#define CONFIG_DEFAULT_BOOT_LOG_SECONDS 10u
#define CONFIG_DEFAULT_MIN_FREE_MB 64u
#define CONFIG_MAX_MIN_FREE_MB 1048576u     /* 1 TiB */
#define CONFIG_MIN_BAUD 9600u
#define CONFIG_MAX_BAUD 5000000u
#define CONFIG_NO_GPIO (-1)
#define CONFIG_MAX_LED_GPIO 31         /* the blink drives GPIO 0-31 (flash_job_blink.c) */

/* What starts a flash on a slot. */
enum slot_trigger {
    SLOT_TRIGGER_AUTO,      /* poll for a board in the loader; start on SYNC */
    SLOT_TRIGGER_MANUAL,    /* the operator presses start (dashboard / jigctl) */
    SLOT_TRIGGER_HOTPLUG,   /* the port appears (USB board plugged in) */
};


/* What to tell whoever finds stub_dir without the bundle's <chip>.json:
 * jigd does not ship Espressif's stubs (docs/setup.md, "The flasher
 * stubs"). One sentence for jigd's log, a slot's alarm, a failed unit's
 * advice and jigctl doctor, so they cannot drift apart. */
#define CONFIG_STUB_DIR_ADVICE \
    "put Espressif's flasher stubs in stub_dir (docs/setup.md, step 2: npm ci fetches them; " \
    "installs keep them in /usr/local/share/jigd/stubs), or set stub_dir = (empty) to " \
    "flash through the ROM loader"

struct slot_config {
    int index;                      /* N of [slot N] */
    int line;                       /* line of the [slot N] header */
    char port[CONFIG_PATH_MAX];     /* /dev/serial/..., usb-serial:SN, rfc2217://h:p */
    enum slot_trigger trigger;
    enum loader_reset reset;        /* how the board enters its loader (loader.h) */
    char gpio_chip[CONFIG_PATH_MAX];/* reset = gpio: /dev/gpiochipN */
    int gpio_en;                    /* reset = gpio: line wired to EN */
    int gpio_io0;                   /* reset = gpio: line wired to IO0 (BOOT) */
    uint32_t max_baud;
    int led_gpio;                   /* chip GPIO of the identify LED, CONFIG_NO_GPIO none */
    bool enabled;
};

/* Whether a slot takes the board's PCB label (a barcode scanner types it
 * into the dashboard) before it flashes the board. */
enum board_code_need {
    BOARD_CODE_NONE,        /* no scanning: a scan is refused */
    BOARD_CODE_OPTIONAL,    /* a scan is bound to the next board; none is fine */
    BOARD_CODE_REQUIRED,    /* no board is flashed without one */
};

#define CONFIG_MAX_SHIFTS 6
#define CONFIG_DEFAULT_MAX_UPLOAD_MB 64
#define CONFIG_MAX_UPLOAD_MB 1024
#define CONFIG_DEFAULT_SHIFT_STARTS "06:00 14:00 22:00"

struct station_config {
    char name[CONFIG_NAME_MAX];
    char data_dir[CONFIG_PATH_MAX];
    char listen_host[256];
    uint16_t listen_port;
    char api_token_file[CONFIG_PATH_MAX];   /* "" = no token (loopback only) */
    bool api_trust_local;                   /* no token, yet the API acts for
                                               programs on this machine */
    unsigned api_max_upload_mb;             /* largest bundle archive uploaded */
    char stub_dir[CONFIG_PATH_MAX];         /* "" = ROM loader only; empty of
                                               stubs: CONFIG_STUB_DIR_ADVICE */
    char web_ui[CONFIG_PATH_MAX];           /* the dashboard's files; "" =
                                               ../share/jigd/web-ui from jigd's
                                               own folder */
    char bundle[CONFIG_PATH_MAX];           /* "" = none active yet */
    uint32_t max_baud;
    unsigned boot_log_seconds;
    int led_gpio;                           /* default for slots */
    unsigned min_free_mb;                   /* below it in data_dir no unit starts; 0 = no check */
    /* When the line's shifts begin, in minutes after local midnight,
     * ascending: the dashboard's yield and counts are the shift's. */
    unsigned shift_starts[CONFIG_MAX_SHIFTS];
    size_t n_shift_starts;
    enum board_code_need board_code;        /* the PCB label scan: none by default */
};

/* [identity]: the station CA and the unit keys (docs/identity.md). The
 * files are not read here; jigd opens them at start and names the line. */
struct identity_settings {
    char ca_cert[CONFIG_PATH_MAX];          /* "" = created in data_dir */
    char ca_key[CONFIG_PATH_MAX];
    int ca_cert_line, ca_key_line;          /* 0 = not set */
    char organization[CONFIG_NAME_MAX];     /* O= of the CA and every unit */
    unsigned ca_years, cert_years;
    char key_type[16];                      /* "ec-p256" or "rsa-2048" */
    unsigned key_pool_size, key_pool_workers;
};

#define CONFIG_DEFAULT_SERIAL_FORMAT "{station}-{yy}{ww}-{seq:06}"
#define CONFIG_WORK_ORDER_MAX 65

/* [unit]: what each board is given besides the bundle. */
struct unit_settings {
    char serial_format[CONFIG_PATH_MAX];
    int serial_format_line;
    char nvs_template[CONFIG_PATH_MAX];     /* "" = no per-unit NVS */
    int nvs_template_line;
    bool secure_cert;                       /* write an esp_secure_cert partition */
    int secure_cert_line;
    char work_order[CONFIG_WORK_ORDER_MAX]; /* "" = none */
};

/* [webhook NAME]: a receiver of the station's events (docs/api.md,
 * "Webhooks"). The secret is read from secret_file when jigd starts
 * (config_read_secret_file), never kept here. */
#define CONFIG_MAX_WEBHOOKS 8
#define CONFIG_WEBHOOK_NAME_MAX 32
enum webhook_event_kind {
    WEBHOOK_UNIT_RESULT = 1 << 0,       /* "unit.result": every attempt's end */
    WEBHOOK_WORK_ORDER = 1 << 1,        /* "work_order": created, complete */
    WEBHOOK_ALARM = 1 << 2,             /* "alarm": raised */
};
#define WEBHOOK_ALL_EVENTS (WEBHOOK_UNIT_RESULT | WEBHOOK_WORK_ORDER | WEBHOOK_ALARM)
struct webhook_config {
    char name[CONFIG_WEBHOOK_NAME_MAX + 1];
    int line;                           /* of its [webhook NAME] header */
    char url[CONFIG_PATH_MAX];          /* http:// or https:// */
    unsigned events;                    /* enum webhook_event_kind bits */
    char secret_file[CONFIG_PATH_MAX];
    unsigned timeout_s;                 /* one delivery's time limit */
};

#define CONFIG_DEFAULT_LABEL_PORT 9100
#define CONFIG_DEFAULT_LABEL_TIMEOUT_MS 5000u

/* [label]: a label for each unit that passes (docs/label.md); no section,
 * no labels. One of printer and folder. The template file is read at
 * start, not here (its mistakes name its own line and column). */
struct label_settings {
    bool enabled;                           /* the section is there */
    int line;                               /* of [label] */
    char printer_host[256];                 /* "" = no printer */
    uint16_t printer_port;
    int printer_line;
    char folder[CONFIG_PATH_MAX];           /* "" = no folder */
    int folder_line;
    char template_path[CONFIG_PATH_MAX];    /* "" = the built-in label */
    int template_line;
    unsigned timeout_ms;
};

struct jigd_config {
    struct station_config station;
    struct identity_settings identity;
    struct unit_settings unit;
    struct label_settings label;
    char path[CONFIG_PATH_MAX];             /* the file, for "file:line" at start */
    struct slot_config slots[CONFIG_MAX_SLOTS]; /* sorted by index */
    size_t n_slots;
    struct webhook_config webhooks[CONFIG_MAX_WEBHOOKS];
    size_t n_webhooks;
    /* Things that work but that the engineer should look at (e.g. a port
     * name that changes on replug), each "file:line: text". */
    char warnings[CONFIG_MAX_WARNINGS][256];
    size_t n_warnings;
};

/* Reads and parses the file at `path`. Returns a new configuration (free
 * with config_free), or NULL with "path:line: what is wrong; what to do" in
 * err. Relative paths inside are taken relative to the file's folder. */
struct jigd_config *config_load(const char *path, char *err, size_t errlen);

/* The same from text already in memory; `name` is used in messages and its
 * folder anchors relative paths. `text` need not be NUL-terminated. */
struct jigd_config *config_parse(const char *text, size_t len, const char *name,
                                 char *err, size_t errlen);

void config_free(struct jigd_config *c);

/* The slot configured as [slot index], or NULL. */
const struct slot_config *config_slot(const struct jigd_config *c, int index);

const char *slot_trigger_name(enum slot_trigger t);
const char *board_code_need_name(enum board_code_need n);  /* "none", "optional", "required" */

/* Is a listen host (as written in jigd.conf) this machine alone: a literal
 * loopback address or "localhost"? A name that looks like one
 * (127.0.0.1.nip.io) is not: it may resolve anywhere. */
bool config_host_is_loopback(const char *host);

/* Reads the API token from the station's api_token_file into buf (trailing
 * whitespace removed). Refuses a file that others than its owner may read or
 * an empty one. The token itself never appears in err. Returns 0 or -1. */
int config_read_api_token(const struct jigd_config *c, char *buf, size_t cap,
                          char *err, size_t errlen);
/* The same for any secret file (`key` names it in messages: "secret_file"). */
int config_read_secret_file(const char *key, const char *path, char *buf, size_t cap,
                            char *err, size_t errlen);
/* "unit.result", "work_order", "alarm". */
const char *webhook_event_name(enum webhook_event_kind k);

#endif
