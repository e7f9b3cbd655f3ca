/* The label's preview as SVG (label_svg.h). */
#include "label_svg.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "label_buf.h"

#define WIDTH 400
#define HEIGHT 200
#define QR_BOX 170          /* the QR code's square, quiet zone included */
#define QUIET 4             /* modules of white around it (ISO/IEC 18004) */

static void put_xml_text(struct label_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': label_buf_put(b, "&amp;", 5); break;
        case '<': label_buf_put(b, "&lt;", 4); break;
        case '>': label_buf_put(b, "&gt;", 4); break;
        case '"': label_buf_put(b, "&quot;", 6); break;
        case '\'': label_buf_put(b, "&#39;", 5); break;
        default:
            /* XML 1.0 refuses most control bytes, and a lone byte of a
             * multi-byte character would make the document unreadable. */
            label_buf_put(b, c < 0x20 || c > 0x7e ? "?" : s, 1);
        }
    }
}

/* A line too long for the room left of the QR code is squeezed into it
 * (textLength), not drawn over the code: a serial must stay readable. */
static void text_line(struct label_buf *b, int y, int size, bool bold, const char *lead,
                      const char *value)
{
    int room = WIDTH - QR_BOX - 10 - 16 - 8;
    double guess = 0.62 * size * (double)(strlen(lead) + strlen(value));   /* sans-serif */
    label_buf_printf(b, "<text x=\"16\" y=\"%d\" font-size=\"%d\"%s", y, size,
                     bold ? " font-weight=\"bold\"" : "");
    if (guess > room)
        label_buf_printf(b, " textLength=\"%d\" lengthAdjust=\"spacingAndGlyphs\"", room);
    label_buf_put(b, ">", 1);
    put_xml_text(b, lead);
    put_xml_text(b, value);
    label_buf_put(b, "</text>\n", 8);
}

/* Each row's runs of dark modules as one rect each: a few hundred
 * elements instead of a rect per module. */
static void qr_modules(struct label_buf *b, const QRcode *qr)
{
    int w = qr->width;
    label_buf_printf(b, "<svg x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                     "viewBox=\"%d %d %d %d\" shape-rendering=\"crispEdges\">\n"
                     "<g class=\"qr\" data-modules=\"%d\" fill=\"#000\">\n",
                     WIDTH - QR_BOX - 10, (HEIGHT - QR_BOX) / 2, QR_BOX, QR_BOX,
                     -QUIET, -QUIET, w + 2 * QUIET, w + 2 * QUIET, w);
    for (int y = 0; y < w; y++) {
        for (int x = 0; x < w;) {
            if (!(qr->data[y * w + x] & 1)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (qr->data[y * w + x + run] & 1))
                run++;
            label_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>", x, y,
                             run);
            x += run;
        }
        label_buf_put(b, "\n", 1);
    }
    label_buf_put(b, "</g>\n</svg>\n", 12);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

char *label_svg(const struct label_values *v, size_t *len)
{
    if (!v->serial || !v->serial[0])
        return NULL;
    /* Case kept (the serial as printed), the encoder picks the modes. */
    QRcode *qr = QRcode_encodeString(v->serial, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
    if (!qr)
        return NULL;
    struct label_buf b = {0};
    label_buf_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                     "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                     "<rect x=\"0.5\" y=\"0.5\" width=\"%d\" height=\"%d\" rx=\"8\" "
                     "fill=\"#fff\" stroke=\"#888\"/>\n",
                     WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH - 1, HEIGHT - 1);
    label_buf_put(&b, "<g fill=\"#000\">\n", 16);
    text_line(&b, 42, 22, true, "", v->serial);
    text_line(&b, 76, 15, false, "MAC ", or_empty(v->mac));
    int y = 104;
    if (v->board_code && v->board_code[0]) {
        text_line(&b, y, 15, false, "board ", v->board_code);
        y += 28;
    }
    if (v->work_order && v->work_order[0]) {
        text_line(&b, y, 15, false, "WO ", v->work_order);
        y += 28;
    }
    text_line(&b, y, 15, false, or_empty(v->date), "");
    text_line(&b, y + 22, 13, false, "", or_empty(v->station));
    label_buf_put(&b, "</g>\n", 5);
    qr_modules(&b, qr);
    label_buf_put(&b, "</svg>\n", 7);
    QRcode_free(qr);
    return label_buf_take(&b, len);
}
