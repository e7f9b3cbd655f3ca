/* ROM loader / flasher-stub packets (rom-protocol.md §2, §3). */
#include "command.h"

#include "slip.h"
#include "le_bytes.h"

void esp_put_u32(uint8_t *p, uint32_t v) { le32_put(p, v); }

uint32_t esp_get_u32(const uint8_t *p) { return le32_get(p); }

const char *esp_op_name(uint8_t op)
{
    switch (op) {
    case ESP_FLASH_BEGIN: return "FLASH_BEGIN";
    case ESP_FLASH_DATA: return "FLASH_DATA";
    case ESP_FLASH_END: return "FLASH_END";
    case ESP_MEM_BEGIN: return "MEM_BEGIN";
    case ESP_MEM_END: return "MEM_END";
    case ESP_MEM_DATA: return "MEM_DATA";
    case ESP_SYNC: return "SYNC";
    case ESP_WRITE_REG: return "WRITE_REG";
    case ESP_READ_REG: return "READ_REG";
    case ESP_SPI_SET_PARAMS: return "SPI_SET_PARAMS";
    case ESP_SPI_ATTACH: return "SPI_ATTACH";
    case ESP_READ_FLASH_SLOW: return "READ_FLASH_SLOW";
    case ESP_CHANGE_BAUDRATE: return "CHANGE_BAUDRATE";
    case ESP_FLASH_DEFL_BEGIN: return "FLASH_DEFL_BEGIN";
    case ESP_FLASH_DEFL_DATA: return "FLASH_DEFL_DATA";
    case ESP_FLASH_DEFL_END: return "FLASH_DEFL_END";
    case ESP_SPI_FLASH_MD5: return "SPI_FLASH_MD5";
    case ESP_GET_SECURITY_INFO: return "GET_SECURITY_INFO";
    case ESP_ERASE_FLASH: return "ERASE_FLASH";
    case ESP_ERASE_REGION: return "ERASE_REGION";
    case ESP_READ_FLASH: return "READ_FLASH";
    case ESP_RUN_USER_CODE: return "RUN_USER_CODE";
    case 0xD4: return "FLASH_ENCRYPT_DATA";
    default: return "UNKNOWN";
    }
}

uint32_t esp_checksum(const uint8_t *data, size_t n)
{
    uint8_t sum = ESP_CHECKSUM_SEED;
    for (size_t i = 0; i < n; i++)
        sum ^= data[i];
    return sum;
}

/* A packet is escaped in up to three pieces (header, optional sub-header,
 * payload) straight into `out`, so large _DATA blocks are never copied. */
struct frame_writer {
    uint8_t *out;
    size_t cap, len;
    bool full;
};

static void put_piece(struct frame_writer *w, const uint8_t *p, size_t n)
{
    if (w->full || n == 0)
        return;
    size_t k = slip_encode_append(p, n, w->out + w->len, w->cap - w->len);
    if (k == 0)
        w->full = true;
    w->len += k;
}

static void put_delimiter(struct frame_writer *w)
{
    if (w->full)
        return;
    size_t k = slip_encode_begin(w->out + w->len, w->cap - w->len);
    if (k == 0)
        w->full = true;
    w->len += k;
}

static size_t encode_packet(uint8_t op, const uint8_t *sub, size_t sub_len,
                            const uint8_t *data, size_t len, uint32_t checksum,
                            uint8_t *out, size_t cap)
{
    size_t size = sub_len + len;
    if (size > 0xFFFF)
        return 0;   /* the size field is 16 bits */

    uint8_t header[ESP_PACKET_HEADER];
    header[0] = 0x00;   /* direction: host to device */
    header[1] = op;
    header[2] = (uint8_t)size;
    header[3] = (uint8_t)(size >> 8);
    esp_put_u32(header + 4, checksum);

    struct frame_writer w = {.out = out, .cap = cap};
    put_delimiter(&w);
    put_piece(&w, header, sizeof header);
    put_piece(&w, sub, sub_len);
    put_piece(&w, data, len);
    put_delimiter(&w);
    return w.full ? 0 : w.len;
}

size_t esp_encode_command(uint8_t op, const uint8_t *data, size_t len,
                          uint32_t checksum, uint8_t *out, size_t cap)
{
    return encode_packet(op, NULL, 0, data, len, checksum, out, cap);
}

size_t esp_encode_data(uint8_t op, uint32_t seq, const uint8_t *payload,
                       size_t len, uint8_t *out, size_t cap)
{
    if (len > 0xFFFF - ESP_DATA_SUBHEADER)
        return 0;
    uint8_t sub[ESP_DATA_SUBHEADER] = {0};
    esp_put_u32(sub, (uint32_t)len);
    esp_put_u32(sub + 4, seq);
    return encode_packet(op, sub, sizeof sub, payload, len,
                         esp_checksum(payload, len), out, cap);
}

enum esp_parse_result esp_parse_response(const uint8_t *frame, size_t len,
                                         size_t expected_data_len,
                                         struct esp_response *r)
{
    *r = (struct esp_response){0};
    if (len < ESP_PACKET_HEADER || frame[0] != 0x01)
        return ESP_PARSE_NOT_RESPONSE;

    r->op = frame[1];
    r->value = esp_get_u32(frame + 4);
    const uint8_t *body = frame + ESP_PACKET_HEADER;
    size_t body_len = len - ESP_PACKET_HEADER;
    r->data = body;

    if (body_len >= expected_data_len && body_len - expected_data_len >= 2) {
        r->data_len = expected_data_len;
        r->status[0] = body[expected_data_len];
        r->status[1] = body[expected_data_len + 1];
        r->failed = r->status[0] != 0;
        return ESP_PARSE_OK;
    }

    /* Shorter than asked for. esptool 5 then reads the status from the
     * first two bytes, which is what makes an "unsupported command" reply
     * (01 05 ..) recognisable even while expecting data. */
    r->data_len = body_len;
    if (body_len >= 2) {
        r->status[0] = body[0];
        r->status[1] = body[1];
        r->failed = r->status[0] != 0;
    }
    return ESP_PARSE_SHORT;
}

bool esp_response_is_unsupported(const struct esp_response *r, uint8_t sent_op)
{
    if (!r->failed)
        return false;
    /* ROM (§2.6): a reply to some other opcode with "invalid message". */
    if (r->op != sent_op)
        return r->status[1] == 0x05;
    /* Stubs echo the opcode; a ROM never puts these in the first byte. */
    return (r->status[0] == 0xFF || r->status[0] == 0xC3) && r->status[1] == 0x00;
}

static const char *rom_status_text(uint8_t code)
{
    switch (code) {
    case 0x00: return "undefined ROM error";
    case 0x01: return "input parameter invalid: the ROM rejected the command's arguments";
    case 0x02: return "ROM out of memory (malloc failed)";
    case 0x03: return "ROM failed to send a message: check the serial link";
    case 0x04: return "ROM failed to receive a message: check the serial link and baud rate";
    case 0x05: return "invalid message format, unsupported command, or command refused in Secure Download Mode";
    case 0x06: return "the operation failed (e.g. refused in Secure Download Mode or flash not attached)";
    case 0x07: return "checksum error: data was corrupted on the serial link; check cabling and lower the baud rate";
    case 0x08: return "flash write error (the ROM read back different data): check the flash chip and its power";
    case 0x09: return "flash read error: check the flash chip, its wiring and power";
    case 0x0A: return "flash read length error";
    case 0x0B: return "deflate failed: compressed data is corrupt";
    case 0x0C: return "deflate Adler-32 error: compressed data was corrupted";
    case 0x0D: return "deflate parameter error";
    case 0x0E: return "invalid RAM binary size";
    case 0x0F: return "invalid RAM binary address";
    case 0x64: return "invalid parameter";
    case 0x65: return "invalid format";
    case 0x66: return "description too long";
    case 0x67: return "bad encoding description";
    case 0x69: return "insufficient storage";
    default: return "unknown ROM error code";
    }
}

static const char *stub_status_text(const uint8_t status[2])
{
    switch (status[0]) {
    case 0x00: return "no error";
    case 0xC0:
        if (status[1] == 0xEE)
            return "packet too long for the stub's buffer: use blocks of at most 16 KB";
        return "bad data length: the stub got a payload of the wrong size for the command";
    case 0xC1: return "data checksum mismatch: data was corrupted on the serial link; check cabling and lower the baud rate";
    case 0xC2: return "block size too large for the stub (over 16 KB)";
    case 0xC3: return "the stub does not know this command";
    case 0xC4: return "SPI flash operation failed: check the flash chip, its wiring and power";
    case 0xC5: return "could not unlock the flash (write-protect bits stuck): check the flash's WP pin and status register";
    case 0xC6: return "data sent without a preceding BEGIN: the stub is not in flash mode";
    case 0xC7: return "inflate error: the compressed image is corrupt";
    case 0xC8: return "not enough data: the stub got fewer bytes than announced";
    case 0xC9: return "too much data: the stub got more bytes than announced";
    case 0xCA: return "NAND program failed";
    case 0xCB: return "NAND erase failed";
    case 0xFF: return "the stub does not implement this command";
    case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37:
        return "flash erase failed in the stub (alignment, unlock or erase error): check the region and the flash chip";
    case 0x63: return "flash read failed in the stub while computing MD5: check the flash chip";
    default: return "unknown stub error code";
    }
}

const char *esp_status_text(bool from_stub, const uint8_t status[2])
{
    if (from_stub)
        return stub_status_text(status);
    if (status[0] == 0)
        return "no error";
    return rom_status_text(status[1]);
}
