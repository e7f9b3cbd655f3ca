/* SLIP framing (rom-protocol.md §1). See slip.h for the decoder's rule.
 *
 * noise_bytes counts what the decoder itself had to throw away: both bytes
 * of a bad escape pair (or a lone 0xDB before 0xC0) and the tail of a frame
 * longer than the buffer. Whole candidates that the response parser later
 * rejects (boot text, echoes) are handed up intact and not counted here. */
#include "slip.h"

#include <string.h>

void slip_decoder_init(struct slip_decoder *d, uint8_t *buf, size_t cap)
{
    memset(d, 0, sizeof *d);
    d->buf = buf;
    d->cap = cap;
}

/* A run is worth handing up if any byte at all arrived since the last 0xC0:
 * it may have been kept (len), be a pending escape, or have been dropped
 * (which always leaves a non-OK status behind). */
static int run_is_empty(const struct slip_decoder *d)
{
    return d->len == 0 && !d->escaped && d->status == SLIP_FRAME_OK;
}

static void start_run(struct slip_decoder *d)
{
    d->len = 0;
    d->escaped = 0;
    d->status = SLIP_FRAME_OK;
}

static void keep_byte(struct slip_decoder *d, uint8_t b)
{
    if (d->len < d->cap) {
        d->buf[d->len++] = b;
        return;
    }
    /* Keep what fits so the caller can still log the head of the junk. */
    d->status = SLIP_FRAME_OVERFLOW;
    d->noise_bytes++;
}

static void take_escaped(struct slip_decoder *d, uint8_t b)
{
    d->escaped = 0;
    if (b == SLIP_ESC_END) {
        keep_byte(d, SLIP_END);
    } else if (b == SLIP_ESC_ESC) {
        keep_byte(d, SLIP_ESC);
    } else {
        /* Drop the pair; an overflow already recorded wins, being the
         * more useful thing to report about a runaway frame. */
        if (d->status == SLIP_FRAME_OK)
            d->status = SLIP_FRAME_BAD_ESCAPE;
        d->noise_bytes += 2;
    }
}

size_t slip_decode(struct slip_decoder *d, const uint8_t *in, size_t n,
                   const uint8_t **frame, size_t *frame_len,
                   enum slip_frame_status *status)
{
    *frame = NULL;
    *frame_len = 0;
    *status = SLIP_FRAME_OK;

    for (size_t i = 0; i < n; i++) {
        uint8_t b = in[i];
        if (b == SLIP_END) {
            if (run_is_empty(d))
                continue;   /* "C0 C0": end of one frame, start of the next */
            if (d->escaped) {
                /* "DB C0": the escape had no partner. */
                if (d->status == SLIP_FRAME_OK)
                    d->status = SLIP_FRAME_BAD_ESCAPE;
                d->noise_bytes++;
            }
            *frame = d->buf;
            *frame_len = d->len;
            *status = d->status;
            /* The bytes stay in buf until the next call overwrites them. */
            start_run(d);
            return i + 1;
        }
        if (d->escaped)
            take_escaped(d, b);
        else if (b == SLIP_ESC)
            d->escaped = 1;
        else
            keep_byte(d, b);
    }
    return n;
}

static size_t escaped_len(const uint8_t *in, size_t n)
{
    size_t len = n;
    for (size_t i = 0; i < n; i++)
        if (in[i] == SLIP_END || in[i] == SLIP_ESC)
            len++;
    return len;
}

size_t slip_encode_begin(uint8_t *out, size_t cap)
{
    if (cap < 1)
        return 0;
    out[0] = SLIP_END;
    return 1;
}

size_t slip_encode_end(uint8_t *out, size_t cap)
{
    return slip_encode_begin(out, cap);
}

size_t slip_encode_append(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    if (escaped_len(in, n) > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == SLIP_END) {
            out[o++] = SLIP_ESC;
            out[o++] = SLIP_ESC_END;
        } else if (in[i] == SLIP_ESC) {
            out[o++] = SLIP_ESC;
            out[o++] = SLIP_ESC_ESC;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

size_t slip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    if (escaped_len(in, n) + 2 > cap)
        return 0;
    size_t o = slip_encode_begin(out, cap);
    o += slip_encode_append(in, n, out + o, cap - o);
    o += slip_encode_end(out + o, cap - o);
    return o;
}
