/* ROM loader and flasher-stub commands: request encoding and response parsing
 * (reference/rom-protocol.md §2, §3). Pure functions over caller buffers. */
#ifndef JIGD_COMMAND_H
#define JIGD_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum esp_op {
    ESP_FLASH_BEGIN = 0x02,
    ESP_FLASH_DATA = 0x03,
    ESP_FLASH_END = 0x04,
    ESP_MEM_BEGIN = 0x05,
    ESP_MEM_END = 0x06,
    ESP_MEM_DATA = 0x07,
    ESP_SYNC = 0x08,
    ESP_WRITE_REG = 0x09,
    ESP_READ_REG = 0x0A,
    ESP_SPI_SET_PARAMS = 0x0B,
    ESP_SPI_ATTACH = 0x0D,
    ESP_READ_FLASH_SLOW = 0x0E,
    ESP_CHANGE_BAUDRATE = 0x0F,
    ESP_FLASH_DEFL_BEGIN = 0x10,
    ESP_FLASH_DEFL_DATA = 0x11,
    ESP_FLASH_DEFL_END = 0x12,
    ESP_SPI_FLASH_MD5 = 0x13,
    ESP_GET_SECURITY_INFO = 0x14,
    ESP_ERASE_FLASH = 0xD0,
    ESP_ERASE_REGION = 0xD1,
    ESP_READ_FLASH = 0xD2,
    ESP_RUN_USER_CODE = 0xD3,
};

#define ESP_CHECKSUM_SEED 0xEF
#define ESP_SYNC_VALUE 0x20120707u
#define ESP_PACKET_HEADER 8     /* direction, op, size, checksum/value */
#define ESP_DATA_SUBHEADER 16   /* length, seq, 0, 0 of the *_DATA commands */

const char *esp_op_name(uint8_t op);

/* XOR checksum over a _DATA payload (seed 0xEF). */
uint32_t esp_checksum(const uint8_t *data, size_t n);

/* Encodes one command as a complete SLIP frame into out. `data` is the data
 * field (for *_DATA commands use esp_encode_data instead). Returns the frame
 * length, or 0 if cap is too small. */
size_t esp_encode_command(uint8_t op, const uint8_t *data, size_t len,
                          uint32_t checksum, uint8_t *out, size_t cap);

/* Encodes MEM_DATA / FLASH_DATA / FLASH_DEFL_DATA: sub-header (len, seq, 0, 0)
 * then payload, checksum over the payload, as one SLIP frame. */
size_t esp_encode_data(uint8_t op, uint32_t seq, const uint8_t *payload,
                       size_t len, uint8_t *out, size_t cap);

/* Little-endian word helpers for building data fields. */
void esp_put_u32(uint8_t *p, uint32_t v);
uint32_t esp_get_u32(const uint8_t *p);

/* A parsed response. Status is located as esptool 5 does: the two bytes
 * after `expected_data_len` bytes of data, so 2- and 4-byte status tails both
 * parse; trailing reserved bytes are ignored. */
struct esp_response {
    uint8_t op;
    uint32_t value;
    const uint8_t *data;    /* points into the frame */
    size_t data_len;        /* bytes before the status */
    uint8_t status[2];
    bool failed;            /* status[0] != 0 */
};

enum esp_parse_result {
    ESP_PARSE_OK = 0,
    ESP_PARSE_NOT_RESPONSE, /* too short or direction byte != 0x01: skip it */
    ESP_PARSE_SHORT,        /* a response, but no room for the status */
};

enum esp_parse_result esp_parse_response(const uint8_t *frame, size_t len,
                                         size_t expected_data_len,
                                         struct esp_response *r);

/* "Unsupported command" as ROMs send it: opcode mismatch, failed, code 0x05. */
bool esp_response_is_unsupported(const struct esp_response *r, uint8_t sent_op);

/* Operator-readable text for a failure status. `from_stub` selects the stub
 * code table (first byte) instead of the ROM one (second byte). Never NULL. */
const char *esp_status_text(bool from_stub, const uint8_t status[2]);

#endif
