/* The esp_secure_cert partition in its TLV form (formats.md §6), as
 * Espressif's esp_secure_cert_mgr reads it on the device:
 *
 *   +0 u32 magic 0xBA5EBA11, +4 u8 flags, +5 u8[3] 0, +8 u8 type,
 *   +9 u8 subtype, +10 u16 length, +12 value, zero padding to 16,
 *   u32 CRC32-ESP over header + value + padding.
 *
 * Records follow each other; the list ends at the first word that is not
 * the magic. Pure bytes: the caller owns every buffer, nothing here
 * allocates, and a private-key record's value is never printed. */
#ifndef JIGD_SECURE_CERT_TLV_H
#define JIGD_SECURE_CERT_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECURE_CERT_TLV_MAGIC 0xBA5EBA11u
#define SECURE_CERT_TLV_HEADER_LEN 12u
#define SECURE_CERT_TLV_FOOTER_LEN 4u
#define SECURE_CERT_TLV_ALIGN 16u
#define SECURE_CERT_TLV_MAX_VALUE 0xFFFFu
#define SECURE_CERT_PARTITION_SIZE 0x2000u  /* the tool's and the CSV's default */
#define SECURE_CERT_PARTITION_TYPE 0x3Fu
#define SECURE_CERT_PARTITION_LABEL "esp_secure_cert"
#define SECURE_CERT_SUBTYPE_LATEST 254u     /* "find": the last one of a type */

enum secure_cert_tlv_type {
    SECURE_CERT_CA_CERT = 0,
    SECURE_CERT_DEV_CERT = 1,
    SECURE_CERT_PRIV_KEY = 2,
    SECURE_CERT_DS_DATA = 3,
    SECURE_CERT_DS_CONTEXT = 4,
    SECURE_CERT_HMAC_ECDSA_KEY_SALT = 5,
    SECURE_CERT_SEC_CFG = 6,
    SECURE_CERT_TEE_SEC_STORAGE_KEY = 7,
    SECURE_CERT_SIGNATURE_BLOCK = 8,
    SECURE_CERT_INTEGRITY = 9,
    SECURE_CERT_USER_DATA_1 = 51,
    SECURE_CERT_USER_DATA_5 = 55,
};

/* Flags byte (plain certificates and keys use 0). */
#define SECURE_CERT_FLAG_HMAC_ENCRYPTED 0x80u       /* bits 7..6 = 10 */
#define SECURE_CERT_FLAG_HMAC_ECDSA_DERIVED 0x40u   /* bits 7..6 = 01 */
#define SECURE_CERT_FLAG_ECDSA_PERIPHERAL 0x08u     /* bits 5..3 = 001 */

/* Bytes one record takes: header, value, zero padding to 16, CRC. */
size_t secure_cert_tlv_record_size(size_t value_len);

/* ---- writing ------------------------------------------------------------- */

/* Builds a partition image in a caller's buffer of the partition's size:
 * the buffer starts erased (0xFF) and records are appended in order. */
struct secure_cert_tlv_writer {
    uint8_t *buf;
    size_t size;    /* the partition's size (from the partition table) */
    size_t used;    /* end of the last record */
};

enum secure_cert_tlv_error {
    SECURE_CERT_TLV_OK = 0,
    SECURE_CERT_TLV_E_FULL = -1,        /* the record does not fit the partition */
    SECURE_CERT_TLV_E_VALUE_LEN = -2,   /* value longer than 65535 bytes */
    SECURE_CERT_TLV_E_DUPLICATE = -3,   /* (type, subtype) already written */
    SECURE_CERT_TLV_E_ARG = -4,         /* NULL value with a length, bad subtype */
};

/* Fills buf[0..size) with 0xFF. A partition smaller than one record plus
 * the end word cannot hold anything, but that is reported by _add. */
void secure_cert_tlv_writer_init(struct secure_cert_tlv_writer *w, uint8_t *buf,
                                 size_t size);

/* Appends one record. Refused (nothing written) when it would not leave
 * the 4-byte non-magic word the device reader stops on inside the
 * partition, or would end past 64 KiB (the device walks the partition with
 * a 16-bit offset). Subtypes 254 and 255 are reserved. */
int secure_cert_tlv_add(struct secure_cert_tlv_writer *w, uint8_t type, uint8_t subtype,
                        uint8_t flags, const void *value, size_t len);

/* Appends an INTEGRITY record: SHA-256 of the partition from offset 0 to
 * the start of this record, as configure_esp_secure_cert.py adds last. */
int secure_cert_tlv_add_integrity(struct secure_cert_tlv_writer *w, uint8_t subtype);

/* What a station writes for one unit, in the tool's order: CA_CERT (if
 * ca_pem is not NULL), DEV_CERT, PRIV_KEY (flags 0), then INTEGRITY when
 * asked. The PEM strings are stored with their NUL, as mbedTLS on the
 * device needs it to parse PEM. The key's bytes end up in buf: the caller
 * zeroises buf when done. Returns SECURE_CERT_TLV_OK or an error from
 * _add; *failed_type names the record that did not fit. */
int secure_cert_tlv_build_identity(struct secure_cert_tlv_writer *w, const char *ca_pem,
                                   const char *dev_pem, const char *key_pem,
                                   bool integrity, int *failed_type);

/* What an error code means, in words for a message. */
const char *secure_cert_tlv_strerror(int err);

/* ---- reading ------------------------------------------------------------- */

struct secure_cert_tlv_record {
    size_t offset;              /* of the header within the partition */
    size_t size;                /* whole record, a multiple of 16 */
    uint8_t flags, type, subtype;
    uint16_t length;
    const uint8_t *value;       /* points into the partition */
    uint32_t crc_stored, crc_computed;
    bool crc_ok;
    bool reserved_ok;           /* reserved bytes and padding all zero */
};

enum secure_cert_tlv_next_result {
    SECURE_CERT_TLV_RECORD = 1,     /* *rec filled, *pos advanced */
    SECURE_CERT_TLV_END = 0,        /* no magic at *pos (or the partition ends) */
    SECURE_CERT_TLV_TRUNCATED = -1, /* magic found, but the record runs past len */
};

/* Decodes the record at *pos of part[0..len). A record whose CRC does not
 * match is still returned (crc_ok false) so that dumps can show it; the
 * device would refuse it. */
int secure_cert_tlv_next(const uint8_t *part, size_t len, size_t *pos,
                         struct secure_cert_tlv_record *rec);

/* The device's lookup: the first record of (type, subtype), or with
 * subtype SECURE_CERT_SUBTYPE_LATEST the last record of that type in
 * partition order; only the chosen record's CRC is checked. Returns 1
 * found and valid, 0 absent, -1 found but its CRC is wrong. */
int secure_cert_tlv_find(const uint8_t *part, size_t len, uint8_t type, uint8_t subtype,
                         struct secure_cert_tlv_record *rec);

/* Checks a whole image as a station should before writing it: every CRC,
 * zero reserved bytes and padding, no (type, subtype) twice, every
 * INTEGRITY digest, and a non-magic word after the last record. Returns
 * the number of records, or -1 with "offset 0x40: ..." in err. */
int secure_cert_tlv_verify(const uint8_t *part, size_t len, char *err, size_t errlen);

/* "CA_CERT", "DEV_CERT", ..., "USER_DATA_3", or NULL for unknown types. */
const char *secure_cert_tlv_type_name(uint8_t type);

/* One line per record for `jigctl` dumps and logs: offset, type, subtype,
 * flags, length, CRC state, and for certificates their first PEM line.
 * Key material (PRIV_KEY, DS_DATA, salts, TEE keys) is never shown.
 * Like snprintf: returns the length it needed. */
size_t secure_cert_tlv_describe(const uint8_t *part, size_t len, char *out, size_t cap);

#endif
