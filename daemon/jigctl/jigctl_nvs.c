/* jigctl nvs generate | dump: Espressif's NVS partition generator and
 * nvs_tool's listing and CRC checks, on this machine, without jigd.
 *
 * `nvs generate` takes the arguments of `python -m esp_idf_nvs_partition_gen
 * generate` (one or more CSVs, OUTPUT, SIZE, --version, --outdir) and gives
 * the same bytes. Like that tool it reads "file" rows relative to the
 * current directory, not the CSV's folder, so a script that worked with the
 * tool works unchanged. */
#include "jigctl_command.h"
#include "hex.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvs_crc_check.h"
#include "nvs_csv.h"
#include "nvs_dump.h"
#include "nvs_writer.h"

#define INPUT_MAX (64u << 20)
#define MAX_INPUTS 64
#define PART_MAX (64u << 20)   /* larger than any NVS partition */

/* The whole file in a malloc'd buffer (+ NUL), or NULL with errno set. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > INPUT_MAX) {
        fclose(f);
        errno = EFBIG;
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (buf && fread(buf, 1, n, f) != n) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

static const uint8_t *load_from_cwd(void *ctx, const char *name, size_t *len,
                                    char *why, size_t why_cap)
{
    char *data = slurp(name, len);
    if (!data)
        snprintf(why, why_cap, "%s (file rows are read relative to the "
                 "current directory, as Espressif's tool does)",
                 errno == EFBIG ? "not a regular file of a sane size"
                                : strerror(errno));
    return (const uint8_t *)data;
}

static void release_loaded(void *ctx, const uint8_t *data)
{
    free((void *)data);
}

/* Python's int(text, 0): 0x.., 0o.., 0b.. or decimal without leading
 * zeros, single underscores between digits. */
static int parse_size(const char *s, uint64_t *out)
{
    int base = 10;
    const char *p = s;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) base = 16, p += 2;
    else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) base = 8, p += 2;
    else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) base = 2, p += 2;
    if (base != 10 && *p == '_')
        p++;
    if (!*p)
        return -1;
    uint64_t v = 0;
    bool any = false, nonzero = false;
    for (; *p; p++) {
        if (*p == '_' && any && p[1] && p[1] != '_')
            continue;
        int d = hex_digit(*p);      /* a digit of any base up to 16; -1 none */
        if (d < 0 || d >= base)
            return -1;
        if (base == 10 && any && !nonzero)
            return -1;      /* "012" is not a Python integer */
        if (v > (UINT64_MAX - (unsigned)d) / (unsigned)base)
            return -1;
        v = v * (unsigned)base + (unsigned)d;
        any = true;
        nonzero |= d != 0;
    }
    *out = v;
    return 0;
}

/* The tool's output naming: no extension gets ".bin"; another is refused. */
static int output_path(const char *outdir, const char *output, char *path,
                       size_t cap)
{
    const char *base = strrchr(output, '/');
    base = base ? base + 1 : output;
    const char *b = base;
    while (*b == '.')
        b++;
    const char *dot = strrchr(b, '.');
    if (dot && !strstr(dot, ".bin")) {
        jigctl_error("'%s': the output must be a .bin file (as the "
                     "generator's)", output);
        return -1;
    }
    int n;
    if (output[0] == '/' || !outdir)
        n = snprintf(path, cap, "%s%s", output, dot ? "" : ".bin");
    else
        n = snprintf(path, cap, "%s/%s%s", outdir, output, dot ? "" : ".bin");
    if (n < 0 || (size_t)n >= cap) {
        jigctl_error("output path too long");
        return -1;
    }
    return 0;
}

/* mkdir -p of the folder that will hold `path`. */
static int make_parent_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                jigctl_error("cannot create the folder %s: %s", dir,
                             strerror(errno));
                return -1;
            }
            *p = c;
        }
        if (end)
            return 0;
    }
}

static int write_file_atomic(const char *path, const uint8_t *data, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        jigctl_error("cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        jigctl_error("cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

struct gen_args {
    const char *inputs[MAX_INPUTS];
    int n_inputs;
    const char *output, *size, *outdir;
    enum nvs_version version;
    bool wifi_extras;
};

static int gen_usage(void)
{
    jigctl_error("usage: jigctl nvs generate INPUT.csv [INPUT.csv ...] "
                 "OUTPUT.bin SIZE [--version 1|2] [--outdir DIR] "
                 "[--wifi-extras]");
    return JIGCTL_EXIT_USAGE;
}

static int parse_gen_args(int argc, char **argv, struct gen_args *a)
{
    const char *pos[MAX_INPUTS + 2];
    int n = 0;
    a->version = NVS_VERSION_2;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *val = NULL;
        if (!strncmp(arg, "--version", 9) || !strncmp(arg, "--outdir", 8)) {
            const char *eq = strchr(arg, '=');
            val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val)
                return gen_usage();
            if (arg[2] == 'o') {
                a->outdir = val;
            } else if (!strcmp(val, "1") || !strcmp(val, "2")) {
                a->version = val[0] == '1' ? NVS_VERSION_1 : NVS_VERSION_2;
            } else {
                jigctl_error("--version takes 1 or 2, not '%s'", val);
                return JIGCTL_EXIT_USAGE;
            }
        } else if (!strcmp(arg, "--wifi-extras")) {
            a->wifi_extras = true;
        } else if (arg[0] == '-' && arg[1]) {
            jigctl_error("unknown option '%s'", arg);
            return gen_usage();
        } else if (n < MAX_INPUTS + 2) {
            pos[n++] = arg;
        } else {
            jigctl_error("too many input files (at most %d)", MAX_INPUTS);
            return JIGCTL_EXIT_USAGE;
        }
    }
    if (n < 3)
        return gen_usage();
    a->n_inputs = n - 2;
    for (int i = 0; i < a->n_inputs; i++)
        a->inputs[i] = pos[i];
    a->output = pos[n - 2];
    a->size = pos[n - 1];
    return JIGCTL_EXIT_OK;
}

static int write_inputs(const struct gen_args *a, struct nvs_writer *w)
{
    const struct nvs_file_loader files = {load_from_cwd, release_loaded, NULL};
    const struct nvs_csv_options opts = {.wifi_extras = a->wifi_extras};
    for (int i = 0; i < a->n_inputs; i++) {
        size_t len;
        char *csv = slurp(a->inputs[i], &len);
        if (!csv) {
            jigctl_error("cannot read %s: %s", a->inputs[i],
                         errno == EFBIG ? "not a regular file of a sane size"
                                        : strerror(errno));
            return -1;
        }
        struct nvs_csv_error e;
        int rc = nvs_csv_generate_opts(csv, len, w, &files, &opts, &e);
        free(csv);
        if (rc < 0) {
            const char *msg = e.msg;
            if (e.line && !strncmp(msg, "line ", 5) && strstr(msg, ": "))
                msg = strstr(msg, ": ") + 2;
            if (e.line)
                jigctl_error("%s:%u: %s", a->inputs[i], e.line, msg);
            else
                jigctl_error("%s: %s", a->inputs[i], msg);
            return -1;
        }
    }
    return 0;
}

static int generate(struct jigctl *ctl, int argc, char **argv)
{
    struct gen_args a = {0};
    int r = parse_gen_args(argc, argv, &a);
    if (r)
        return r;
    uint64_t size;
    if (parse_size(a.size, &size) < 0) {
        jigctl_error("SIZE '%s' is not a number (write 0x3000 or 12288)", a.size);
        return JIGCTL_EXIT_USAGE;
    }
    if (size % NVS_PAGE_SIZE || size < NVS_PAGE_SIZE || size > PART_MAX) {
        jigctl_error("SIZE 0x%llx: an NVS partition is a multiple of 4096 "
                     "bytes, at least 0x3000 (0x1000 if read-only)",
                     (unsigned long long)size);
        return JIGCTL_EXIT_USAGE;
    }
    char path[4096];
    if (output_path(a.outdir, a.output, path, sizeof path) < 0)
        return JIGCTL_EXIT_USAGE;
    uint8_t *buf = malloc((size_t)size);
    struct nvs_writer w;
    if (!buf || nvs_writer_init(&w, buf, (size_t)size, a.version) < 0) {
        jigctl_error("%s", buf ? w.error : "out of memory");
        free(buf);
        return JIGCTL_EXIT_FAILED;
    }
    if (size < 3 * NVS_PAGE_SIZE)
        fprintf(stderr, "jigctl: 0x%llx bytes is below 0x3000: the partition "
                "is read-only and must be flagged \"readonly\" in the "
                "partition table\n", (unsigned long long)size);
    int rc = write_inputs(&a, &w);
    if (rc == 0) {
        size_t len = nvs_writer_finish(&w);
        rc = make_parent_dirs(path) < 0 || write_file_atomic(path, buf, len) < 0
                 ? -1 : 0;
    }
    free(buf);
    if (rc < 0)
        return JIGCTL_EXIT_FAILED;
    printf("Created NVS binary (version %d): %s\n",
           a.version == NVS_VERSION_1 ? 1 : 2, path);
    return JIGCTL_EXIT_OK;
}

struct dump_args {
    const char *file;
    bool json, check;
};

static int dump_usage(void)
{
    jigctl_error("usage: jigctl nvs dump FILE [--format text|json] [--check]");
    return JIGCTL_EXIT_USAGE;
}

static int parse_dump_args(int argc, char **argv, struct dump_args *a)
{
    const char *format = "text";
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "--format", 8)) {
            const char *eq = strchr(argv[i], '=');
            format = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : "");
        } else if (!strcmp(argv[i], "--check")) {
            a->check = true;
        } else if (!a->file && (argv[i][0] != '-' || !argv[i][1])) {
            a->file = argv[i];
        } else {
            return dump_usage();
        }
    }
    a->json = !strcmp(format, "json");
    if (!a->file || (!a->json && strcmp(format, "text")))
        return dump_usage();
    if (a->json && a->check) {
        jigctl_error("--check prints nvs_tool's integrity check, which is text only: "
                     "leave out --format json");
        return JIGCTL_EXIT_USAGE;
    }
    return JIGCTL_EXIT_OK;
}

enum dump_kind { DUMP_TEXT, DUMP_JSON, DUMP_CHECK };

static size_t render(enum dump_kind k, const uint8_t *p, size_t len, char *out, size_t cap,
                     struct nvs_crc_check_counts *counts)
{
    switch (k) {
    case DUMP_JSON: return nvs_dump_minimal_json(p, len, out, cap);
    case DUMP_CHECK: return nvs_crc_check(p, len, out, cap, counts);
    default: return nvs_dump_minimal(p, len, out, cap);
    }
}

/* The listing or report measured, then written to stdout (the text
 * listing may hold NULs from strings, so by length). */
static int print_rendered(enum dump_kind k, const uint8_t *p, size_t len,
                          struct nvs_crc_check_counts *counts)
{
    size_t n = render(k, p, len, NULL, 0, counts);
    char *text = malloc(n + 1);
    if (!text) {
        jigctl_error("out of memory");
        return JIGCTL_EXIT_FAILED;
    }
    render(k, p, len, text, n + 1, counts);
    fwrite(text, 1, n, stdout);
    free(text);
    return JIGCTL_EXIT_OK;
}

/* As nvs_tool.py -i: a blank line after the listing, then the check; the
 * exit status says whether anything was wrong. */
static int print_check(const char *file, const uint8_t *p, size_t len)
{
    struct nvs_crc_check_counts c;
    putchar('\n');
    if (print_rendered(DUMP_CHECK, p, len, &c) != JIGCTL_EXIT_OK)
        return JIGCTL_EXIT_FAILED;
    unsigned bad = nvs_crc_check_bad(&c);
    if (!bad)
        return JIGCTL_EXIT_OK;
    fflush(stdout);
    jigctl_error("%s: %u bad CRC%s: %u page header%s, %u entr%s, %u string/blob data, %u "
                 "written but empty; the lines above give each one's page and entry number",
                 file, bad, bad == 1 ? "" : "s", c.page_crc, c.page_crc == 1 ? "" : "s",
                 c.entry_crc, c.entry_crc == 1 ? "y" : "ies", c.data_crc, c.written_empty);
    return JIGCTL_EXIT_FAILED;
}

static int dump(struct jigctl *ctl, int argc, char **argv)
{
    struct dump_args a = {0};
    int rc = parse_dump_args(argc, argv, &a);
    if (rc)
        return rc;
    size_t len;
    char *part = slurp(a.file, &len);
    if (!part) {
        jigctl_error("cannot read %s: %s", a.file,
                     errno == EFBIG ? "not a regular file of a sane size"
                                    : strerror(errno));
        return JIGCTL_EXIT_FAILED;
    }
    if (len < NVS_PAGE_SIZE) {
        jigctl_error("%s is %zu bytes: an NVS partition has at least one "
                     "4096-byte page", a.file, len);
        free(part);
        return JIGCTL_EXIT_FAILED;
    }
    if (len % NVS_PAGE_SIZE)
        fprintf(stderr, "jigctl: %s: the last %zu bytes are not a whole page "
                "and are not shown\n", a.file, len % NVS_PAGE_SIZE);
    const uint8_t *p = (const uint8_t *)part;
    rc = print_rendered(a.json ? DUMP_JSON : DUMP_TEXT, p, len, NULL);
    if (rc == JIGCTL_EXIT_OK && a.check)
        rc = print_check(a.file, p, len);
    fflush(stdout);
    free(part);
    return rc;
}

const struct jigctl_command jigctl_nvs_commands[] = {
    {"nvs generate", "IN.csv OUT.bin SIZE",
     "make an NVS partition, as esp_idf_nvs_partition_gen (--version 1|2)", generate, NULL},
    {"nvs dump", "FILE [--format json] [--check]",
     "list what an NVS partition holds (as nvs_tool -d minimal; -i with --check)", dump, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
