/* Wire bytes → SLIP frames → esp_parse_response with the expected data
 * lengths the loader uses, then the status texts and unsupported-command
 * test on whatever parsed. Also: any frame, sent back as a command's data
 * field, encodes to a packet whose header and data decode intact.
 *
 * Input layout: byte 0 is an extra expected length to try, the rest is the
 * wire as a port would deliver it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "slip.h"

#define FRAME_CAP 1024

static void check_text(const char *t)
{
    if (t == NULL || t[0] == '\0')
        abort();
}

static void check_parse(const uint8_t *frame, size_t len, size_t expected)
{
    struct esp_response r;
    enum esp_parse_result res = esp_parse_response(frame, len, expected, &r);
    switch (res) {
    case ESP_PARSE_NOT_RESPONSE:
        if (len >= ESP_PACKET_HEADER && frame[0] == 0x01)
            abort();
        return;
    case ESP_PARSE_OK:
        if (r.data_len != expected || len < ESP_PACKET_HEADER + expected + 2)
            abort();
        if (r.status[0] != frame[ESP_PACKET_HEADER + expected] ||
            r.status[1] != frame[ESP_PACKET_HEADER + expected + 1])
            abort();
        break;
    case ESP_PARSE_SHORT:
        if (len >= ESP_PACKET_HEADER + expected + 2)
            abort();
        if (r.data_len != len - ESP_PACKET_HEADER)
            abort();
        break;
    default:
        abort();
    }
    if (r.op != frame[1] || r.data != frame + ESP_PACKET_HEADER)
        abort();
    if (r.failed != (r.status[0] != 0))
        abort();
    check_text(esp_status_text(false, r.status));
    check_text(esp_status_text(true, r.status));
    check_text(esp_op_name(r.op));
    /* A reply to the op it echoes is never "unsupported" the ROM way. */
    if (esp_response_is_unsupported(&r, r.op) && r.status[0] != 0xFF &&
        r.status[0] != 0xC3)
        abort();
    (void)esp_response_is_unsupported(&r, (uint8_t)(r.op + 1));
}

static void check_command_round_trip(const uint8_t *frame, size_t len)
{
    static uint8_t wire[SLIP_ENCODED_MAX(FRAME_CAP + ESP_PACKET_HEADER)];
    uint8_t op = len ? frame[0] : 0;
    uint32_t sum = esp_checksum(frame, len);
    size_t n = esp_encode_command(op, frame, len, sum, wire, sizeof wire);
    if (n == 0)
        abort();

    static uint8_t back[FRAME_CAP + ESP_PACKET_HEADER];
    struct slip_decoder d;
    slip_decoder_init(&d, back, sizeof back);
    const uint8_t *f;
    size_t fl;
    enum slip_frame_status st;
    size_t used = slip_decode(&d, wire, n, &f, &fl, &st);
    if (used != n || !f || st != SLIP_FRAME_OK || fl != len + ESP_PACKET_HEADER)
        abort();
    if (f[0] != 0x00 || f[1] != op || (size_t)(f[2] | f[3] << 8) != len ||
        esp_get_u32(f + 4) != sum || memcmp(f + ESP_PACKET_HEADER, frame, len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const size_t expected[] = {0, 2, 12, 16, 20, 32, 64, data[0]};
    static uint8_t buf[FRAME_CAP];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);

    size_t off = 1;
    while (off < size) {
        const uint8_t *frame;
        size_t len;
        enum slip_frame_status st;
        off += slip_decode(&d, data + off, size - off, &frame, &len, &st);
        if (!frame)
            continue;
        for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
            check_parse(frame, len, expected[i]);
        check_command_round_trip(frame, len);
    }
    return 0;
}
