/* The stub JSON reader on arbitrary bytes: it must never read past `len`,
 * never write past `cap`, and either fill a consistent stub_image or say
 * why not. The input is parsed twice: with the documented storage size
 * (the JSON length) and with a smaller one to exercise the storage check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stub_image.h"

static void check_one(const char *json, size_t len, size_t cap)
{
    uint8_t *storage = malloc(cap ? cap : 1);
    if (!storage)
        abort();
    struct stub_image img;
    char err[160];
    memset(err, 'x', sizeof err);
    int rc = stub_image_parse(json, len, storage, cap, &img, err, sizeof err);
    if (rc == 0) {
        if (img.text == NULL || img.text_len == 0)
            abort();
        if (img.text < storage || img.text + img.text_len > storage + cap)
            abort();
        if (img.data && (img.data < storage || img.data + img.data_len > storage + cap))
            abort();
        if (!img.data && (img.data_len != 0 || img.data_start != 0))
            abort();
        if (img.text_len + img.data_len > cap)
            abort();
    } else {
        if (rc != -1 || memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
            abort();
        if (img.text != NULL || img.text_len != 0 || img.data != NULL)
            abort();
        /* The contract: storage of the JSON's own length always suffices. */
        if (cap >= len && strstr(err, "storage"))
            abort();
    }
    free(storage);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan catches any read past the end. */
    char *json = malloc(size ? size : 1);
    if (!json)
        abort();
    if (size)
        memcpy(json, data, size);
    check_one(json, size, size);
    check_one(json, size, size / 3);
    free(json);
    return 0;
}
