/* esp_secure_cert TLV records (see secure_cert_tlv.h; esp_secure_cert_mgr
 * srcs/esp_secure_cert_tlv_read.c for how the device walks them and
 * tools/esp_secure_cert/tlv_format_construct.py for what the tool writes). */
#include "secure_cert_tlv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crc32_esp.h"
#include "hex.h"
#include "le_bytes.h"
#include "mbedtls_compat.h"

/* The device reader keeps its position in a uint16_t: a record that ends
 * past this would make it wrap around to the start of the partition. */
#define DEVICE_OFFSET_LIMIT 0x10000u
#define END_WORD_LEN 4u
#define DIGEST_LEN 32u

static size_t padding_for(size_t value_len)
{
    return (SECURE_CERT_TLV_ALIGN - value_len % SECURE_CERT_TLV_ALIGN) % SECURE_CERT_TLV_ALIGN;
}

size_t secure_cert_tlv_record_size(size_t value_len)
{
    return SECURE_CERT_TLV_HEADER_LEN + value_len + padding_for(value_len) +
           SECURE_CERT_TLV_FOOTER_LEN;
}

/* ---- writing ------------------------------------------------------------- */

void secure_cert_tlv_writer_init(struct secure_cert_tlv_writer *w, uint8_t *buf, size_t size)
{
    w->buf = buf;
    w->size = size;
    w->used = 0;
    memset(buf, 0xFF, size);
}

static bool already_written(const struct secure_cert_tlv_writer *w, uint8_t type,
                            uint8_t subtype)
{
    size_t pos = 0;
    struct secure_cert_tlv_record r;
    while (secure_cert_tlv_next(w->buf, w->used, &pos, &r) == SECURE_CERT_TLV_RECORD)
        if (r.type == type && r.subtype == subtype)
            return true;
    return false;
}

int secure_cert_tlv_add(struct secure_cert_tlv_writer *w, uint8_t type, uint8_t subtype,
                        uint8_t flags, const void *value, size_t len)
{
    if ((len && !value) || subtype >= SECURE_CERT_SUBTYPE_LATEST)
        return SECURE_CERT_TLV_E_ARG;
    if (len > SECURE_CERT_TLV_MAX_VALUE)
        return SECURE_CERT_TLV_E_VALUE_LEN;
    size_t size = secure_cert_tlv_record_size(len);
    size_t end = w->used + size;
    if (end + END_WORD_LEN > w->size || end > DEVICE_OFFSET_LIMIT)
        return SECURE_CERT_TLV_E_FULL;
    if (already_written(w, type, subtype))
        return SECURE_CERT_TLV_E_DUPLICATE;

    uint8_t *p = w->buf + w->used;
    le32_put(p, SECURE_CERT_TLV_MAGIC);
    p[4] = flags;
    p[5] = p[6] = p[7] = 0;
    p[8] = type;
    p[9] = subtype;
    p[10] = (uint8_t)len;
    p[11] = (uint8_t)(len >> 8);
    if (len)
        memcpy(p + SECURE_CERT_TLV_HEADER_LEN, value, len);
    size_t covered = SECURE_CERT_TLV_HEADER_LEN + len + padding_for(len);
    memset(p + SECURE_CERT_TLV_HEADER_LEN + len, 0, padding_for(len));
    le32_put(p + covered, crc32_esp(CRC32_ESP_INIT, p, covered));
    w->used = end;
    return SECURE_CERT_TLV_OK;
}

int secure_cert_tlv_add_integrity(struct secure_cert_tlv_writer *w, uint8_t subtype)
{
    uint8_t digest[DIGEST_LEN];
    if (sha256_once(w->buf, w->used, digest) != 0)
        return SECURE_CERT_TLV_E_ARG;
    return secure_cert_tlv_add(w, SECURE_CERT_INTEGRITY, subtype, 0, digest, sizeof digest);
}

static int add_pem(struct secure_cert_tlv_writer *w, uint8_t type, const char *pem,
                   int *failed_type)
{
    int rc = pem ? secure_cert_tlv_add(w, type, 0, 0, pem, strlen(pem) + 1)
                 : SECURE_CERT_TLV_E_ARG;
    if (rc != SECURE_CERT_TLV_OK && failed_type)
        *failed_type = type;
    return rc;
}

int secure_cert_tlv_build_identity(struct secure_cert_tlv_writer *w, const char *ca_pem,
                                   const char *dev_pem, const char *key_pem,
                                   bool integrity, int *failed_type)
{
    int rc;
    if (ca_pem && (rc = add_pem(w, SECURE_CERT_CA_CERT, ca_pem, failed_type)))
        return rc;
    if ((rc = add_pem(w, SECURE_CERT_DEV_CERT, dev_pem, failed_type)))
        return rc;
    if ((rc = add_pem(w, SECURE_CERT_PRIV_KEY, key_pem, failed_type)))
        return rc;
    if (integrity && (rc = secure_cert_tlv_add_integrity(w, 0)) && failed_type)
        *failed_type = SECURE_CERT_INTEGRITY;
    return rc;
}

const char *secure_cert_tlv_strerror(int err)
{
    switch (err) {
    case SECURE_CERT_TLV_OK:
        return "ok";
    case SECURE_CERT_TLV_E_FULL:
        return "the records do not fit the esp_secure_cert partition (it needs room for "
               "them plus a 4-byte end word, and the device reads at most 64 KiB); "
               "enlarge the partition in the bundle's partition table";
    case SECURE_CERT_TLV_E_VALUE_LEN:
        return "a value is longer than the 65535 bytes a TLV length can say";
    case SECURE_CERT_TLV_E_DUPLICATE:
        return "a record of the same type and subtype is already in the partition";
    case SECURE_CERT_TLV_E_ARG:
        return "missing value, or a reserved subtype (254, 255)";
    }
    return "unknown error";
}

/* ---- reading ------------------------------------------------------------- */

static bool all_zero(const uint8_t *p, size_t n)
{
    while (n--)
        if (*p++)
            return false;
    return true;
}

int secure_cert_tlv_next(const uint8_t *part, size_t len, size_t *pos,
                         struct secure_cert_tlv_record *rec)
{
    size_t at = *pos;
    if (at > len || len - at < 4 || le32_get(part + at) != SECURE_CERT_TLV_MAGIC)
        return SECURE_CERT_TLV_END;
    if (len - at < SECURE_CERT_TLV_HEADER_LEN)
        return SECURE_CERT_TLV_TRUNCATED;
    const uint8_t *p = part + at;
    uint16_t length = (uint16_t)(p[10] | p[11] << 8);
    size_t size = secure_cert_tlv_record_size(length);
    if (len - at < size)
        return SECURE_CERT_TLV_TRUNCATED;

    size_t covered = size - SECURE_CERT_TLV_FOOTER_LEN;
    rec->offset = at;
    rec->size = size;
    rec->flags = p[4];
    rec->type = p[8];
    rec->subtype = p[9];
    rec->length = length;
    rec->value = p + SECURE_CERT_TLV_HEADER_LEN;
    rec->crc_stored = le32_get(p + covered);
    rec->crc_computed = crc32_esp(CRC32_ESP_INIT, p, covered);
    rec->crc_ok = rec->crc_stored == rec->crc_computed;
    rec->reserved_ok = all_zero(p + 5, 3) &&
                       all_zero(rec->value + length, padding_for(length));
    *pos = at + size;
    return SECURE_CERT_TLV_RECORD;
}

int secure_cert_tlv_find(const uint8_t *part, size_t len, uint8_t type, uint8_t subtype,
                         struct secure_cert_tlv_record *rec)
{
    size_t pos = 0;
    bool found = false;
    struct secure_cert_tlv_record r;
    while (secure_cert_tlv_next(part, len, &pos, &r) == SECURE_CERT_TLV_RECORD) {
        if (r.type != type)
            continue;
        if (subtype == SECURE_CERT_SUBTYPE_LATEST) {
            *rec = r;
            found = true;
        } else if (r.subtype == subtype) {
            *rec = r;
            return r.crc_ok ? 1 : -1;
        }
    }
    if (!found)
        return 0;
    return rec->crc_ok ? 1 : -1;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* One bit per (type, subtype): 256 × 256 pairs. */
struct seen_set {
    uint8_t bits[256 * 256 / 8];
};

static bool seen_before(struct seen_set *s, uint8_t type, uint8_t subtype)
{
    unsigned i = (unsigned)type << 8 | subtype;
    bool was = s->bits[i / 8] & (1u << (i % 8));
    s->bits[i / 8] |= (uint8_t)(1u << (i % 8));
    return was;
}

static int check_integrity(const uint8_t *part, const struct secure_cert_tlv_record *r,
                           char *err, size_t errlen)
{
    uint8_t digest[DIGEST_LEN];
    if (r->length != DIGEST_LEN)
        return fail(err, errlen, "offset 0x%zx: INTEGRITY record holds %u bytes, not a "
                    "32-byte SHA-256", r->offset, (unsigned)r->length);
    if (sha256_once(part, r->offset, digest) != 0 ||
        memcmp(digest, r->value, DIGEST_LEN) != 0)
        return fail(err, errlen, "offset 0x%zx: INTEGRITY digest does not match the "
                    "%zu bytes before it", r->offset, r->offset);
    return 0;
}

int secure_cert_tlv_verify(const uint8_t *part, size_t len, char *err, size_t errlen)
{
    static struct seen_set seen;   /* 8 KiB: kept off the stack */
    memset(&seen, 0, sizeof seen);
    size_t pos = 0;
    int n = 0, rc;
    struct secure_cert_tlv_record r;
    while ((rc = secure_cert_tlv_next(part, len, &pos, &r)) == SECURE_CERT_TLV_RECORD) {
        const char *name = secure_cert_tlv_type_name(r.type);
        if (!r.crc_ok)
            return fail(err, errlen, "offset 0x%zx: %s record's CRC is 0x%08x, its bytes "
                        "give 0x%08x", r.offset, name ? name : "unknown", r.crc_stored,
                        r.crc_computed);
        if (!r.reserved_ok)
            return fail(err, errlen, "offset 0x%zx: reserved bytes or padding not zero",
                        r.offset);
        if (seen_before(&seen, r.type, r.subtype))
            return fail(err, errlen, "offset 0x%zx: a second record of type %u subtype %u "
                        "(the device would only ever read the first)", r.offset,
                        (unsigned)r.type, (unsigned)r.subtype);
        if (r.type == SECURE_CERT_INTEGRITY && check_integrity(part, &r, err, errlen))
            return -1;
        if (pos > DEVICE_OFFSET_LIMIT)
            return fail(err, errlen, "offset 0x%zx: record ends past 64 KiB, where the "
                        "device's 16-bit offset wraps", r.offset);
        n++;
    }
    if (rc == SECURE_CERT_TLV_TRUNCATED)
        return fail(err, errlen, "offset 0x%zx: record runs past the end of the %zu-byte "
                    "partition", pos, len);
    if (len - pos < END_WORD_LEN)
        return fail(err, errlen, "offset 0x%zx: no end word after the last record: as a "
                    "whole partition the device would read past its end (a .bin cut "
                    "after its last record needs the rest of the partition erased)", pos);
    return n;
}

const char *secure_cert_tlv_type_name(uint8_t type)
{
    static const char *const names[] = {
        "CA_CERT", "DEV_CERT", "PRIV_KEY", "DS_DATA", "DS_CONTEXT",
        "HMAC_ECDSA_KEY_SALT", "SEC_CFG", "TEE_SEC_STORAGE_KEY", "SIGNATURE_BLOCK",
        "INTEGRITY",
    };
    static const char *const user[] = {
        "USER_DATA_1", "USER_DATA_2", "USER_DATA_3", "USER_DATA_4", "USER_DATA_5",
    };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    if (type >= SECURE_CERT_USER_DATA_1 && type <= SECURE_CERT_USER_DATA_5)
        return user[type - SECURE_CERT_USER_DATA_1];
    return NULL;
}

/* ---- describing ---------------------------------------------------------- */

struct text {
    char *out;
    size_t cap, len;
};

static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = t->len < t->cap ? t->cap - t->len : 0;
    int n = vsnprintf(room ? t->out + t->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

static bool is_certificate(uint8_t type)
{
    return type == SECURE_CERT_CA_CERT || type == SECURE_CERT_DEV_CERT;
}

/* The first line of a PEM value ("-----BEGIN CERTIFICATE-----"), or "DER". */
static void describe_certificate(struct text *t, const struct secure_cert_tlv_record *r)
{
    static const char begin[] = "-----BEGIN ";
    if (r->length < sizeof begin - 1 || memcmp(r->value, begin, sizeof begin - 1) != 0) {
        put(t, " DER");
        return;
    }
    size_t n = 0;
    while (n < r->length && n < 64 && r->value[n] >= 0x20 && r->value[n] < 0x7F)
        n++;
    put(t, " %.*s", (int)n, (const char *)r->value);
}

static void describe_record(struct text *t, const struct secure_cert_tlv_record *r)
{
    const char *name = secure_cert_tlv_type_name(r->type);
    char digest_head[HEX_LEN(4)];
    if (name)
        put(t, "0x%04zx %-19s", r->offset, name);
    else
        put(t, "0x%04zx type %-14u", r->offset, (unsigned)r->type);
    put(t, " subtype %3u flags 0x%02x %5u bytes crc %s", (unsigned)r->subtype,
        (unsigned)r->flags, (unsigned)r->length, r->crc_ok ? "ok " : "BAD");
    if (is_certificate(r->type) && r->crc_ok)
        describe_certificate(t, r);
    else if (r->type == SECURE_CERT_INTEGRITY && r->length == DIGEST_LEN)
        put(t, " sha256 %s...", hex_encode(r->value, 4, digest_head));
    else if (r->type == SECURE_CERT_PRIV_KEY)
        put(t, " (key material not shown)");
    put(t, "\n");
}

size_t secure_cert_tlv_describe(const uint8_t *part, size_t len, char *out, size_t cap)
{
    struct text t = {out, cap, 0};
    if (cap)
        out[0] = '\0';
    size_t pos = 0;
    int rc, n = 0;
    struct secure_cert_tlv_record r;
    while ((rc = secure_cert_tlv_next(part, len, &pos, &r)) == SECURE_CERT_TLV_RECORD) {
        describe_record(&t, &r);
        n++;
    }
    if (rc == SECURE_CERT_TLV_TRUNCATED)
        put(&t, "0x%04zx truncated record (runs past the end of %zu bytes)\n", pos, len);
    put(&t, "%d record%s, %zu of %zu bytes used\n", n, n == 1 ? "" : "s", pos, len);
    return t.len;
}
