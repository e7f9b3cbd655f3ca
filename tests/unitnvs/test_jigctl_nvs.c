/* jigctl nvs generate | dump against Espressif's golden vectors
 * (../shared/vectors/nvs): every partition the official generator made is
 * remade byte for byte from the same CSV, size and version, and every
 * listing nvs_tool printed (text and JSON) is printed the same, as is its
 * integrity check (--check), which fails on a bad CRC. The commands run as
 * jigctl runs them (argv in, stdout and exit code out). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "jigctl_capture.h"

extern const struct jigctl_command jigctl_nvs_commands[];

#define VEC JIGD_SHARED_DIR "/vectors/nvs"

/* The commands of vectors/README.md, one per golden partition. */
static const struct {
    const char *csv, *bin, *size, *version;
} vectors[] = {
    {"ints.csv", "nvs_ints.bin", "0x3000", NULL},
    {"ints.csv", "nvs_ints_v1.bin", "0x3000", "1"},
    {"strings.csv", "nvs_strings.bin", "0x3000", NULL},
    {"blobs.csv", "nvs_blobs.bin", "0x6000", NULL},
    {"blobs_v1.csv", "nvs_blobs_v1.bin", "0x3000", "1"},
    {"factory.csv", "nvs_factory_0x3000.bin", "0x3000", NULL},
    {"factory.csv", "nvs_factory_0x6000.bin", "0x6000", NULL},
    {"factory.csv", "nvs_factory_0x10000.bin", "0x10000", NULL},
};

#define N_VECTORS (sizeof vectors / sizeof vectors[0])

struct scratch {
    char dir[64];
    char cwd[PATH_MAX];
};

static int setup(void **state)
{
    struct scratch *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/jigctl-nvs-XXXXXX");
    if (!mkdtemp(s->dir) || !getcwd(s->cwd, sizeof s->cwd))
        return -1;
    /* As the README's commands: run in the vectors' folder. */
    if (chdir(VEC) != 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct scratch *s = *state;
    char cmd[160];
    if (chdir(s->cwd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        return -1;
    free(s);
    return 0;
}

static void assert_same_file(const char *got_path, const char *want_path)
{
    size_t gn, wn;
    char *got = read_all(got_path, &gn), *want = read_all(want_path, &wn);
    assert_int_equal(gn, wn);
    size_t i = 0;
    while (i < gn && got[i] == want[i])
        i++;
    if (i != gn)
        fail_msg("%s differs from %s at byte 0x%zx", got_path, want_path, i);
    free(got);
    free(want);
}

static void every_vector_is_remade_byte_for_byte(void **state)
{
    struct scratch *s = *state;
    for (size_t i = 0; i < N_VECTORS; i++) {
        char out[128];
        snprintf(out, sizeof out, "%s/%s", s->dir, vectors[i].bin);
        struct captured r = vectors[i].version
            ? run_cmd(jigctl_nvs_commands, "nvs generate", vectors[i].csv, out,
                      vectors[i].size, "--version", vectors[i].version, NULL)
            : run_cmd(jigctl_nvs_commands, "nvs generate", vectors[i].csv, out,
                      vectors[i].size, NULL);
        assert_int_equal(r.rc, JIGCTL_EXIT_OK);
        assert_non_null(strstr(r.out, out));
        free(r.out);
        assert_same_file(out, vectors[i].bin);
    }
}

/* A golden partition added to the folder without a line above fails here,
 * so "every vector" stays true. */
static void the_table_covers_every_golden_partition(void **state)
{
    DIR *d = opendir(".");
    assert_non_null(d);
    size_t found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "nvs_", 4) || n < 4 || strcmp(e->d_name + n - 4, ".bin"))
            continue;
        bool listed = false;
        for (size_t i = 0; i < N_VECTORS; i++)
            listed |= !strcmp(vectors[i].bin, e->d_name);
        if (!listed)
            fail_msg("%s has no generate command in this test", e->d_name);
        found++;
    }
    closedir(d);
    assert_int_equal(found, N_VECTORS);
}

static void dump_prints_what_nvs_tool_printed(void **state)
{
    for (size_t i = 0; i < N_VECTORS; i++) {
        char want_path[128];
        size_t stem = strlen(vectors[i].bin) - 4;
        for (int json = 0; json < 2; json++) {
            snprintf(want_path, sizeof want_path, "%.*s.minimal.%s", (int)stem,
                     vectors[i].bin, json ? "json" : "txt");
            struct captured r = json
                ? run_cmd(jigctl_nvs_commands, "nvs dump", vectors[i].bin, "--format", "json", NULL)
                : run_cmd(jigctl_nvs_commands, "nvs dump", vectors[i].bin, NULL);
            assert_int_equal(r.rc, JIGCTL_EXIT_OK);
            size_t wn;
            char *want = read_all(want_path, &wn);
            if (r.len != wn || memcmp(r.out, want, wn) != 0)
                fail_msg("nvs dump %s%s differs from %s", vectors[i].bin,
                         json ? " --format json" : "", want_path);
            free(want);
            free(r.out);
        }
    }
}

/* --check: the listing, a blank line, then the integrity check, as
 * nvs_tool.py -d minimal -i prints them (nvs_tool.py: the dump, an empty
 * nvs_log.info(), then integrity_check). The vectors hold the check after
 * -d storage_info (.check.txt), so the check part is cut from there. */
static char *check_part(const char *stem)
{
    char path[128];
    size_t n;
    snprintf(path, sizeof path, "%s.check.txt", stem);
    char *txt = read_all(path, &n);
    const char *last = NULL;
    for (const char *p = txt; (p = strstr(p, "    Total:")); p++)
        last = p;
    assert_non_null(last);
    const char *blank = strstr(last, "\n\n\n");
    assert_non_null(blank);
    char *part = strdup(blank + 3);
    free(txt);
    return part;
}

static void check_passes_every_vector_as_nvs_tool_prints_it(void **state)
{
    for (size_t i = 0; i < N_VECTORS; i++) {
        char path[128], stem[64];
        size_t n;
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(vectors[i].bin) - 4), vectors[i].bin);
        snprintf(path, sizeof path, "%s.minimal.txt", stem);
        char *listing = read_all(path, &n);
        char *check = check_part(stem);
        size_t want_len = n + 1 + strlen(check);
        char *want = malloc(want_len + 1);
        memcpy(want, listing, n);
        want[n] = '\n';
        memcpy(want + n + 1, check, strlen(check) + 1);
        struct captured r = run_cmd(jigctl_nvs_commands, "nvs dump", vectors[i].bin, "--check",
                                    NULL);
        assert_int_equal(r.rc, JIGCTL_EXIT_OK);
        if (r.len != want_len || memcmp(r.out, want, want_len) != 0)
            fail_msg("nvs dump %s --check differs from the listing and the check of %s",
                     vectors[i].bin, stem);
        free(r.out);
        free(want);
        free(check);
        free(listing);
    }
}

static void check_fails_on_a_bad_crc_and_says_where(void **state)
{
    struct scratch *s = *state;
    size_t n;
    uint8_t *bin = (uint8_t *)read_all("nvs_factory_0x3000.bin", &n);
    bin[0x40 + 6 * 32 + 24] = 4;    /* entry 6, u8 hw_rev: 3 -> 4 */
    char path[128];
    snprintf(path, sizeof path, "%s/bad_crc.bin", s->dir);
    FILE *f = fopen(path, "wb");
    fwrite(bin, 1, n, f);
    fclose(f);
    free(bin);
    struct captured r = run_cmd(jigctl_nvs_commands, "nvs dump", path, "--check", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    static const char line[] = "Page no. 0 \tCRC32: OK\n"
                               " Entry #006 hw_rev has wrong CRC32!      Written: 6f49a1c1 ";
    assert_non_null(memmem(r.out, r.len, line, sizeof line - 1));  /* the listing holds NULs */
    assert_non_null(strstr(last_error, path));
    assert_non_null(strstr(last_error, "1 bad CRC"));
    free(r.out);
    /* Without --check the listing is all there is, and it succeeds. */
    r = run_cmd(jigctl_nvs_commands, "nvs dump", path, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_null(memmem(r.out, r.len, "CRC32", 5));
    free(r.out);
}

static void size_in_decimal_and_output_without_extension(void **state)
{
    struct scratch *s = *state;
    char out[128], made[140];
    snprintf(out, sizeof out, "%s/sub/dir/ints", s->dir);
    snprintf(made, sizeof made, "%s.bin", out);
    struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", "ints.csv", out, "12288", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    free(r.out);
    assert_same_file(made, "nvs_ints.bin");
}

static void outdir_and_several_inputs(void **state)
{
    struct scratch *s = *state;
    /* Two CSVs go into one partition, in order, as the tool does: the
     * second file's rows after the first's. Compared with the reader. */
    char second[128];
    snprintf(second, sizeof second, "%s/more.csv", s->dir);
    FILE *f = fopen(second, "w");
    fputs("key,type,encoding,value\nmore,namespace,,\nanswer,data,u8,42\n", f);
    fclose(f);
    struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", "ints.csv", second,
                                "both.bin", "0x3000", "--outdir", s->dir, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    free(r.out);
    char both[128];
    snprintf(both, sizeof both, "%s/both.bin", s->dir);
    r = run_cmd(jigctl_nvs_commands, "nvs dump", both, NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_OK);
    assert_non_null(strstr(r.out, " ints:u8_max = 255\n"));
    assert_non_null(strstr(r.out, " other:boot_count = 7\n"));
    assert_non_null(strstr(r.out, " more:answer = 42\n"));
    assert_true(strstr(r.out, "other:boot_count") < strstr(r.out, "more:answer"));
    free(r.out);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void bad_input_is_refused_with_line_and_no_file(void **state)
{
    struct scratch *s = *state;
    static const struct {
        const char *csv, *want;
    } bad[] = {
        {"key,type,encoding,value\nns,namespace,,\nbig,data,u8,300\n", ":3: value 300 is out of range for u8"},
        {"key,type,encoding,value\nns,namespace,,\nx,data,float,1\n", ":3: 'x': unknown encoding \"float\""},
        {"key,type,encoding,value\nns,namespace,,\nabcdefghijklmnop,data,u8,1\n", ":3: key 'abcdefghijklmnop' is longer than 15"},
        {"key,type,encoding,value\nns,namespace,,\nx,thing,u8,1\n", ":3: 'x': unknown type \"thing\""},
        {"key,type,encoding,value\nns,namespace,,\nf,file,binary,no_such_file.bin\n", "current directory"},
    };
    char csv[128], out[128];
    snprintf(csv, sizeof csv, "%s/bad.csv", s->dir);
    snprintf(out, sizeof out, "%s/bad.bin", s->dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(csv, "w");
        fputs(bad[i].csv, f);
        fclose(f);
        struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", csv, out, "0x3000", NULL);
        assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
        free(r.out);
        if (!strstr(last_error, bad[i].want))
            fail_msg("case %zu: '%s' does not say '%s'", i, last_error, bad[i].want);
        assert_non_null(strstr(last_error, csv));
        assert_false(exists(out));
    }
    /* Too little room: 0x3000 leaves two usable pages. */
    FILE *f = fopen(csv, "w");
    fputs("key,type,encoding,value\nns,namespace,,\n", f);
    for (int i = 0; i < 3; i++)
        fprintf(f, "s%d,file,string,long1000.txt\nb%d,file,binary,blob6000.bin\n", i, i);
    fclose(f);
    struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", csv, out, "0x3000", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    free(r.out);
    assert_false(exists(out));
}

static void bad_arguments_are_usage_errors(void **state)
{
    struct scratch *s = *state;
    char out[128];
    snprintf(out, sizeof out, "%s/x.txt", s->dir);
    static const char *sizes[] = {"0x3001", "0x800", "012288", "3k", ""};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", "ints.csv", "o.bin", sizes[i], NULL);
        assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
        free(r.out);
    }
    struct captured r = run_cmd(jigctl_nvs_commands, "nvs generate", "ints.csv", out, "0x3000", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    assert_non_null(strstr(last_error, ".bin"));
    assert_false(exists(out));
    free(r.out);
    r = run_cmd(jigctl_nvs_commands, "nvs generate", "ints.csv", "o.bin", "0x3000", "--version", "3", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    r = run_cmd(jigctl_nvs_commands, "nvs dump", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    r = run_cmd(jigctl_nvs_commands, "nvs dump", "nvs_ints.bin", "--format", "yaml", NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    free(r.out);
    /* nvs_tool checks only in its text output; so does dump. */
    r = run_cmd(jigctl_nvs_commands, "nvs dump", "nvs_ints.bin", "--format", "json", "--check",
                NULL);
    assert_int_equal(r.rc, JIGCTL_EXIT_USAGE);
    assert_non_null(strstr(last_error, "--check"));
    free(r.out);
    r = run_cmd(jigctl_nvs_commands, "nvs dump", "ints.csv", NULL);     /* < one page */
    assert_int_equal(r.rc, JIGCTL_EXIT_FAILED);
    assert_non_null(strstr(last_error, "4096-byte page"));
    free(r.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_vector_is_remade_byte_for_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(the_table_covers_every_golden_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(dump_prints_what_nvs_tool_printed, setup, teardown),
        cmocka_unit_test_setup_teardown(check_passes_every_vector_as_nvs_tool_prints_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(check_fails_on_a_bad_crc_and_says_where, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(size_in_decimal_and_output_without_extension, setup, teardown),
        cmocka_unit_test_setup_teardown(outdir_and_several_inputs, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_is_refused_with_line_and_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_are_usage_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
