/* SLIP framing: the decoder's "every 0xC0 closes a candidate" rule under
 * split input, noise and damage; the encoder's escapes and bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "slip.h"

#define MAX_FRAMES 16
#define FRAME_CAP 256

/* Every candidate frame the decoder handed up, copied out. */
struct collected {
    size_t count;
    size_t len[MAX_FRAMES];
    enum slip_frame_status status[MAX_FRAMES];
    uint8_t data[MAX_FRAMES][FRAME_CAP];
};

/* Feeds `in` in pieces of at most `chunk` bytes, calling slip_decode until
 * each piece is consumed, and checks the consumed counts add up. */
static void decode_in_chunks(struct slip_decoder *d, const uint8_t *in, size_t n,
                             size_t chunk, struct collected *out)
{
    memset(out, 0, sizeof *out);
    for (size_t off = 0; off < n; off += chunk) {
        size_t piece = n - off < chunk ? n - off : chunk;
        size_t used = 0;
        while (used < piece) {
            const uint8_t *frame;
            size_t frame_len;
            enum slip_frame_status st;
            size_t k = slip_decode(d, in + off + used, piece - used, &frame,
                                   &frame_len, &st);
            assert_true(k > 0 && k <= piece - used);
            used += k;
            if (frame) {
                assert_true(out->count < MAX_FRAMES);
                assert_true(frame_len <= FRAME_CAP);
                memcpy(out->data[out->count], frame, frame_len);
                out->len[out->count] = frame_len;
                out->status[out->count] = st;
                out->count++;
            }
        }
    }
}

static void decode_all(const uint8_t *in, size_t n, size_t chunk, size_t cap,
                       struct collected *out)
{
    static uint8_t buf[FRAME_CAP];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, cap);
    decode_in_chunks(&d, in, n, chunk, out);
}

static void assert_frame(const struct collected *c, size_t i, const void *want,
                         size_t want_len, enum slip_frame_status st)
{
    assert_true(i < c->count);
    assert_int_equal(c->status[i], st);
    assert_int_equal(c->len[i], want_len);
    if (want_len)
        assert_memory_equal(c->data[i], want, want_len);
}

/* A 0xC0 or 0xDB at every position of a short packet: the wire form is
 * exactly the escape pair in that spot, and it decodes back. */
static void test_escape_at_every_position(void **state)
{
    const uint8_t specials[2][3] = {{0xC0, 0xDB, 0xDC}, {0xDB, 0xDB, 0xDD}};
    for (int s = 0; s < 2; s++) {
        for (size_t pos = 0; pos < 6; pos++) {
            uint8_t raw[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
            raw[pos] = specials[s][0];

            uint8_t want[16], *w = want;
            *w++ = 0xC0;
            for (size_t i = 0; i < 6; i++) {
                if (i == pos) {
                    *w++ = specials[s][1];
                    *w++ = specials[s][2];
                } else {
                    *w++ = raw[i];
                }
            }
            *w++ = 0xC0;

            uint8_t enc[SLIP_ENCODED_MAX(6)];
            size_t n = slip_encode(raw, sizeof raw, enc, sizeof enc);
            assert_int_equal(n, (size_t)(w - want));
            assert_memory_equal(enc, want, n);

            struct collected c;
            decode_all(enc, n, n, FRAME_CAP, &c);
            assert_int_equal(c.count, 1);
            assert_frame(&c, 0, raw, sizeof raw, SLIP_FRAME_OK);
        }
    }
}

static void test_every_byte_value_round_trips(void **state)
{
    uint8_t raw[256], enc[SLIP_ENCODED_MAX(256)];
    for (int i = 0; i < 256; i++)
        raw[i] = (uint8_t)i;
    size_t n = slip_encode(raw, sizeof raw, enc, sizeof enc);
    assert_int_equal(n, 256 + 2 + 2);   /* two bytes need escaping */
    struct collected c;
    decode_all(enc, n, 7, FRAME_CAP, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, raw, sizeof raw, SLIP_FRAME_OK);
}

/* A frame fed one byte at a time, with escape pairs split across calls. */
static void test_split_one_byte_at_a_time(void **state)
{
    const uint8_t raw[] = {0x01, 0x0A, 0xC0, 0xDB, 0x00, 0xDB, 0xC0, 0x7F};
    uint8_t enc[SLIP_ENCODED_MAX(sizeof raw)];
    size_t n = slip_encode(raw, sizeof raw, enc, sizeof enc);
    for (size_t chunk = 1; chunk <= n; chunk++) {
        struct collected c;
        decode_all(enc, n, chunk, FRAME_CAP, &c);
        assert_int_equal(c.count, 1);
        assert_frame(&c, 0, raw, sizeof raw, SLIP_FRAME_OK);
    }
}

/* Both "C0 a C0 C0 b C0" and the shared-delimiter "C0 a C0 b C0". */
static void test_back_to_back_frames(void **state)
{
    const uint8_t two_delims[] = {0xC0, 'a', 'b', 0xC0, 0xC0, 'c', 0xC0};
    const uint8_t shared[] = {0xC0, 'a', 'b', 0xC0, 'c', 0xC0};
    for (size_t chunk = 1; chunk <= sizeof two_delims; chunk++) {
        struct collected c;
        decode_all(two_delims, sizeof two_delims, chunk, FRAME_CAP, &c);
        assert_int_equal(c.count, 2);
        assert_frame(&c, 0, "ab", 2, SLIP_FRAME_OK);
        assert_frame(&c, 1, "c", 1, SLIP_FRAME_OK);

        decode_all(shared, sizeof shared, chunk, FRAME_CAP, &c);
        assert_int_equal(c.count, 2);
        assert_frame(&c, 0, "ab", 2, SLIP_FRAME_OK);
        assert_frame(&c, 1, "c", 1, SLIP_FRAME_OK);
    }
}

/* One call returns at the first frame end and leaves the rest unconsumed. */
static void test_decode_stops_after_each_frame(void **state)
{
    const uint8_t in[] = {0xC0, 'x', 0xC0, 0xC0, 'y', 'z', 0xC0};
    uint8_t buf[16];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);
    const uint8_t *f;
    size_t fl;
    enum slip_frame_status st;

    size_t k = slip_decode(&d, in, sizeof in, &f, &fl, &st);
    assert_int_equal(k, 3);
    assert_non_null(f);
    assert_int_equal(fl, 1);
    assert_int_equal(f[0], 'x');

    k = slip_decode(&d, in + 3, sizeof in - 3, &f, &fl, &st);
    assert_int_equal(k, 4);
    assert_int_equal(fl, 2);
    assert_memory_equal(f, "yz", 2);

    k = slip_decode(&d, in, 0, &f, &fl, &st);
    assert_int_equal(k, 0);
    assert_null(f);
}

static void test_empty_runs_are_skipped(void **state)
{
    const uint8_t in[] = {0xC0, 0xC0, 0xC0, 0xC0, 'q', 0xC0, 0xC0, 0xC0};
    struct collected c;
    decode_all(in, sizeof in, 1, FRAME_CAP, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, "q", 1, SLIP_FRAME_OK);

    /* Only delimiters: nothing at all. */
    decode_all(in, 4, 4, FRAME_CAP, &c);
    assert_int_equal(c.count, 0);
}

/* Boot-log text and line noise become candidates of their own; the real
 * frames around them come through intact. */
static void test_noise_and_boot_text_between_frames(void **state)
{
    const char boot[] = "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),"
                        "boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\n"
                        "waiting for download\r\n";
    const uint8_t reply[] = {0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20,
                             0x00, 0x00, 0x00, 0x00};
    const uint8_t junk[] = {0x00, 0xFF, 0x55, 0x0D, 0x0A};

    uint8_t stream[512];
    size_t n = 0;
    memcpy(stream + n, boot, sizeof boot - 1);
    n += sizeof boot - 1;
    n += slip_encode(reply, sizeof reply, stream + n, sizeof stream - n);
    memcpy(stream + n, junk, sizeof junk);
    n += sizeof junk;
    n += slip_encode(reply, sizeof reply, stream + n, sizeof stream - n);

    for (size_t chunk = 1; chunk <= n; chunk += 13) {
        struct collected c;
        decode_all(stream, n, chunk, FRAME_CAP, &c);
        assert_int_equal(c.count, 4);
        assert_frame(&c, 0, boot, sizeof boot - 1, SLIP_FRAME_OK);
        assert_frame(&c, 1, reply, sizeof reply, SLIP_FRAME_OK);
        assert_frame(&c, 2, junk, sizeof junk, SLIP_FRAME_OK);
        assert_frame(&c, 3, reply, sizeof reply, SLIP_FRAME_OK);
    }
}

static void test_bad_escape_is_reported_and_recovered(void **state)
{
    /* DB followed by 'A'; then DB right before the delimiter; then a clean
     * frame, which must not inherit the earlier damage. */
    const uint8_t in[] = {0xC0, 0x01, 0xDB, 'A', 0x02, 0xC0,
                          0xC0, 0x03, 0xDB, 0xC0,
                          0xC0, 0x04, 0xDB, 0xDD, 0xC0};
    uint8_t buf[FRAME_CAP];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);
    struct collected c;
    decode_in_chunks(&d, in, sizeof in, 1, &c);
    assert_int_equal(c.count, 3);
    assert_int_equal(c.status[0], SLIP_FRAME_BAD_ESCAPE);
    assert_int_equal(c.status[1], SLIP_FRAME_BAD_ESCAPE);
    const uint8_t good[] = {0x04, 0xDB};
    assert_frame(&c, 2, good, sizeof good, SLIP_FRAME_OK);
    /* The dropped pair (DB 'A') and the lone DB. */
    assert_int_equal(d.noise_bytes, 3);
}

static void test_overflow_truncates_then_recovers(void **state)
{
    uint8_t in[64];
    size_t n = 0;
    in[n++] = 0xC0;
    for (int i = 0; i < 20; i++)
        in[n++] = (uint8_t)(0x10 + i);
    in[n++] = 0xC0;
    in[n++] = 0xC0;
    in[n++] = 'o';
    in[n++] = 'k';
    in[n++] = 0xC0;

    uint8_t buf[8];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, sizeof buf);
    struct collected c;
    decode_in_chunks(&d, in, n, 3, &c);
    assert_int_equal(c.count, 2);
    const uint8_t head[] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17};
    assert_frame(&c, 0, head, sizeof head, SLIP_FRAME_OVERFLOW);
    assert_frame(&c, 1, "ok", 2, SLIP_FRAME_OK);
    assert_int_equal(d.noise_bytes, 12);
}

/* A frame exactly the buffer size is not an overflow. */
static void test_frame_exactly_fills_buffer(void **state)
{
    const uint8_t in[] = {0xC0, 1, 2, 3, 4, 0xC0};
    struct collected c;
    decode_all(in, sizeof in, 1, 4, &c);
    assert_int_equal(c.count, 1);
    const uint8_t want[] = {1, 2, 3, 4};
    assert_frame(&c, 0, want, 4, SLIP_FRAME_OK);
}

static void test_encoder_worst_case_and_bounds(void **state)
{
    uint8_t raw[100];
    for (size_t i = 0; i < sizeof raw; i++)
        raw[i] = (i & 1) ? 0xDB : 0xC0;
    uint8_t out[SLIP_ENCODED_MAX(100) + 4];

    size_t exact = SLIP_ENCODED_MAX(100);
    memset(out, 0xAA, sizeof out);
    assert_int_equal(slip_encode(raw, sizeof raw, out, exact), exact);
    assert_int_equal(out[exact], 0xAA);     /* nothing past the frame */

    memset(out, 0xAA, sizeof out);
    assert_int_equal(slip_encode(raw, sizeof raw, out, exact - 1), 0);
    assert_int_equal(out[0], 0xAA);         /* nothing written on failure */

    struct collected c;
    decode_all(out, slip_encode(raw, sizeof raw, out, sizeof out), 5, FRAME_CAP, &c);
    assert_int_equal(c.count, 1);
    assert_frame(&c, 0, raw, sizeof raw, SLIP_FRAME_OK);
}

static void test_incremental_encoder_matches_whole(void **state)
{
    const uint8_t a[] = {0x00, 0x03, 0xC0};
    const uint8_t b[] = {0xDB, 0x11};
    const uint8_t whole[] = {0x00, 0x03, 0xC0, 0xDB, 0x11};
    uint8_t inc[32], ref[32];
    size_t n = 0;
    n += slip_encode_begin(inc + n, sizeof inc - n);
    n += slip_encode_append(a, sizeof a, inc + n, sizeof inc - n);
    n += slip_encode_append(b, sizeof b, inc + n, sizeof inc - n);
    n += slip_encode_end(inc + n, sizeof inc - n);
    size_t m = slip_encode(whole, sizeof whole, ref, sizeof ref);
    assert_int_equal(n, m);
    assert_memory_equal(inc, ref, n);

    /* Each piece refuses a buffer one byte too small. */
    assert_int_equal(slip_encode_begin(inc, 0), 0);
    assert_int_equal(slip_encode_end(inc, 0), 0);
    assert_int_equal(slip_encode_append(a, sizeof a, inc, 3), 0);
    assert_int_equal(slip_encode_append(a, sizeof a, inc, 4), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape_at_every_position),
        cmocka_unit_test(test_every_byte_value_round_trips),
        cmocka_unit_test(test_split_one_byte_at_a_time),
        cmocka_unit_test(test_back_to_back_frames),
        cmocka_unit_test(test_decode_stops_after_each_frame),
        cmocka_unit_test(test_empty_runs_are_skipped),
        cmocka_unit_test(test_noise_and_boot_text_between_frames),
        cmocka_unit_test(test_bad_escape_is_reported_and_recovered),
        cmocka_unit_test(test_overflow_truncates_then_recovers),
        cmocka_unit_test(test_frame_exactly_fills_buffer),
        cmocka_unit_test(test_encoder_worst_case_and_bounds),
        cmocka_unit_test(test_incremental_encoder_matches_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
