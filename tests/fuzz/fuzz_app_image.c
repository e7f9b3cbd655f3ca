/* Fuzzes the image parser, its text description, the flash-header patch and
 * the writer. Property: an image that parses cleanly is rewritten byte for
 * byte from its own segments, and patching keeps it valid. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app_image.h"
#include "app_image_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_image_info info;
    char why[256];
    enum app_image_status st = app_image_parse(data, size, &info, why,
                                               sizeof why);
    char text[4096];
    app_image_describe(&info, text, sizeof text);
    if (st != APP_IMAGE_OK && st != APP_IMAGE_BAD_CHECKSUM &&
        st != APP_IMAGE_BAD_DIGEST)
        return 0;

    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    if (app_image_patch_flash_params(copy, size, 3, 2, 0, why, sizeof why) != 0)
        abort();    /* it parsed, so it must be patchable */
    struct app_image_info again;
    enum app_image_status st2 = app_image_parse(copy, size, &again, why,
                                                sizeof why);
    if (st == APP_IMAGE_OK && st2 != APP_IMAGE_OK)
        abort();    /* the patch must leave a valid image valid */
    free(copy);

    if (st != APP_IMAGE_OK)
        return 0;
    struct app_image_params p;
    app_image_params_default(&p, info.chip_id);
    p.flash_mode = info.flash_mode;
    p.flash_size_code = info.flash_size_code;
    p.flash_freq_code = info.flash_freq_code;
    p.entry = info.entry;
    p.min_rev_legacy = info.min_rev_legacy;
    p.min_rev_full = info.min_rev_full;
    p.max_rev_full = info.max_rev_full;
    p.append_digest = info.hash_appended;
    struct app_image_seg_in segs[APP_IMAGE_MAX_SEGMENTS];
    for (unsigned k = 0; k < info.segment_count; k++) {
        segs[k].load_addr = info.seg[k].load_addr;
        segs[k].data = data + info.seg[k].data_offset;
        segs[k].len = info.seg[k].data_len;
    }
    uint8_t *out = malloc(info.image_len);
    size_t n = app_image_write(&p, segs, info.segment_count, out,
                               info.image_len);
    /* Bytes the writer owns differ only where the input had nonzero
     * padding, reserved or drive bits; compare the parsed view instead. */
    if (n != info.image_len)
        abort();
    struct app_image_info w;
    if (app_image_parse(out, n, &w, why, sizeof why) != APP_IMAGE_OK ||
        w.segment_count != info.segment_count || w.entry != info.entry)
        abort();
    for (unsigned k = 0; k < w.segment_count; k++)
        if (w.seg[k].load_addr != info.seg[k].load_addr ||
            w.seg[k].data_len != info.seg[k].data_len ||
            memcmp(out + w.seg[k].data_offset, data + info.seg[k].data_offset,
                   w.seg[k].data_len) != 0)
            abort();
    free(out);
    return 0;
}
