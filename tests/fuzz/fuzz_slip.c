/* SLIP decoder fed in random splits, and encode/decode round trips.
 *
 * Input layout: byte 0 picks the decoder's buffer size (so overflow is
 * exercised), bytes 1..4 seed the split sizes, the rest is the wire. The
 * invariants: the same candidate frames come out however the input is
 * split; every clean frame re-encodes and decodes to itself; and the whole
 * input, encoded as one frame, decodes back intact. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slip.h"

#define MAX_CAP 300

struct frames {
    size_t count;
    uint8_t *data;          /* concatenated frame bytes */
    size_t *len;
    enum slip_frame_status *status;
    uint64_t noise;
};

static uint32_t next_rand(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* Each frame is at most cap bytes and ends at a 0xC0, so n + 1 frames
 * and n bytes of frame data are upper bounds. */
static void frames_alloc(struct frames *f, size_t n)
{
    f->count = 0;
    f->data = malloc(n + 1);
    f->len = malloc((n + 1) * sizeof *f->len);
    f->status = malloc((n + 1) * sizeof *f->status);
    if (!f->data || !f->len || !f->status)
        abort();
}

static void frames_free(struct frames *f)
{
    free(f->data);
    free(f->len);
    free(f->status);
}

/* Decodes `in`, feeding pieces of 1..max_piece bytes (0: all at once). */
static void decode(const uint8_t *in, size_t n, size_t cap, uint32_t seed,
                   size_t max_piece, struct frames *out)
{
    uint8_t buf[MAX_CAP];
    struct slip_decoder d;
    slip_decoder_init(&d, buf, cap);
    frames_alloc(out, n);
    size_t off = 0, data_used = 0;
    while (off < n) {
        size_t piece = n - off;
        if (max_piece && piece > 1)
            piece = 1 + next_rand(&seed) % (piece < max_piece ? piece : max_piece);
        size_t used = 0;
        while (used < piece) {
            const uint8_t *fr;
            size_t fl;
            enum slip_frame_status st;
            size_t k = slip_decode(&d, in + off + used, piece - used, &fr, &fl, &st);
            if (k == 0 || k > piece - used)
                abort();    /* must always make progress, never overrun */
            used += k;
            if (!fr)
                continue;
            if (fl > cap || (st == SLIP_FRAME_OK && fl == 0))
                abort();
            memcpy(out->data + data_used, fr, fl);
            data_used += fl;
            out->len[out->count] = fl;
            out->status[out->count] = st;
            out->count++;
        }
        off += piece;
    }
    out->noise = d.noise_bytes;
}

static int same_frames(const struct frames *a, const struct frames *b)
{
    if (a->count != b->count || a->noise != b->noise)
        return 0;
    size_t off = 0;
    for (size_t i = 0; i < a->count; i++) {
        if (a->len[i] != b->len[i] || a->status[i] != b->status[i])
            return 0;
        if (memcmp(a->data + off, b->data + off, a->len[i]) != 0)
            return 0;
        off += a->len[i];
    }
    return 1;
}

/* A clean frame encodes to a wire form that decodes to the same bytes. */
static void check_round_trip(const uint8_t *frame, size_t len)
{
    size_t cap = SLIP_ENCODED_MAX(len);
    uint8_t *wire = malloc(cap);
    if (!wire)
        abort();
    size_t n = slip_encode(frame, len, wire, cap);
    if (n < len + 2 || n > cap || wire[0] != SLIP_END || wire[n - 1] != SLIP_END)
        abort();
    for (size_t i = 1; i + 1 < n; i++)
        if (wire[i] == SLIP_END)
            abort();        /* an unescaped delimiter inside the frame */
    if (slip_encode(frame, len, wire, n - 1) != 0)
        abort();            /* one byte short must fail */

    struct frames back;
    decode(wire, n, len ? len : 1, 0, 0, &back);
    if (len == 0) {
        if (back.count != 0)
            abort();        /* "C0 C0" is no frame */
    } else if (back.count != 1 || back.len[0] != len || back.status[0] != SLIP_FRAME_OK ||
               memcmp(back.data, frame, len) != 0) {
        abort();
    }
    frames_free(&back);
    free(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    size_t cap = 1 + data[0] % MAX_CAP;
    uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 |
                    (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
    const uint8_t *in = data + 5;
    size_t n = size - 5;

    struct frames whole, split;
    decode(in, n, cap, 0, 0, &whole);
    decode(in, n, cap, seed, 1 + seed % 17, &split);
    if (!same_frames(&whole, &split))
        abort();

    size_t off = 0;
    for (size_t i = 0; i < whole.count; i++) {
        if (whole.status[i] == SLIP_FRAME_OK)
            check_round_trip(whole.data + off, whole.len[i]);
        off += whole.len[i];
    }
    frames_free(&whole);
    frames_free(&split);

    if (n <= MAX_CAP)
        check_round_trip(in, n);
    return 0;
}
