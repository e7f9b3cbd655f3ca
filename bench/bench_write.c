/* bench_write: how close protocol/ + the daemon's flash job come to the
 * physical limit when writing to one espsim board.
 *
 * For each case (path × data × baud) one flash job writes SIZE bytes at
 * 0x10000 and verifies them (MD5). The timed window is write + verify: from
 * the first byte of FLASH_(DEFL_)BEGIN to the MD5 reply. Around that window
 * the harness reads espsim's counters over its control socket:
 *
 *   wire   = (rx_bytes + tx_bytes) × 10 bits / baud   every byte the write
 *            and verify really moved, both directions, 8N1
 *   flash  = flash_busy_us                            erase/program/read time
 *   floor  = max(wire, flash)    nothing can beat that (the stub overlaps the two)
 *   efficiency = floor / achieved
 *   host       = the flash job's own share: time from each reply arriving to
 *                the send it unblocks, summed (everything else in achieved −
 *                floor is the board's: adapter latency, flash work that cannot
 *                overlap the wire, the final MD5 read)
 *
 * The control-socket queries are blocking: fine for a benchmark harness that
 * makes two per case outside the timed window, never for jigd. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "flash_job.h"
#include "zimage.h"

#define MAX_CASES 32

struct counters {
    uint64_t rx, tx, flash_busy_us;
    uint64_t erase_us, program_us, read_us;     /* the parts of flash_busy_us */
};

struct bench_case {
    const char *path;       /* "stub" or "rom" */
    const char *data;       /* "firmware" or "random" */
    uint32_t baud;
    bool ok;
    char error[256];
    size_t size, zsize;     /* zsize 0: written uncompressed */
    struct counters before, after;
    uint64_t t0_us, t1_us;  /* write start, verify end */
    uint64_t turnaround_us, turnarounds;    /* host: reply in -> next send out */
};

struct bench {
    const char *port_url;
    int control_port;
    const char *stub_dir;
    int control_fd;
    struct bench_case *running;
};

/* ---- espsim's control socket --------------------------------------------- */

static int control_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        fprintf(stderr, "bench_write: cannot reach espsim's control port %d: %s\n", port,
                strerror(errno));
        exit(1);
    }
    return fd;
}

/* One request, one line back. */
static void control_ask(int fd, const char *request, char *line, size_t cap)
{
    size_t n = strlen(request);
    if (write(fd, request, n) != (ssize_t)n) {
        fprintf(stderr, "bench_write: control socket write failed\n");
        exit(1);
    }
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t r = read(fd, line + len, 1);
        if (r <= 0) {
            fprintf(stderr, "bench_write: espsim's control socket went quiet\n");
            exit(1);
        }
        if (line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
}

static uint64_t json_u64(const char *json, const char *key)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(json, pattern);
    if (!p) {
        fprintf(stderr, "bench_write: espsim status lacks %s: %s\n", key, json);
        exit(1);
    }
    return strtoull(p + strlen(pattern), NULL, 10);
}

static struct counters read_counters(struct bench *b)
{
    char line[2048];
    control_ask(b->control_fd, "status 1\n", line, sizeof line);
    if (strncmp(line, "ok ", 3)) {
        fprintf(stderr, "bench_write: espsim status failed: %s\n", line);
        exit(1);
    }
    return (struct counters){
        .rx = json_u64(line, "rx_bytes"),
        .tx = json_u64(line, "tx_bytes"),
        .flash_busy_us = json_u64(line, "flash_busy_us"),
        .erase_us = json_u64(line, "flash_erase_us"),
        .program_us = json_u64(line, "flash_program_us"),
        .read_us = json_u64(line, "flash_read_us"),
    };
}

/* ---- test data ----------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Something that deflates like an application image (about 2.5:1): runs of
 * instruction-like words drawn from a small vocabulary, copies of earlier
 * stretches (code reuse, tables), literal text, and some zero padding. */
static void make_firmware(uint8_t *out, size_t size)
{
    static const char *const words[] = {
        "esp_err_t", "nvs_open", "wifi_init", "ESP_LOGI", "partition", "otadata",
        "%s: %d\n", "failed", "heap_caps", "xTaskCreate", "gpio_set_level", "uart",
    };
    size_t i = 0;
    while (i < size) {
        uint32_t kind = rng() % 100;
        size_t n;
        if (kind < 45) {            /* instruction words: few opcodes, random operands */
            n = 4 + rng() % 60;
            for (size_t k = 0; k < n && i + k < size; k++)
                out[i + k] = (k % 4 == 0) ? (uint8_t)(0x20 + (rng() % 6) * 0x11)
                                          : (uint8_t)rng();
        } else if (kind < 80 && i > 4096) {  /* repeat an earlier stretch */
            n = 8 + rng() % 120;
            size_t from = i - 1 - rng() % 4096;
            for (size_t k = 0; k < n && i + k < size; k++)
                out[i + k] = out[from + k];
        } else if (kind < 95) {     /* strings */
            const char *w = words[rng() % (sizeof words / sizeof words[0])];
            n = strlen(w);
            for (size_t k = 0; k < n && i + k < size; k++)
                out[i + k] = (uint8_t)w[k];
        } else {                    /* alignment padding */
            n = 4 + rng() % 28;
            for (size_t k = 0; k < n && i + k < size; k++)
                out[i + k] = 0;
        }
        i += n;
    }
}

static void make_random(uint8_t *out, size_t size)
{
    for (size_t i = 0; i < size; i++)
        out[i] = (uint8_t)rng();
}

/* ---- running one case ---------------------------------------------------- */

static void on_step(struct flash_job *j, const struct flash_job_step *s)
{
    struct bench *b = flash_job_owner(j);
    if (s->kind != STEP_WRITE)
        return;
    /* Nothing of the write has been sent yet: the loader's first events
     * wait in its queue until this callback returns. */
    b->running->before = read_counters(b);
    b->running->t0_us = uv_hrtime() / 1000;
}

static void on_done(struct flash_job *j, const struct loader_error *err)
{
    struct bench *b = flash_job_owner(j);
    struct bench_case *c = b->running;
    size_t n;
    const struct flash_job_step *steps = flash_job_steps(j, &n);
    for (size_t i = 0; i < n; i++)
        if (steps[i].kind == STEP_VERIFY)
            c->t1_us = steps[i].ended_us;
    c->after = read_counters(b);
    c->turnaround_us = flash_job_turnaround_us(j, &c->turnarounds);
    c->ok = !err;
    if (err)
        snprintf(c->error, sizeof c->error, "%s: %s", phase_name(err->phase),
                 err->message);
}

static const struct flash_job_callbacks callbacks = {.on_step = on_step, .on_done = on_done};

static void run_case(struct bench *b, struct bench_case *c, const uint8_t *data, size_t size)
{
    struct flash_job_region region;
    memset(&region, 0, sizeof region);
    if (zimage_region(&region.region, 0x10000, data, size) < 0 ||
        region.region.zsize >= size) {
        free((void *)region.region.zdata);
        region.region = (struct loader_region){.offset = 0x10000, .data = data, .size = size};
    }
    c->size = size;
    c->zsize = region.region.zsize;
    struct flash_job_config cfg = {
        .port = b->port_url,
        .action = FLASH_JOB_WRITE,
        .reset = LOADER_RESET_CLASSIC,
        .baud = c->baud,
        .stub_dir = strcmp(c->path, "stub") == 0 ? b->stub_dir : NULL,
        .regions = &region,
        .n_regions = 1,
    };
    uv_loop_t loop;
    uv_loop_init(&loop);
    char err[200];
    b->running = c;
    struct flash_job *j = flash_job_new(&loop, &cfg, &callbacks, b, err, sizeof err);
    if (!j) {
        fprintf(stderr, "bench_write: %s\n", err);
        exit(1);
    }
    flash_job_start(j);
    uv_run(&loop, UV_RUN_DEFAULT);
    flash_job_free(j);
    uv_loop_close(&loop);
    free((void *)region.region.zdata);
}

/* ---- reporting ----------------------------------------------------------- */

struct figures {
    uint64_t wire_bytes;
    double wire_s, flash_s, floor_s, achieved_s, efficiency;
    double erase_s, program_s, read_s;
};

static struct figures figures_of(const struct bench_case *c)
{
    struct figures f;
    f.wire_bytes = (c->after.rx - c->before.rx) + (c->after.tx - c->before.tx);
    f.wire_s = (double)f.wire_bytes * 10.0 / c->baud;
    f.flash_s = (double)(c->after.flash_busy_us - c->before.flash_busy_us) / 1e6;
    f.floor_s = f.wire_s > f.flash_s ? f.wire_s : f.flash_s;
    f.achieved_s = (double)(c->t1_us - c->t0_us) / 1e6;
    f.efficiency = f.achieved_s > 0 ? f.floor_s / f.achieved_s : 0;
    f.erase_s = (double)(c->after.erase_us - c->before.erase_us) / 1e6;
    f.program_s = (double)(c->after.program_us - c->before.program_us) / 1e6;
    f.read_s = (double)(c->after.read_us - c->before.read_us) / 1e6;
    return f;
}

static void print_text(const struct bench_case *cases, size_t n)
{
    printf("write + verify of one region at 0x10000 (timed: FLASH_BEGIN sent .. MD5 reply)\n");
    printf("%-5s %-9s %8s %8s %8s %10s %8s %8s %8s %8s %6s  %s\n", "path", "data", "baud",
           "bytes", "zbytes", "wire B", "wire s", "flash s", "floor s", "achiev s", "eff",
           "flash: erase/program/read s; host turnaround per reply, total");
    for (size_t i = 0; i < n; i++) {
        const struct bench_case *c = &cases[i];
        if (!c->ok) {
            printf("%-5s %-9s %8" PRIu32 "  FAILED: %s\n", c->path, c->data, c->baud,
                   c->error);
            continue;
        }
        struct figures f = figures_of(c);
        printf("%-5s %-9s %8" PRIu32 " %8zu %8zu %10" PRIu64 " %8.3f %8.3f %8.3f %8.3f %6.3f"
               "  %.3f/%.3f/%.3f; %.0f us, %.3f s\n",
               c->path, c->data, c->baud, c->size, c->zsize, f.wire_bytes, f.wire_s,
               f.flash_s, f.floor_s, f.achieved_s, f.efficiency, f.erase_s, f.program_s,
               f.read_s, c->turnarounds ? (double)c->turnaround_us / c->turnarounds : 0.0,
               (double)c->turnaround_us / 1e6);
    }
}

static void print_json(const struct bench_case *cases, size_t n)
{
    printf("{\"bench\":\"write\",\"timed\":\"write+verify\",\"cases\":[");
    for (size_t i = 0; i < n; i++) {
        const struct bench_case *c = &cases[i];
        struct figures f = figures_of(c);
        printf("%s\n {\"path\":\"%s\",\"data\":\"%s\",\"baud\":%" PRIu32 ",\"ok\":%s,"
               "\"bytes\":%zu,\"compressed_bytes\":%zu,\"wire_bytes\":%" PRIu64 ","
               "\"wire_s\":%.4f,\"flash_busy_s\":%.4f,\"floor_s\":%.4f,"
               "\"achieved_s\":%.4f,\"efficiency\":%.4f,\"flash_erase_s\":%.4f,"
               "\"flash_program_s\":%.4f,\"flash_read_s\":%.4f,"
               "\"host_turnaround_us_mean\":%.1f,\"host_s\":%.4f",
               i ? "," : "", c->path, c->data, c->baud, c->ok ? "true" : "false", c->size,
               c->zsize, c->ok ? f.wire_bytes : 0, c->ok ? f.wire_s : 0,
               c->ok ? f.flash_s : 0, c->ok ? f.floor_s : 0, c->ok ? f.achieved_s : 0,
               c->ok ? f.efficiency : 0, c->ok ? f.erase_s : 0, c->ok ? f.program_s : 0,
               c->ok ? f.read_s : 0,
               c->turnarounds ? (double)c->turnaround_us / c->turnarounds : 0.0,
               (double)c->turnaround_us / 1e6);
        if (!c->ok) {
            printf(",\"error\":\"");
            for (const char *p = c->error; *p; p++)
                printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
            printf("\"");
        }
        printf("}");
    }
    printf("\n]}\n");
}

/* ---- main ---------------------------------------------------------------- */

static const char usage[] =
"usage: bench_write --port rfc2217://127.0.0.1:P --control-port C --stub-dir DIR\n"
"                   [--size BYTES] [--bauds 115200,460800,921600]\n"
"                   [--paths stub,rom] [--data firmware,random] [--json]\n"
"Writes to board 1 of a running espsim (see bench/run.sh, which starts one).\n";

static size_t split_list(char *list, char **items, size_t cap)
{
    size_t n = 0;
    for (char *save, *t = strtok_r(list, ",", &save); t && n < cap; t = strtok_r(NULL, ",", &save))
        items[n++] = t;
    return n;
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    size_t size = 1024 * 1024;
    char bauds_arg[128] = "115200,460800,921600", paths_arg[64] = "stub,rom";
    char data_arg[64] = "firmware,random";
    bool json = false;
    static const struct option options[] = {
        {"port", required_argument, NULL, 'p'}, {"control-port", required_argument, NULL, 'c'},
        {"stub-dir", required_argument, NULL, 's'}, {"size", required_argument, NULL, 'n'},
        {"bauds", required_argument, NULL, 'b'}, {"paths", required_argument, NULL, 'P'},
        {"data", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'p': b.port_url = optarg; break;
        case 'c': b.control_port = atoi(optarg); break;
        case 's': b.stub_dir = optarg; break;
        case 'n': size = strtoul(optarg, NULL, 0); break;
        case 'b': snprintf(bauds_arg, sizeof bauds_arg, "%s", optarg); break;
        case 'P': snprintf(paths_arg, sizeof paths_arg, "%s", optarg); break;
        case 'd': snprintf(data_arg, sizeof data_arg, "%s", optarg); break;
        case 'j': json = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (!b.port_url || !b.control_port || !b.stub_dir || size == 0) {
        fputs(usage, stderr);
        return 2;
    }
    b.control_fd = control_connect(b.control_port);

    char *bauds[8], *paths[2], *datas[2];
    size_t nb = split_list(bauds_arg, bauds, 8), np = split_list(paths_arg, paths, 2);
    size_t nd = split_list(data_arg, datas, 2);
    uint8_t *firmware = malloc(size), *random_data = malloc(size);
    make_firmware(firmware, size);
    make_random(random_data, size);

    static struct bench_case cases[MAX_CASES];
    size_t n = 0;
    for (size_t p = 0; p < np; p++)
        for (size_t d = 0; d < nd; d++)
            for (size_t k = 0; k < nb && n < MAX_CASES; k++) {
                struct bench_case *c = &cases[n++];
                c->path = strcmp(paths[p], "rom") ? "stub" : "rom";
                c->data = strcmp(datas[d], "random") ? "firmware" : "random";
                c->baud = (uint32_t)strtoul(bauds[k], NULL, 10);
                fprintf(stderr, "bench_write: %s %s %" PRIu32 " ...\n", c->path, c->data,
                        c->baud);
                run_case(&b, c, c->data[0] == 'r' ? random_data : firmware, size);
            }
    if (json)
        print_json(cases, n);
    else
        print_text(cases, n);
    free(firmware);
    free(random_data);
    close(b.control_fd);
    for (size_t i = 0; i < n; i++)
        if (!cases[i].ok)
            return 1;
    return 0;
}
