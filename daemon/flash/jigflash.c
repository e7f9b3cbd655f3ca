/* jigflash: one board, one job, from the command line. A thin shell around
 * flash_job: parse arguments, load files, run the loop, print the result. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "flash_job.h"
#include "hex.h"
#include "mac_text.h"
#include "reset_gpio.h"
#include "stub_cache.h"
#include "zimage.h"

#ifndef JIGD_DEFAULT_STUB_DIR
#define JIGD_DEFAULT_STUB_DIR "node_modules/esptool-js/lib/targets/stub_flasher"
#endif

#define MAX_REGIONS 16

enum exit_code {
    EXIT_OK = 0,
    EXIT_DEVICE = 1,        /* the board refused or answered nonsense */
    EXIT_USAGE = 2,
    EXIT_PORT = 3,          /* cannot open the port, or it died */
    EXIT_NO_ANSWER = 4,     /* timeout, no sync */
    EXIT_VERIFY = 5,        /* MD5 mismatch after writing */
    EXIT_FILE = 6,          /* a local file could not be read or written */
};

static const char usage_text[] =
"usage: jigflash --port PORT [options] COMMAND [ARGS]\n"
"\n"
"Flash or inspect one Espressif board through its ROM loader (and the flasher\n"
"stub), over a local serial port or a remote RFC 2217 port.\n"
"\n"
"commands:\n"
"  write OFFSET FILE [OFFSET FILE ...]  write each file at its offset, verify MD5\n"
"  read-mac                             print the chip and its MAC address\n"
"  flash-id                             print the flash JEDEC id and size\n"
"  md5 OFFSET SIZE                      print the MD5 of a flash range\n"
"  read OFFSET SIZE FILE                copy a flash range into FILE\n"
"  erase OFFSET SIZE                    erase a flash range (sector aligned)\n"
"\n"
"options:\n"
"  -p, --port PORT        rfc2217://HOST:PORT or a device path (/dev/ttyUSB0)\n"
"  -b, --baud RATE        rate after connecting (default 460800; 0 = stay at 115200)\n"
"      --stub-dir DIR     flasher stub JSON folder (default: esptool-js's)\n"
"      --no-stub          talk to the ROM loader only\n"
"      --reset MODE       classic (DTR/RTS, default), usb-jtag, gpio (EN and IO0 on\n"
"                         host GPIO lines: give the three --gpio options), or none\n"
"                         (hold BOOT yourself; no line changes, no reset at the end)\n"
"      --gpio-chip CHIP   reset = gpio: the GPIO chip (/dev/gpiochip0; gpiodetect)\n"
"      --gpio-en LINE     reset = gpio: the line offset wired to EN (gpioinfo)\n"
"      --gpio-io0 LINE    reset = gpio: the line offset wired to IO0 (BOOT)\n"
"      --no-hard-reset    leave the chip in the loader when done\n"
"      --no-compress      write uncompressed\n"
"  -q, --quiet            no progress on stderr\n"
"  -h, --help             this text\n"
"\n"
"OFFSET and SIZE take decimal or 0x-prefixed hex.\n"
"exit status: 0 ok, 1 the board reported a failure, 2 usage, 3 port problem,\n"
"4 no answer from the board, 5 verify mismatch, 6 local file problem.\n";

struct cli {
    struct flash_job_config cfg;
    struct flash_job_region regions[MAX_REGIONS];
    uint8_t *files[MAX_REGIONS];
    const char *command;
    const char *read_path;
    const char *gpio_chip;
    uint32_t gpio_en, gpio_io0;
    bool have_gpio_en, have_gpio_io0;
    bool quiet, no_compress;
    int last_percent;
    int exit_code;
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "jigflash: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(jigflash --help shows the usage)\n");
    return EXIT_USAGE;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            uint8_t *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
        }
        size_t n = fread(buf + *len, 1, cap - *len, f);
        if (n == 0)
            break;
        *len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    return buf;
}

/* write OFFSET FILE ...: load and compress each file once. */
static int add_regions(struct cli *c, int argc, char **argv)
{
    if (argc == 0 || argc % 2)
        return usage_error("write needs OFFSET FILE pairs%s", "");
    if (argc / 2 > MAX_REGIONS)
        return usage_error("at most 16 files per write%s", "");
    for (int i = 0; i < argc; i += 2) {
        size_t k = c->cfg.n_regions;
        uint32_t offset;
        if (parse_u32(argv[i], &offset))
            return usage_error("bad offset '%s'", argv[i]);
        size_t len;
        c->files[k] = read_file(argv[i + 1], &len);
        if (!c->files[k]) {
            fprintf(stderr, "jigflash: cannot read %s: %s\n", argv[i + 1], strerror(errno));
            return EXIT_FILE;
        }
        if (len == 0) {
            fprintf(stderr, "jigflash: %s is empty: nothing to write\n", argv[i + 1]);
            return EXIT_FILE;
        }
        struct loader_region *r = &c->regions[k].region;
        if (c->no_compress || zimage_region(r, offset, c->files[k], len) < 0)
            *r = (struct loader_region){.offset = offset, .data = c->files[k], .size = len};
        if (r->zdata && r->zsize >= r->size) {
            /* Incompressible: sending the stream would only add bytes. */
            free((void *)r->zdata);
            r->zdata = NULL;
            r->zsize = 0;
        }
        c->cfg.n_regions++;
    }
    c->cfg.regions = c->regions;
    return EXIT_OK;
}

static int parse_command(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return usage_error("no command given%s", "");
    const char *cmd = c->command = argv[0];
    argc--, argv++;
    struct flash_job_config *cfg = &c->cfg;
    if (!strcmp(cmd, "write")) {
        cfg->action = FLASH_JOB_WRITE;
        return add_regions(c, argc, argv);
    }
    if (!strcmp(cmd, "read-mac") || !strcmp(cmd, "flash-id")) {
        if (argc)
            return usage_error("%s takes no arguments", cmd);
        cfg->action = FLASH_JOB_IDENTIFY;
        return EXIT_OK;
    }
    int want = !strcmp(cmd, "read") ? 3 : 2;
    if (!strcmp(cmd, "md5"))
        cfg->action = FLASH_JOB_MD5;
    else if (!strcmp(cmd, "read"))
        cfg->action = FLASH_JOB_READ;
    else if (!strcmp(cmd, "erase"))
        cfg->action = FLASH_JOB_ERASE;
    else
        return usage_error("unknown command '%s'", cmd);
    if (argc != want)
        return usage_error(want == 3 ? "%s needs OFFSET SIZE FILE" : "%s needs OFFSET SIZE", cmd);
    if (parse_u32(argv[0], &cfg->offset))
        return usage_error("bad offset '%s'", argv[0]);
    if (parse_u32(argv[1], &cfg->size) || cfg->size == 0)
        return usage_error("bad size '%s'", argv[1]);
    if (cfg->action == FLASH_JOB_READ) {
        c->read_path = argv[2];
        cfg->read_dst = malloc(cfg->size);
        if (!cfg->read_dst) {
            fprintf(stderr, "jigflash: out of memory for %" PRIu32 " bytes\n", cfg->size);
            return EXIT_FILE;
        }
    }
    return EXIT_OK;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
    enum {
        OPT_STUB_DIR = 256, OPT_NO_STUB, OPT_RESET, OPT_NO_HARD_RESET, OPT_NO_COMPRESS,
        OPT_GPIO_CHIP, OPT_GPIO_EN, OPT_GPIO_IO0,
    };
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'},
        {"baud", required_argument, NULL, 'b'},
        {"stub-dir", required_argument, NULL, OPT_STUB_DIR},
        {"no-stub", no_argument, NULL, OPT_NO_STUB},
        {"reset", required_argument, NULL, OPT_RESET},
        {"no-hard-reset", no_argument, NULL, OPT_NO_HARD_RESET},
        {"no-compress", no_argument, NULL, OPT_NO_COMPRESS},
        {"gpio-chip", required_argument, NULL, OPT_GPIO_CHIP},
        {"gpio-en", required_argument, NULL, OPT_GPIO_EN},
        {"gpio-io0", required_argument, NULL, OPT_GPIO_IO0},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct flash_job_config *cfg = &c->cfg;
    cfg->baud = 460800;
    cfg->stub_dir = JIGD_DEFAULT_STUB_DIR;
    cfg->reset = LOADER_RESET_CLASSIC;
    cfg->hard_reset = true;
    int opt;
    while ((opt = getopt_long(argc, argv, "+p:b:qh", options, NULL)) != -1) {
        switch (opt) {
        case 'p':
            cfg->port = optarg;
            break;
        case 'b':
            if (parse_u32(optarg, &cfg->baud))
                return usage_error("bad baud rate '%s'", optarg);
            break;
        case OPT_STUB_DIR:
            cfg->stub_dir = optarg;
            break;
        case OPT_NO_STUB:
            cfg->stub_dir = NULL;
            break;
        case OPT_RESET:
            if (!strcmp(optarg, "classic"))
                cfg->reset = LOADER_RESET_CLASSIC;
            else if (!strcmp(optarg, "usb-jtag"))
                cfg->reset = LOADER_RESET_USB_JTAG;
            else if (!strcmp(optarg, "none"))
                cfg->reset = LOADER_RESET_NONE;
            else if (!strcmp(optarg, "gpio"))
                cfg->reset = LOADER_RESET_GPIO;
            else
                return usage_error("--reset takes classic, usb-jtag, gpio or none, not '%s'",
                                   optarg);
            break;
        case OPT_GPIO_CHIP:
            c->gpio_chip = optarg;
            break;
        case OPT_GPIO_EN:
            if (parse_u32(optarg, &c->gpio_en))
                return usage_error("--gpio-en takes a line offset, not '%s'", optarg);
            c->have_gpio_en = true;
            break;
        case OPT_GPIO_IO0:
            if (parse_u32(optarg, &c->gpio_io0))
                return usage_error("--gpio-io0 takes a line offset, not '%s'", optarg);
            c->have_gpio_io0 = true;
            break;
        case OPT_NO_HARD_RESET:
            cfg->hard_reset = false;
            break;
        case OPT_NO_COMPRESS:
            c->no_compress = true;
            break;
        case 'q':
            c->quiet = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(EXIT_OK);
        default:
            return usage_error("bad option%s", "");
        }
    }
    if (!cfg->port)
        return usage_error("--port is required (rfc2217://HOST:PORT or a device path)%s", "");
    if (cfg->reset == LOADER_RESET_NONE)
        cfg->hard_reset = false;    /* no lines to pulse */
    bool gpio = cfg->reset == LOADER_RESET_GPIO;
    if (gpio && (!c->gpio_chip || !c->have_gpio_en || !c->have_gpio_io0))
        return usage_error("--reset gpio needs --gpio-chip, --gpio-en and --gpio-io0%s", "");
    if (!gpio && (c->gpio_chip || c->have_gpio_en || c->have_gpio_io0))
        return usage_error("the --gpio options go with --reset gpio%s", "");
    if (gpio && c->gpio_en == c->gpio_io0)
        return usage_error("--gpio-en and --gpio-io0 cannot be the same line%s", "");
    return parse_command(c, argc - optind, argv + optind);
}

/* ---- job events -------------------------------------------------------- */

static void on_step(struct flash_job *j, const struct flash_job_step *s)
{
    struct cli *c = flash_job_owner(j);
    c->last_percent = -1;
    if (c->quiet)
        return;
    if (s->kind == STEP_WRITE || s->kind == STEP_VERIFY) {
        const struct loader_region *r = &c->regions[s->region].region;
        fprintf(stderr, "%s 0x%08" PRIx32 " (%zu bytes%s)\n", flash_job_step_name(s->kind),
                r->offset, r->size,
                s->kind == STEP_WRITE && r->zdata ? ", compressed" : "");
    } else {
        fprintf(stderr, "%s\n", flash_job_step_name(s->kind));
    }
}

static void on_progress(struct flash_job *j, const struct flash_job_step *s,
                        uint64_t done, uint64_t total)
{
    struct cli *c = flash_job_owner(j);
    if (c->quiet || total == 0)
        return;
    int percent = (int)(done * 100 / total);
    if (percent / 10 == c->last_percent / 10 && percent != 100)
        return;
    c->last_percent = percent;
    fprintf(stderr, "  %3d%% (%" PRIu64 " of %" PRIu64 " bytes)\n", percent, done, total);
}

static int exit_code_for(const struct loader_error *e)
{
    switch (e->code) {
    case LOADER_ERR_TIMEOUT:
    case LOADER_ERR_NO_SYNC:
        return EXIT_NO_ANSWER;
    case LOADER_ERR_VERIFY:
        return EXIT_VERIFY;
    case LOADER_ERR_PORT:
        return EXIT_PORT;
    case LOADER_ERR_STUB:
        return EXIT_FILE;
    default:
        return EXIT_DEVICE;
    }
}

static void print_chip(const struct loader_chip_info *info)
{
    printf("Chip: %s", info->chip ? info->chip->name : "unknown");
    if (info->revision >= 0)
        printf(" (revision v%d.%d)", info->revision / 100, info->revision % 100);
    printf("\n");
}

static int print_results(struct cli *c, struct flash_job *j)
{
    const struct loader_chip_info *info = flash_job_chip(j);
    const struct flash_job_config *cfg = &c->cfg;
    if (!strcmp(c->command, "read-mac")) {
        print_chip(info);
        char mac[MAC_TEXT_SIZE];
        printf("MAC: %s\n", mac_text(info->mac, mac));
    } else if (!strcmp(c->command, "flash-id")) {
        print_chip(info);
        printf("Flash manufacturer: 0x%02" PRIx32 "\nFlash device: 0x%04" PRIx32 "\n",
               info->flash_id & 0xFF, (info->flash_id >> 8) & 0xFFFF);
        if (info->flash_size)
            printf("Flash size: %" PRIu32 " KB\n", info->flash_size / 1024);
        else
            printf("Flash size: unknown\n");
    } else if (cfg->action == FLASH_JOB_MD5) {
        char md5[HEX_LEN(16)];
        printf("%s\n", hex_encode(flash_job_md5(j), 16, md5));
    } else if (cfg->action == FLASH_JOB_READ) {
        FILE *f = fopen(c->read_path, "wb");
        if (!f || fwrite(cfg->read_dst, 1, cfg->size, f) != cfg->size || fclose(f) != 0) {
            fprintf(stderr, "jigflash: cannot write %s: %s\n", c->read_path, strerror(errno));
            return EXIT_FILE;
        }
        if (!c->quiet)
            fprintf(stderr, "read %" PRIu32 " bytes into %s\n", cfg->size, c->read_path);
    } else if (cfg->action == FLASH_JOB_WRITE && !c->quiet) {
        size_t n;
        const struct flash_job_step *steps = flash_job_steps(j, &n);
        uint64_t t = steps[n - 1].ended_us - steps[0].started_us;
        fprintf(stderr, "wrote and verified %zu region(s) in %.2f s\n", cfg->n_regions,
                (double)t / 1e6);
    }
    return EXIT_OK;
}

static void on_done(struct flash_job *j, const struct loader_error *err)
{
    struct cli *c = flash_job_owner(j);
    if (err) {
        fprintf(stderr, "jigflash: %s failed: %s\n", phase_name(err->phase),
                err->message);
        if (err->code == LOADER_ERR_STUB)
            fprintf(stderr, "jigflash: install the stubs (deploy/setup.sh: npm ci), name "
                    "their folder with --stub-dir, or flash through the ROM with --no-stub\n");
        c->exit_code = exit_code_for(err);
        return;
    }
    c->exit_code = print_results(c, j);
}

static const struct flash_job_callbacks callbacks = {
    .on_step = on_step,
    .on_progress = on_progress,
    .on_done = on_done,
};

static void free_cli(struct cli *c)
{
    for (size_t i = 0; i < c->cfg.n_regions; i++)
        free((void *)c->regions[i].region.zdata);
    for (size_t i = 0; i < MAX_REGIONS; i++)
        free(c->files[i]);
    free(c->cfg.read_dst);
    reset_gpio_close(c->cfg.reset_lines);
}

int main(int argc, char **argv)
{
    static struct cli c;
    c.exit_code = parse_args(&c, argc, argv);
    if (c.exit_code != EXIT_OK) {
        free_cli(&c);
        return c.exit_code;
    }

    char err[200];
    if (c.cfg.reset == LOADER_RESET_GPIO) {
        c.cfg.reset_lines = reset_gpio_open(c.gpio_chip, c.gpio_en, c.gpio_io0, "jigflash",
                                            err, sizeof err);
        if (!c.cfg.reset_lines) {
            fprintf(stderr, "jigflash: %s\n", err);
            free_cli(&c);
            return EXIT_PORT;
        }
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct flash_job *j = flash_job_new(&loop, &c.cfg, &callbacks, &c, err, sizeof err);
    if (!j) {
        fprintf(stderr, "jigflash: %s\n", err);
        free_cli(&c);
        return EXIT_USAGE;
    }
    c.exit_code = EXIT_DEVICE;
    flash_job_start(j);
    uv_run(&loop, UV_RUN_DEFAULT);
    flash_job_free(j);
    stub_cache_clear();
    uv_loop_close(&loop);
    free_cli(&c);
    return c.exit_code;
}
