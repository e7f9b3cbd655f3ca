/* SLIP framing as the Espressif ROM loader and flasher stub use it
 * (reference/rom-protocol.md §1).
 *
 * The decoder is deliberately forgiving: every 0xC0 closes the bytes gathered
 * since the previous 0xC0, and any non-empty run is handed up as a candidate
 * frame. Boot-log text, a frame joined half-way, or a stray "C0 C0" therefore
 * never desynchronise it; the response parser decides what is a real packet.
 */
#ifndef JIGD_SLIP_H
#define JIGD_SLIP_H

#include <stddef.h>
#include <stdint.h>

#define SLIP_END 0xC0
#define SLIP_ESC 0xDB
#define SLIP_ESC_END 0xDC
#define SLIP_ESC_ESC 0xDD

/* Worst case: every byte escaped, plus the two delimiters. */
#define SLIP_ENCODED_MAX(n) (2 * (size_t)(n) + 2)

enum slip_frame_status {
    SLIP_FRAME_OK = 0,
    SLIP_FRAME_BAD_ESCAPE,  /* 0xDB followed by something else than DC/DD */
    SLIP_FRAME_OVERFLOW,    /* longer than the caller's buffer; truncated */
};

struct slip_decoder {
    uint8_t *buf;           /* caller-owned storage for one frame */
    size_t cap;
    size_t len;
    int escaped;            /* previous byte was 0xDB */
    enum slip_frame_status status;
    uint64_t noise_bytes;   /* bytes dropped as part of rejected candidates */
};

void slip_decoder_init(struct slip_decoder *d, uint8_t *buf, size_t cap);

/* Consumes input up to and including the next frame end. Returns the number
 * of bytes of `in` consumed. When a candidate frame is complete, *frame and
 * *frame_len are set (pointing into the decoder's buffer, valid until the next
 * call) and *status says whether it decoded cleanly; otherwise *frame is NULL.
 * Call again with the rest of the input until it is all consumed. */
size_t slip_decode(struct slip_decoder *d, const uint8_t *in, size_t n,
                   const uint8_t **frame, size_t *frame_len,
                   enum slip_frame_status *status);

/* Incremental encoder: begin writes the opening 0xC0, append escapes a piece,
 * end writes the closing 0xC0. Each returns bytes written, or 0 when `cap` is
 * too small (nothing written then). */
size_t slip_encode_begin(uint8_t *out, size_t cap);
size_t slip_encode_append(const uint8_t *in, size_t n, uint8_t *out, size_t cap);
size_t slip_encode_end(uint8_t *out, size_t cap);

/* Whole frame in one call. */
size_t slip_encode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);

#endif
