/* Fuzzes the esp_secure_cert TLV reader, verifier and dump on arbitrary
 * partition images, and checks a property: the records the reader accepts
 * (CRC right, first of their type/subtype) written again by the writer
 * read back identical and verify clean. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secure_cert_tlv.h"

static void rewrite_and_compare(const uint8_t *data, size_t size)
{
    uint8_t *out = malloc(SECURE_CERT_PARTITION_SIZE);
    struct secure_cert_tlv_writer w;
    secure_cert_tlv_writer_init(&w, out, SECURE_CERT_PARTITION_SIZE);
    size_t pos = 0;
    struct secure_cert_tlv_record r;
    while (secure_cert_tlv_next(data, size, &pos, &r) == SECURE_CERT_TLV_RECORD) {
        if (!r.crc_ok || r.type == SECURE_CERT_INTEGRITY || r.subtype >= 254)
            continue;
        size_t before = w.used;
        int rc = secure_cert_tlv_add(&w, r.type, r.subtype, r.flags, r.value, r.length);
        if (rc == SECURE_CERT_TLV_E_FULL || rc == SECURE_CERT_TLV_E_DUPLICATE)
            continue;
        if (rc != SECURE_CERT_TLV_OK)
            abort();
        struct secure_cert_tlv_record back;
        size_t at = before;
        if (secure_cert_tlv_next(out, w.used, &at, &back) != SECURE_CERT_TLV_RECORD ||
            !back.crc_ok || !back.reserved_ok || back.type != r.type ||
            back.subtype != r.subtype || back.flags != r.flags || back.length != r.length ||
            memcmp(back.value, r.value, r.length) != 0 || at != w.used)
            abort();
    }
    if (secure_cert_tlv_add_integrity(&w, 0) == SECURE_CERT_TLV_OK &&
        secure_cert_tlv_verify(out, SECURE_CERT_PARTITION_SIZE, NULL, 0) < 1)
        abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2 * SECURE_CERT_PARTITION_SIZE)
        return 0;
    size_t pos = 0;
    struct secure_cert_tlv_record r;
    while (secure_cert_tlv_next(data, size, &pos, &r) == SECURE_CERT_TLV_RECORD)
        if (r.size % 16 != 0 || r.offset + r.size != pos || pos > size)
            abort();

    char err[256];
    secure_cert_tlv_verify(data, size, err, sizeof err);
    static const uint8_t types[] = {SECURE_CERT_CA_CERT, SECURE_CERT_DEV_CERT,
                                    SECURE_CERT_PRIV_KEY, SECURE_CERT_INTEGRITY};
    for (size_t i = 0; i < sizeof types; i++) {
        secure_cert_tlv_find(data, size, types[i], 0, &r);
        secure_cert_tlv_find(data, size, types[i], SECURE_CERT_SUBTYPE_LATEST, &r);
    }

    size_t need = secure_cert_tlv_describe(data, size, NULL, 0);
    char *text = malloc(need + 1);
    if (secure_cert_tlv_describe(data, size, text, need + 1) != need || strlen(text) != need)
        abort();
    free(text);

    rewrite_and_compare(data, size);
    return 0;
}
