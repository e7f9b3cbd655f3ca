/* Uploaded bundle archives (daemon/bundle/bundle_archive*.c): archives that
 * Debian's own tar and zip make at test time unpack to the bundle's files;
 * each unsafe kind, crafted byte by byte here where the tools would not
 * make it, is refused with a reason naming the member, and leaves nothing
 * on disk: not the destination, and nothing beside it. A zip bomb is
 * refused without allocating more than the limit (counted through
 * AddressSanitizer's allocation hooks in the test build). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include "bundle_archive.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/allocator_interface.h>
#endif

/* ---- a scratch parent folder per test ------------------------------------ */

struct scratch {
    char parent[64];
    char dest[96];
};

static void scratch_make(struct scratch *s)
{
    snprintf(s->parent, sizeof s->parent, "/tmp/jigd-archive-XXXXXX");
    assert_non_null(mkdtemp(s->parent));
    snprintf(s->dest, sizeof s->dest, "%s/bundle", s->parent);
}

static void scratch_remove(struct scratch *s)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->parent);
    assert_int_equal(system(cmd), 0);
}

/* How many entries the folder holds (0 if it is not there). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint8_t *slurp_in(const struct scratch *s, const char *file, size_t *len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", s->parent, file);
    return slurp(path, len);
}

/* A bundle-like folder src/<top>/ with manifest.json and parts/app.bin. */
static const char MANIFEST[] = "{\"format\": 1}\n";
static const char APP[] = "app bytes \x01\x02\x03";

static void make_source(const struct scratch *s, const char *top)
{
    sh("mkdir -p '%s/src/%s/parts' && printf '%%s' '%s' > '%s/src/%s/manifest.json' "
       "&& printf 'app bytes \\001\\002\\003' > '%s/src/%s/parts/app.bin'",
       s->parent, top, MANIFEST, s->parent, top, s->parent, top);
}

/* ---- what a walk hands over ---------------------------------------------- */

struct seen {
    int n;
    char name[8][300];
    size_t size[8];
    char data[8][64];
};

static int collect(const struct bundle_archive_member *m, void *arg)
{
    struct seen *s = arg;
    assert_true(s->n < 8);
    snprintf(s->name[s->n], sizeof s->name[0], "%s", m->name);
    s->size[s->n] = m->size;
    memcpy(s->data[s->n], m->data, m->size < 63 ? m->size : 63);
    s->n++;
    return 0;
}

static int seen_index(const struct seen *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->name[i], name))
            return i;
    return -1;
}

/* The two files of make_source, under these names, and nothing else. */
static void assert_bundle_files(const uint8_t *data, size_t len, const char *manifest,
                                const char *app)
{
    struct seen s = { 0 };
    char err[512];
    int rc = bundle_archive_walk(data, len, NULL, collect, &s, err, sizeof err);
    if (rc)
        fail_msg("walk refused: %s", err);
    assert_int_equal(s.n, 2);
    int m = seen_index(&s, manifest), a = seen_index(&s, app);
    assert_true(m >= 0 && a >= 0);
    assert_int_equal(s.size[m], strlen(MANIFEST));
    assert_memory_equal(s.data[m], MANIFEST, strlen(MANIFEST));
    assert_int_equal(s.size[a], sizeof APP - 1);
    assert_memory_equal(s.data[a], APP, sizeof APP - 1);
}

/* Unpacks and checks the folder holds the two files with the house modes. */
static void assert_unpacks(const struct scratch *s, const uint8_t *data, size_t len)
{
    char err[512], path[160];
    if (bundle_archive_unpack(data, len, s->dest, NULL, err, sizeof err))
        fail_msg("unpack refused: %s", err);
    struct stat st;
    snprintf(path, sizeof path, "%s/manifest.json", s->dest);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(st.st_size, strlen(MANIFEST));
    snprintf(path, sizeof path, "%s/parts", s->dest);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    snprintf(path, sizeof path, "%s/parts/app.bin", s->dest);
    size_t n;
    uint8_t *got = slurp(path, &n);
    assert_int_equal(n, sizeof APP - 1);
    assert_memory_equal(got, APP, n);
    free(got);
    assert_int_equal(entries(s->dest), 2);
}

/* ---- archives made by the real tools ------------------------------------- */

static void test_tar_with_top_folder(void **state)
{
    struct scratch s;
    scratch_make(&s);
    make_source(&s, "acme-1.4");
    sh("tar -C '%s/src' -cf '%s/b.tar' acme-1.4", s.parent, s.parent);
    size_t len;
    uint8_t *tar = slurp_in(&s, "b.tar", &len);
    assert_int_equal(bundle_archive_kind(tar, len), BUNDLE_ARCHIVE_TAR);
    assert_bundle_files(tar, len, "manifest.json", "parts/app.bin");
    sh("rm -rf '%s/src'", s.parent);
    sh("rm -f '%s/b.tar'", s.parent);
    assert_unpacks(&s, tar, len);
    free(tar);
    scratch_remove(&s);
}

static void test_tar_gz_with_dot_prefix(void **state)
{
    struct scratch s;
    scratch_make(&s);
    make_source(&s, "b");
    sh("tar -C '%s/src/b' -czf '%s/b.tgz' .", s.parent, s.parent);
    sh("tar -tzf '%s/b.tgz' > '%s/list' && grep -qx './manifest.json' '%s/list' && "
       "rm '%s/list'", s.parent, s.parent, s.parent, s.parent);
    size_t len;
    uint8_t *tgz = slurp_in(&s, "b.tgz", &len);
    assert_int_equal(bundle_archive_kind(tgz, len), BUNDLE_ARCHIVE_TAR_GZ);
    assert_bundle_files(tgz, len, "manifest.json", "parts/app.bin");
    sh("rm -rf '%s/src' '%s/b.tgz'", s.parent, s.parent);
    assert_unpacks(&s, tgz, len);
    free(tgz);
    scratch_remove(&s);
}

/* Names over 100 bytes: GNU tar's own format ('L' records) and pax. */
static void test_tar_long_names(void **state)
{
    static const char *formats[] = { "gnu", "pax", "ustar" };
    char longdir[122];                  /* 121 bytes; ustar splits it at its '/' */
    memset(longdir, 'd', 121);
    longdir[60] = '/';
    longdir[121] = '\0';
    for (size_t i = 0; i < 3; i++) {
        struct scratch s;
        scratch_make(&s);
        make_source(&s, "top");
        sh("mkdir -p '%s/src/top/%s' && printf x > '%s/src/top/%s/f'", s.parent,
           longdir, s.parent, longdir);
        sh("tar --format=%s -C '%s/src' -cf '%s/b.tar' top", formats[i], s.parent,
           s.parent);
        size_t len;
        uint8_t *tar = slurp_in(&s, "b.tar", &len);
        struct seen seen = { 0 };
        char err[512], want[140];
        int rc = bundle_archive_walk(tar, len, NULL, collect, &seen, err, sizeof err);
        if (rc)
            fail_msg("--format=%s refused: %s", formats[i], err);
        assert_int_equal(seen.n, 3);
        snprintf(want, sizeof want, "%s/f", longdir);
        assert_true(seen_index(&seen, want) >= 0);
        assert_true(seen_index(&seen, "parts/app.bin") >= 0);
        free(tar);
        scratch_remove(&s);
    }
}

static void test_zip_stored_and_deflated(void **state)
{
    static const char *level[] = { "-0", "-9" };
    for (size_t i = 0; i < 2; i++) {
        struct scratch s;
        scratch_make(&s);
        make_source(&s, "acme-1.4");
        /* A part big and plain enough that -9 really deflates it. */
        sh("cd '%s/src' && head -c 20000 /dev/zero > acme-1.4/parts/zero.bin && "
           "zip -q %s -r ../b.zip acme-1.4", s.parent, level[i]);
        size_t len;
        uint8_t *zip = slurp_in(&s, "b.zip", &len);
        assert_int_equal(bundle_archive_kind(zip, len), BUNDLE_ARCHIVE_ZIP);
        assert_true(i == 0 ? len > 20000 : len < 20000);
        struct seen seen = { 0 };
        char err[512];
        if (bundle_archive_walk(zip, len, NULL, collect, &seen, err, sizeof err))
            fail_msg("zip %s refused: %s", level[i], err);
        assert_int_equal(seen.n, 3);
        int z = seen_index(&seen, "parts/zero.bin");
        assert_true(z >= 0 && seen_index(&seen, "manifest.json") >= 0);
        assert_int_equal(seen.size[z], 20000);
        sh("rm -f '%s/src/acme-1.4/parts/zero.bin'", s.parent);
        free(zip);
        sh("cd '%s/src' && zip -q %s -r ../c.zip acme-1.4", s.parent, level[i]);
        zip = slurp_in(&s, "c.zip", &len);
        sh("rm -rf '%s/src' '%s/b.zip' '%s/c.zip'", s.parent, s.parent, s.parent);
        assert_unpacks(&s, zip, len);
        free(zip);
        scratch_remove(&s);
    }
}

/* ---- crafted tar ---------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 1024;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_zeros(struct buf *b, size_t n)
{
    uint8_t z[512] = { 0 };
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        put(b, z, k);
        n -= k;
    }
}

/* One ustar header (and the data padded to 512) as a hostile writer might
 * make it: any name, type and declared size. */
static void tar_member(struct buf *b, const char *name, char type, const void *data,
                       size_t n, uint64_t declared)
{
    uint8_t h[512] = { 0 };
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    char octal[24];
    assert_true(declared < 1ull << 33);  /* 11 octal digits */
    snprintf(octal, sizeof octal, "%011llo", (unsigned long long)declared);
    memcpy(h + 124, octal, 12);
    memcpy(h + 136, "00000000000", 12);
    h[156] = (uint8_t)type;
    if (type == '1' || type == '2')
        snprintf((char *)h + 157, 100, "/etc/passwd");
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    put(b, h, 512);
    put(b, data, n);
    put_zeros(b, (512 - n % 512) % 512);
}

static void tar_file(struct buf *b, const char *name, const char *text)
{
    tar_member(b, name, '0', text, strlen(text), strlen(text));
}

static void tar_end(struct buf *b)
{
    put_zeros(b, 1024);
}

/* The archive is refused, err names `member` and says `why`, and nothing
 * is left in the parent folder. */
static void assert_refused_lim(const uint8_t *data, size_t len,
                               const struct bundle_archive_limits *lim,
                               const char *member, const char *why)
{
    struct scratch s;
    scratch_make(&s);
    char err[512];
    assert_int_equal(bundle_archive_unpack(data, len, s.dest, lim, err, sizeof err), -1);
    if (member && !strstr(err, member))
        fail_msg("'%s' not named in: %s", member, err);
    if (!strstr(err, why))
        fail_msg("'%s' not in: %s", why, err);
    assert_int_equal(entries(s.parent), 0);
    scratch_remove(&s);
}

static void assert_refused(const struct buf *b, const char *member, const char *why)
{
    assert_refused_lim(b->p, b->len, NULL, member, why);
}

/* A good first member, then the bad one: the good one must not stay. */
static void refuse_tar(const char *name, char type, const char *member, const char *why)
{
    struct buf b = { 0 };
    tar_file(&b, "manifest.json", MANIFEST);
    tar_member(&b, name, type, "x", type == '0' || type == '5' ? 1 : 0,
               type == '0' ? 1 : 0);
    tar_end(&b);
    assert_refused(&b, member, why);
    free(b.p);
}

static void test_crafted_tar_is_read(void **state)
{
    struct buf b = { 0 };
    tar_member(&b, "./", '5', NULL, 0, 0);
    tar_file(&b, "./manifest.json", MANIFEST);
    tar_member(&b, "./parts/", '5', NULL, 0, 0);
    tar_member(&b, "./parts/app.bin", '0', APP, sizeof APP - 1, sizeof APP - 1);
    tar_end(&b);
    assert_bundle_files(b.p, b.len, "manifest.json", "parts/app.bin");
    b.len -= 1024;                      /* no end blocks: still whole */
    assert_bundle_files(b.p, b.len, "manifest.json", "parts/app.bin");
    free(b.p);
}

static void test_unsafe_tar_names(void **state)
{
    refuse_tar("/etc/passwd", '0', "'/etc/passwd'", "absolute path");
    refuse_tar("../../etc/passwd", '0', "'../../etc/passwd'", "climbs out");
    refuse_tar("parts/../../x", '0', "'parts/../../x'", "climbs out");
    refuse_tar("parts\\app.bin", '0', "parts\\x5capp.bin", "backslash");
    refuse_tar("parts//app.bin", '0', "'parts//app.bin'", "empty folder name");
    refuse_tar("bad\nname", '0', "bad\\x0aname", "control character");
    refuse_tar("manifest.json", '0', "'manifest.json'", "twice");
    refuse_tar("manifest.json/x", '0', "'manifest.json/x'", "both a file and a folder");
    refuse_tar("manifest.json", '5', "'manifest.json'", "both a file and a folder");
    refuse_tar("a/./b", '0', "'a/./b'", "'.' inside");
    refuse_tar("", '0', "''", "empty name");
}

static void test_unsafe_tar_kinds(void **state)
{
    refuse_tar("parts/app.bin", '2', "'parts/app.bin'", "symbolic link");
    refuse_tar("parts/app.bin", '1', "'parts/app.bin'", "hard link");
    refuse_tar("tty", '3', "'tty'", "character device");
    refuse_tar("sda", '4', "'sda'", "block device");
    refuse_tar("pipe", '6', "'pipe'", "FIFO");
    refuse_tar("odd", '7', "'odd'", "type '7'");
}

static void test_tar_limits(void **state)
{
    struct bundle_archive_limits lim = { .max_members = 3, .max_member_size = 100,
                                         .max_total_size = 150 };
    char big[120];
    memset(big, 'b', sizeof big);
    struct buf b = { 0 };
    /* Declared far beyond the limit, and far beyond the archive: the size
     * is what is refused, before the missing bytes are noticed. */
    tar_file(&b, "manifest.json", MANIFEST);
    tar_member(&b, "parts/app.bin", '0', NULL, 0, 1ull << 30);
    assert_refused(&b, "'parts/app.bin'", "allowed for one file");
    b.len = 0;
    tar_member(&b, "parts/app.bin", '0', big, sizeof big, sizeof big);
    tar_end(&b);
    assert_refused_lim(b.p, b.len, &lim, "'parts/app.bin'", "120 bytes, more than the 100");
    b.len = 0;
    tar_member(&b, "a", '0', big, 90, 90);
    tar_member(&b, "b", '0', big, 90, 90);
    tar_end(&b);
    assert_refused_lim(b.p, b.len, &lim, "'b'", "add up to more than the 150");
    b.len = 0;
    for (int i = 0; i < 4; i++)
        tar_file(&b, (char[]){ (char)('a' + i), 0 }, "x");
    tar_end(&b);
    assert_refused_lim(b.p, b.len, &lim, NULL, "more than 3 members");
    free(b.p);
}

static void test_damaged_tar(void **state)
{
    struct buf b = { 0 };
    tar_file(&b, "manifest.json", MANIFEST);
    tar_member(&b, "parts/app.bin", '0', APP, sizeof APP - 1, sizeof APP - 1);
    tar_end(&b);
    size_t whole = b.len;
    b.len = 1024 + 200;                 /* cut inside the second header */
    assert_refused(&b, NULL, "cut short");
    b.len = 512 + 512 + 512;            /* the second member's bytes missing */
    assert_refused(&b, "'parts/app.bin'", "cut short");
    b.len = whole;
    b.p[1024 + 20] = 'X';               /* a name byte: the checksum is now wrong */
    assert_refused(&b, NULL, "wrong checksum");
    free(b.p);
    uint8_t junk[1024];
    memset(junk, 'j', sizeof junk);
    assert_refused_lim(junk, sizeof junk, NULL, NULL, "not a tar, tar.gz or zip");
}

/* ---- crafted zip --------------------------------------------------------- */

struct zip_opt {
    int method;                 /* 0 or 8 */
    uint16_t flags;
    uint32_t mode;              /* Unix st_mode in the external attributes, or 0 */
    uint32_t usize;             /* declared size, 0 = the real one */
    uint32_t crc_xor;
};

struct zip {
    struct buf out, central;
    uint16_t n;
};

static void le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, v);
    le16(p + 2, v >> 16);
}

/* Test helper, not a product zip writer: one member as a hostile or a
 * normal writer would make it. */
static void zip_add(struct zip *z, const char *name, const void *data, size_t n,
                    struct zip_opt o)
{
    uint8_t *packed = (uint8_t *)data;
    size_t packed_len = n;
    if (o.method == 8) {
        z_stream s = { 0 };
        assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8,
                                      Z_DEFAULT_STRATEGY), Z_OK);
        packed_len = deflateBound(&s, (uLong)n);
        packed = malloc(packed_len);
        s.next_in = (Bytef *)data;
        s.avail_in = (uInt)n;
        s.next_out = packed;
        s.avail_out = (uInt)packed_len;
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        packed_len = s.total_out;
        deflateEnd(&s);
    }
    uint32_t crc = (uint32_t)crc32(0, data, (uInt)n) ^ o.crc_xor;
    uint32_t usize = o.usize ? o.usize : (uint32_t)n;
    size_t name_len = strlen(name);
    uint8_t h[46] = { 0 };
    le32(h, 0x04034b50);
    le16(h + 4, 20);
    le16(h + 6, o.flags);
    le16(h + 8, (uint32_t)o.method);
    le32(h + 14, crc);
    le32(h + 18, (uint32_t)packed_len);
    le32(h + 22, usize);
    le16(h + 26, (uint32_t)name_len);
    uint32_t local = (uint32_t)z->out.len;
    put(&z->out, h, 30);
    put(&z->out, name, name_len);
    put(&z->out, packed, packed_len);
    memset(h, 0, sizeof h);
    le32(h, 0x02014b50);
    le16(h + 4, 3u << 8 | 30);          /* made on Unix */
    le16(h + 6, 20);
    le16(h + 8, o.flags);
    le16(h + 10, (uint32_t)o.method);
    le32(h + 16, crc);
    le32(h + 20, (uint32_t)packed_len);
    le32(h + 24, usize);
    le16(h + 28, (uint32_t)name_len);
    le32(h + 38, o.mode << 16);
    le32(h + 42, local);
    put(&z->central, h, 46);
    put(&z->central, name, name_len);
    z->n++;
    if (packed != data)
        free(packed);
}

static void zip_end(struct zip *z)
{
    uint8_t e[22] = { 0 };
    le32(e, 0x06054b50);
    le16(e + 8, z->n);
    le16(e + 10, z->n);
    le32(e + 12, (uint32_t)z->central.len);
    le32(e + 16, (uint32_t)z->out.len);
    put(&z->out, z->central.p, z->central.len);
    put(&z->out, e, sizeof e);
    free(z->central.p);
}

/* manifest.json, then the member under test. */
static void refuse_zip(const char *name, const void *data, size_t n,
                       struct zip_opt o, const struct bundle_archive_limits *lim,
                       const char *why)
{
    struct zip z = { 0 };
    zip_add(&z, "manifest.json", MANIFEST, strlen(MANIFEST),
            (struct zip_opt){ .method = 8, .mode = 0100644 });
    zip_add(&z, name, data, n, o);
    zip_end(&z);
    char member[300];                   /* as err shows it: a backslash as \x5c */
    size_t at = (size_t)snprintf(member, sizeof member, "'");
    for (const char *c = name; *c && at < sizeof member - 8; c++) {
        if (*c == '\\')
            at += (size_t)snprintf(member + at, sizeof member - at, "\\x5c");
        else
            member[at++] = *c;
    }
    snprintf(member + at, sizeof member - at, "'");
    assert_refused_lim(z.out.p, z.out.len, lim, member, why);
    free(z.out.p);
}

static void test_crafted_zip_is_read(void **state)
{
    struct zip z = { 0 };
    zip_add(&z, "b/", NULL, 0, (struct zip_opt){ .mode = 040755 });
    zip_add(&z, "b/manifest.json", MANIFEST, strlen(MANIFEST),
            (struct zip_opt){ .method = 8, .mode = 0100644 });
    zip_add(&z, "b/parts/app.bin", APP, sizeof APP - 1, (struct zip_opt){ 0 });
    zip_add(&z, "b/parts/empty", "", 0, (struct zip_opt){ .method = 8 });
    zip_end(&z);
    struct seen s = { 0 };
    char err[512];
    if (bundle_archive_walk(z.out.p, z.out.len, NULL, collect, &s, err, sizeof err))
        fail_msg("refused: %s", err);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.name[0], "manifest.json");
    assert_string_equal(s.name[1], "parts/app.bin");
    assert_string_equal(s.name[2], "parts/empty");
    assert_int_equal(s.size[2], 0);
    free(z.out.p);
}

/* A folder zipped by macOS's Finder: its __MACOSX/ resource forks are
 * left out, and the bundle's own folder is still the top one. */
static void test_finder_zip_is_read(void **state)
{
    struct zip z = { 0 };
    zip_add(&z, "b/manifest.json", MANIFEST, strlen(MANIFEST), (struct zip_opt){ 0 });
    zip_add(&z, "b/parts/app.bin", APP, sizeof APP - 1, (struct zip_opt){ 0 });
    zip_add(&z, "__MACOSX/", NULL, 0, (struct zip_opt){ .mode = 040755 });
    zip_add(&z, "__MACOSX/b/._manifest.json", "fork", 4, (struct zip_opt){ 0 });
    zip_end(&z);
    struct seen s = { 0 };
    char err[512];
    if (bundle_archive_walk(z.out.p, z.out.len, NULL, collect, &s, err, sizeof err))
        fail_msg("refused: %s", err);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.name[0], "manifest.json");
    assert_string_equal(s.name[1], "parts/app.bin");
    free(z.out.p);
}

static void test_unsafe_zip_members(void **state)
{
    struct zip_opt plain = { .method = 8, .mode = 0100644 };
    refuse_zip("/etc/passwd", "x", 1, plain, NULL, "absolute path");
    refuse_zip("../x", "x", 1, plain, NULL, "climbs out");
    refuse_zip("a\\b", "x", 1, plain, NULL, "backslash");
    refuse_zip("link", "/etc/passwd", 11, (struct zip_opt){ .mode = 0120777 }, NULL,
               "symbolic link");
    refuse_zip("tty", "", 0, (struct zip_opt){ .mode = 0020644 }, NULL,
               "character device");
    refuse_zip("pipe", "", 0, (struct zip_opt){ .mode = 0010644 }, NULL, "FIFO");
    refuse_zip("manifest.json", "x", 1, plain, NULL, "twice");
    refuse_zip("app.bin", "x", 1, (struct zip_opt){ .method = 8, .flags = 1 }, NULL,
               "encrypted");
    refuse_zip("app.bin", "x", 1, (struct zip_opt){ .method = 12 }, NULL,
               "compression method 12");
    refuse_zip("app.bin", APP, sizeof APP - 1,
               (struct zip_opt){ .method = 8, .crc_xor = 1 }, NULL, "CRC-32");
    refuse_zip("app.bin", APP, sizeof APP - 1,
               (struct zip_opt){ .method = 0, .crc_xor = 0x80000000u }, NULL, "CRC-32");
    refuse_zip("app.bin", "x", 1, (struct zip_opt){ .usize = 0xffffffffu }, NULL,
               "zip64");
    struct bundle_archive_limits lim = { .max_member_size = 1000 };
    refuse_zip("app.bin", "x", 1, (struct zip_opt){ .method = 8, .usize = 5000 }, &lim,
               "5000 bytes, more than the 1000");
}

#ifdef HAVE_ASAN
static volatile int counting;
static size_t allocated, largest;

static void on_malloc(const volatile void *p, size_t n)
{
    if (counting) {
        allocated += n;
        largest = n > largest ? n : largest;
    }
}

static void on_free(const volatile void *p)
{
}
#endif

static int never(const struct bundle_archive_member *m, void *arg)
{
    fail_msg("member '%s' handed over from a refused archive", m->name);
    return 1;
}

/* The walk of a bomb must be refused having allocated at most `bound`
 * bytes in all (checked where the allocator can be watched). */
static void walk_bomb(const uint8_t *data, size_t len,
                      const struct bundle_archive_limits *lim, const char *why,
                      size_t bound)
{
    char err[512];
#ifdef HAVE_ASAN
    static int installed;
    if (!installed) {
        installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
        counting = 1;                   /* the hooks do count */
        free(malloc(123));
        counting = 0;
        assert_true(!installed || allocated == 123);
    }
    allocated = largest = 0;
    counting = 1;
#endif
    int rc = bundle_archive_walk(data, len, lim, never, NULL, err, sizeof err);
#ifdef HAVE_ASAN
    counting = 0;
    if (installed && allocated > bound)
        fail_msg("%zu bytes allocated (largest %zu), more than %zu", allocated,
                 largest, bound);
#endif
    assert_int_equal(rc, -1);
    if (!strstr(err, why))
        fail_msg("'%s' not in: %s", why, err);
}

/* 64 MiB of zeros deflate to about 64 KiB; declared as 1000 bytes (under
 * the limit) the member must stop at 1000, and with its true size it is
 * refused before a byte is inflated. */
static void test_zip_bomb(void **state)
{
    size_t n = 64u << 20;
    uint8_t *zeros = calloc(1, n);
    struct zip z = { 0 };
    zip_add(&z, "app.bin", zeros, n, (struct zip_opt){ .method = 8, .usize = 1000 });
    zip_end(&z);
    struct bundle_archive_limits lim = { .max_member_size = 4096 };
    /* zlib's own state and window (about 40 KiB), the 1000 bytes, names */
    walk_bomb(z.out.p, z.out.len, &lim, "more than the 1000 bytes declared", 64 << 10);
    assert_refused_lim(z.out.p, z.out.len, &lim, "'app.bin'", "zip bomb");
    free(z.out.p);
    memset(&z, 0, sizeof z);
    zip_add(&z, "app.bin", zeros, n, (struct zip_opt){ .method = 8 });
    zip_end(&z);
    walk_bomb(z.out.p, z.out.len, &lim, "more than the 4096 allowed", 16 << 10);
    free(z.out.p);
    /* A tar.gz of the same: the gunzip stops at the bundle's limit. */
    struct buf b = { 0 };
    tar_member(&b, "app.bin", '0', zeros, n, n);
    tar_end(&b);
    free(zeros);
    uLong glen = compressBound((uLong)b.len) + 32;
    uint8_t *gz = malloc(glen);
    z_stream s = { 0 };
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    s.next_in = b.p;
    s.avail_in = (uInt)b.len;
    s.next_out = gz;
    s.avail_out = (uInt)glen;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    glen = s.total_out;
    deflateEnd(&s);
    free(b.p);
    struct bundle_archive_limits small = { .max_members = 4, .max_total_size = 1 << 20 };
    walk_bomb(gz, glen, &small, "unpacks to more than a bundle may hold", 4u << 20);
    free(gz);
}

/* A write that fails half-way through the files (here: a file over the
 * size limit the child process is given) removes what was written, files
 * and folders, and the destination itself. */
static void test_failed_write_leaves_nothing(void **state)
{
    static uint8_t big[4096];
    struct buf b = { 0 };
    tar_file(&b, "manifest.json", MANIFEST);
    tar_file(&b, "parts/a.bin", "small");
    tar_member(&b, "parts/sub/big.bin", '0', big, sizeof big, sizeof big);
    tar_end(&b);
    struct scratch s;
    scratch_make(&s);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);       /* so write() says EFBIG */
        struct rlimit r = { 1024, 1024 };
        char err[512];
        if (setrlimit(RLIMIT_FSIZE, &r) < 0)
            _exit(3);
        int rc = bundle_archive_unpack(b.p, b.len, s.dest, NULL, err, sizeof err);
        _exit(rc == -1 && strstr(err, "member 'parts/sub/big.bin': cannot write") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(entries(s.parent), 0);
    scratch_remove(&s);
    free(b.p);
}

/* ---- the walk's contract ---------------------------------------------------- */

static int stop_at_first(const struct bundle_archive_member *m, void *arg)
{
    (*(int *)arg)++;
    return 1;
}

static void test_walk_contract(void **state)
{
    struct buf b = { 0 };
    tar_file(&b, "x/manifest.json", MANIFEST);
    tar_file(&b, "y", "not in x");
    tar_end(&b);
    struct seen s = { 0 };
    char err[512];
    assert_int_equal(bundle_archive_walk(b.p, b.len, NULL, collect, &s, err, sizeof err), 0);
    assert_string_equal(s.name[0], "x/manifest.json");   /* two tops: kept */
    assert_string_equal(s.name[1], "y");
    int calls = 0;
    assert_int_equal(bundle_archive_walk(b.p, b.len, NULL, stop_at_first, &calls, err,
                                         sizeof err), -1);
    assert_int_equal(calls, 1);
    assert_non_null(strstr(err, "stopped"));
    free(b.p);
    b = (struct buf){ 0 };
    tar_member(&b, "only/", '5', NULL, 0, 0);
    tar_end(&b);
    assert_refused(&b, NULL, "holds no file");
    free(b.p);
    /* An existing destination is refused and left as it was. */
    struct scratch sc;
    scratch_make(&sc);
    assert_int_equal(mkdir(sc.dest, 0700), 0);
    b = (struct buf){ 0 };
    tar_file(&b, "manifest.json", MANIFEST);
    tar_end(&b);
    assert_int_equal(bundle_archive_unpack(b.p, b.len, sc.dest, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "already exists"));
    assert_int_equal(entries(sc.parent), 1);
    scratch_remove(&sc);
    free(b.p);
    uint8_t zip[4] = { 'P', 'K', 3, 4 }, gz[2] = { 0x1f, 0x8b };
    assert_int_equal(bundle_archive_kind(zip, 4), BUNDLE_ARCHIVE_ZIP);
    assert_int_equal(bundle_archive_kind(gz, 2), BUNDLE_ARCHIVE_TAR_GZ);
    assert_int_equal(bundle_archive_kind(gz, 1), BUNDLE_ARCHIVE_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tar_with_top_folder),
        cmocka_unit_test(test_tar_gz_with_dot_prefix),
        cmocka_unit_test(test_tar_long_names),
        cmocka_unit_test(test_zip_stored_and_deflated),
        cmocka_unit_test(test_crafted_tar_is_read),
        cmocka_unit_test(test_unsafe_tar_names),
        cmocka_unit_test(test_unsafe_tar_kinds),
        cmocka_unit_test(test_tar_limits),
        cmocka_unit_test(test_damaged_tar),
        cmocka_unit_test(test_crafted_zip_is_read),
        cmocka_unit_test(test_finder_zip_is_read),
        cmocka_unit_test(test_unsafe_zip_members),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_failed_write_leaves_nothing),
        cmocka_unit_test(test_walk_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
