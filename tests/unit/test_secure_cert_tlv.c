/* esp_secure_cert TLV: the §8.7 record byte for byte, a unit's partition
 * read back the way the device reads it, damage detected, and the
 * partition-size limits enforced before anything is written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32_esp.h"
#include "secure_cert_tlv.h"
#include "vector_files.h"

/* formats.md §8.7, matched with the tool's prepare_tlv. */
static const uint8_t vector_hello[32] = {
    0x11, 0xba, 0x5e, 0xba, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x68, 0x65, 0x6c, 0x6c,
    0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa8, 0x5f, 0x72, 0x43,
};

static void dev_cert_record_matches_vector(void **s)
{
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, sizeof part);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_DEV_CERT, 0, 0, "hello", 6),
                     SECURE_CERT_TLV_OK);
    assert_int_equal(w.used, 32);
    assert_memory_equal(part, vector_hello, sizeof vector_hello);
    assert_int_equal(crc32_esp(CRC32_ESP_INIT, part, 28), 0x43725FA8u);
    for (size_t i = 32; i < sizeof part; i++)
        assert_int_equal(part[i], 0xFF);   /* the rest stays erased */
}

static void record_sizes_are_multiples_of_16(void **s)
{
    assert_int_equal(secure_cert_tlv_record_size(0), 16);
    assert_int_equal(secure_cert_tlv_record_size(1), 32);
    assert_int_equal(secure_cert_tlv_record_size(6), 32);
    assert_int_equal(secure_cert_tlv_record_size(16), 32);
    assert_int_equal(secure_cert_tlv_record_size(17), 48);
    assert_int_equal(secure_cert_tlv_record_size(32), 48);
}

struct identity_files {
    char *cert, *key;
};

static struct identity_files load_identity(void)
{
    size_t n;
    struct identity_files f = {
        (char *)read_vector("nvs/unit_cert.pem", &n),
        (char *)read_vector("nvs/unit_key.pem", &n),
    };
    assert_non_null(f.cert);
    assert_non_null(f.key);
    return f;
}

static void free_identity(struct identity_files *f)
{
    free(f->cert);
    free(f->key);
}

/* The CA certificate slot holds the same PEM here: the layout is what is
 * under test, not the chain. */
static size_t build_unit_partition(uint8_t *part, size_t size, bool integrity)
{
    struct identity_files f = load_identity();
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, size);
    int failed = -1;
    assert_int_equal(secure_cert_tlv_build_identity(&w, f.cert, f.cert, f.key, integrity,
                                                    &failed),
                     SECURE_CERT_TLV_OK);
    assert_int_equal(failed, -1);
    free_identity(&f);
    return w.used;
}

static void unit_partition_reads_back(void **s)
{
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    size_t used = build_unit_partition(part, sizeof part, true);
    struct identity_files f = load_identity();

    static const uint8_t order[] = {SECURE_CERT_CA_CERT, SECURE_CERT_DEV_CERT,
                                    SECURE_CERT_PRIV_KEY, SECURE_CERT_INTEGRITY};
    size_t pos = 0;
    struct secure_cert_tlv_record r;
    for (size_t i = 0; i < sizeof order; i++) {
        assert_int_equal(secure_cert_tlv_next(part, sizeof part, &pos, &r),
                         SECURE_CERT_TLV_RECORD);
        assert_int_equal(r.type, order[i]);
        assert_int_equal(r.subtype, 0);
        assert_int_equal(r.flags, 0);
        assert_true(r.crc_ok);
        assert_true(r.reserved_ok);
        assert_int_equal(r.size % 16, 0);
    }
    assert_int_equal(pos, used);
    assert_int_equal(secure_cert_tlv_next(part, sizeof part, &pos, &r), SECURE_CERT_TLV_END);

    /* Values come back with the NUL the device's PEM parser needs. */
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_DEV_CERT, 0, &r), 1);
    assert_int_equal(r.length, strlen(f.cert) + 1);
    assert_memory_equal(r.value, f.cert, r.length);
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_PRIV_KEY,
                                          SECURE_CERT_SUBTYPE_LATEST, &r), 1);
    assert_int_equal(r.length, strlen(f.key) + 1);
    assert_memory_equal(r.value, f.key, r.length);
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_DS_DATA, 0, &r), 0);
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, NULL, 0), 4);
    free_identity(&f);
}

static void integrity_covers_everything_before_it(void **s)
{
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    build_unit_partition(part, sizeof part, true);
    struct secure_cert_tlv_record r;
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_INTEGRITY, 0, &r), 1);

    /* Change one certificate byte and repair that record's own CRC: only the
     * integrity digest can still tell. */
    struct secure_cert_tlv_record dev;
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_DEV_CERT, 0, &dev), 1);
    uint8_t *v = part + dev.offset + SECURE_CERT_TLV_HEADER_LEN + 40;
    *v ^= 0x01;
    size_t covered = dev.size - SECURE_CERT_TLV_FOOTER_LEN;
    uint32_t crc = crc32_esp(CRC32_ESP_INIT, part + dev.offset, covered);
    memcpy(part + dev.offset + covered, &crc, 4);   /* the test host is little-endian */
    char err[200];
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, err, sizeof err), -1);
    assert_non_null(strstr(err, "INTEGRITY digest"));
}

static void crc_damage_is_detected(void **s)
{
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    build_unit_partition(part, sizeof part, false);
    struct secure_cert_tlv_record key;
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_PRIV_KEY, 0, &key), 1);

    /* Flip each of a spread of bits inside the key record (header, value,
     * padding, CRC): the device lookup must refuse every one. */
    size_t probes[] = {4, 5, 12, 13, key.size / 2, key.size - 5, key.size - 1};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        uint8_t *b = part + key.offset + probes[i];
        *b ^= 0x10;
        struct secure_cert_tlv_record r;
        char err[200] = "";
        assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_PRIV_KEY, 0, &r),
                         -1);
        assert_int_equal(secure_cert_tlv_verify(part, sizeof part, err, sizeof err), -1);
        assert_non_null(strstr(err, "CRC"));
        *b ^= 0x10;
    }
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, NULL, 0), 3);
}

static void a_damaged_length_is_a_truncation_not_an_overread(void **s)
{
    uint8_t part[64];
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, sizeof part);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_DEV_CERT, 0, 0, "hello", 6), 0);
    part[10] = 0xF0;    /* length 0x00F0: past the 64 bytes we have */
    size_t pos = 0;
    struct secure_cert_tlv_record r;
    assert_int_equal(secure_cert_tlv_next(part, sizeof part, &pos, &r),
                     SECURE_CERT_TLV_TRUNCATED);
    char err[200];
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, err, sizeof err), -1);
    assert_non_null(strstr(err, "runs past the end"));
}

static void partition_size_is_enforced(void **s)
{
    struct identity_files f = load_identity();
    size_t cert = secure_cert_tlv_record_size(strlen(f.cert) + 1);
    size_t key = secure_cert_tlv_record_size(strlen(f.key) + 1);

    /* Exactly enough for the records and the end word the device stops on. */
    size_t exact = 2 * cert + key + 4;
    uint8_t *part = malloc(exact);
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, exact);
    assert_int_equal(secure_cert_tlv_build_identity(&w, f.cert, f.cert, f.key, false, NULL),
                     SECURE_CERT_TLV_OK);
    assert_int_equal(secure_cert_tlv_verify(part, exact, NULL, 0), 3);

    /* One 16-byte step less: the key no longer fits, and nothing of it is
     * written. */
    int failed = -1;
    secure_cert_tlv_writer_init(&w, part, exact - 16);
    assert_int_equal(secure_cert_tlv_build_identity(&w, f.cert, f.cert, f.key, false, &failed),
                     SECURE_CERT_TLV_E_FULL);
    assert_int_equal(failed, SECURE_CERT_PRIV_KEY);
    assert_int_equal(w.used, 2 * cert);
    for (size_t i = w.used; i < exact - 16; i++)
        assert_int_equal(part[i], 0xFF);
    assert_non_null(strstr(secure_cert_tlv_strerror(SECURE_CERT_TLV_E_FULL), "partition"));
    free(part);
    free_identity(&f);
}

static void refuses_bad_records(void **s)
{
    uint8_t part[256];
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, part, sizeof part);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1, 3, 0, "x", 1), 0);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1, 3, 0, "y", 1),
                     SECURE_CERT_TLV_E_DUPLICATE);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1, 4, 0, "y", 1), 0);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1, 254, 0, "z", 1),
                     SECURE_CERT_TLV_E_ARG);
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1, 5, 0, NULL, 3),
                     SECURE_CERT_TLV_E_ARG);
    static uint8_t big[SECURE_CERT_TLV_MAX_VALUE + 1];
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_USER_DATA_1 + 1, 0, 0, big, sizeof big),
                     SECURE_CERT_TLV_E_VALUE_LEN);
    /* An empty value is a 16-byte record, as the current tool writes it. */
    assert_int_equal(secure_cert_tlv_add(&w, SECURE_CERT_PRIV_KEY, 0,
                                         SECURE_CERT_FLAG_ECDSA_PERIPHERAL, NULL, 0), 0);
    assert_int_equal(w.used, 32 + 32 + 16);

    struct secure_cert_tlv_record r;
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_USER_DATA_1,
                                          SECURE_CERT_SUBTYPE_LATEST, &r), 1);
    assert_int_equal(r.subtype, 4);
    assert_int_equal(secure_cert_tlv_find(part, sizeof part, SECURE_CERT_PRIV_KEY, 0, &r), 1);
    assert_int_equal(r.flags, SECURE_CERT_FLAG_ECDSA_PERIPHERAL);
    assert_int_equal(r.length, 0);
}

static void a_record_written_twice_by_hand_is_flagged(void **s)
{
    uint8_t part[128];
    memset(part, 0xFF, sizeof part);
    memcpy(part, vector_hello, 32);
    memcpy(part + 32, vector_hello, 32);
    char err[200];
    assert_int_equal(secure_cert_tlv_verify(part, sizeof part, err, sizeof err), -1);
    assert_non_null(strstr(err, "second record"));
}

static void describe_never_prints_the_key(void **s)
{
    uint8_t part[SECURE_CERT_PARTITION_SIZE];
    build_unit_partition(part, sizeof part, true);
    char text[2048];
    size_t n = secure_cert_tlv_describe(part, sizeof part, text, sizeof text);
    assert_true(n < sizeof text);
    assert_non_null(strstr(text, "DEV_CERT"));
    assert_non_null(strstr(text, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(text, "PRIV_KEY"));
    assert_non_null(strstr(text, "INTEGRITY"));
    assert_non_null(strstr(text, "4 records"));
    assert_null(strstr(text, "PRIVATE KEY"));
    assert_null(strstr(text, "MHcCAQEE"));  /* the start of the key's base64 */

    /* Truncated output still reports the length needed. */
    char small[16];
    assert_int_equal(secure_cert_tlv_describe(part, sizeof part, small, sizeof small), n);
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dev_cert_record_matches_vector),
        cmocka_unit_test(record_sizes_are_multiples_of_16),
        cmocka_unit_test(unit_partition_reads_back),
        cmocka_unit_test(integrity_covers_everything_before_it),
        cmocka_unit_test(crc_damage_is_detected),
        cmocka_unit_test(a_damaged_length_is_a_truncation_not_an_overread),
        cmocka_unit_test(partition_size_is_enforced),
        cmocka_unit_test(refuses_bad_records),
        cmocka_unit_test(a_record_written_twice_by_hand_is_flagged),
        cmocka_unit_test(describe_never_prints_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
