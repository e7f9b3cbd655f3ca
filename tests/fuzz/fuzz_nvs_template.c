/* Fuzzes the per-unit NVS template: front-matter, placeholders, the CSV
 * beneath. Properties: a template that loads and fits its partition makes a
 * partition for a unit whose pages and items all check; and no message,
 * whatever the template, ever carries the unit's key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nvs_page.h"
#include "nvs_reader.h"
#include "partition_table.h"
#include "unit_nvs.h"

static const char unit_key[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----\n";

static bool check_item(void *ctx, const struct nvs_item *it)
{
    if (it->data && !it->data_ok)
        abort();        /* the generator never writes a bad data CRC */
    return true;
}

/* A message may quote the template itself, and the fuzzer learns these
 * strings from the comparisons below and writes them into templates; so a
 * marker counts as leaked only when the template did not bring it along. */
static void no_key_in(const char *msg, const uint8_t *tpl, size_t tpl_len)
{
    static const char *const markers[] = {"PRIVATE KEY", "FUZZFUZZ", "MHcCAQEE"};
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (strstr(msg, markers[i]) && !memmem(tpl, tpl_len, markers[i], strlen(markers[i])))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pt_table table;
    static bool have_table;
    if (!have_table) {
        static const char csv[] = "nvs,data,nvs,0x9000,0x6000,\n"
                                  "fctry,data,nvs,0xf000,0x3000,\n"
                                  "tiny,data,nvs,0x12000,0x1000,readonly\n"
                                  "factory,app,factory,0x20000,1M,\n";
        struct pt_options o;
        struct pt_error e;
        pt_options_default(&o);
        if (pt_parse_csv(csv, sizeof csv - 1, &o, &table, &e) != 0)
            abort();
        have_table = true;
    }
    char err[1024] = "";
    struct unit_nvs_template *t = unit_nvs_template_parse((const char *)data, size, "fuzz.csv",
                                                          NULL, NULL, err, sizeof err);
    if (!t)
        return 0;
    if (unit_nvs_template_check(t, &table, err, sizeof err) != 0) {
        unit_nvs_template_free(t);
        return 0;
    }
    struct unit_nvs_values v = {
        .serial = "ACME-2648-000001", .mac = {0x24, 0x0a, 0xc4, 1, 2, 3},
        .cert_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        .key_pem = unit_key, .ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n",
        .station = "line3", .work_order = "WO-1", .now = 1795429566,
    };
    struct unit_nvs_image img;
    if (unit_nvs_generate(t, &table, &v, &img, err, sizeof err) == 0) {
        for (size_t off = 0; off + NVS_PAGE_SIZE <= img.len; off += NVS_PAGE_SIZE) {
            const uint8_t *p = img.data + off;
            uint32_t crc = (uint32_t)p[28] | (uint32_t)p[29] << 8 | (uint32_t)p[30] << 16 |
                           (uint32_t)p[31] << 24;
            if (nvs_page_state(p) != NVS_PAGE_EMPTY && nvs_page_header_crc(p) != crc)
                abort();
        }
        nvs_read_items(img.data, img.len, check_item, NULL);
        unit_nvs_image_free(&img);
    } else {
        no_key_in(err, data, size);
    }
    unit_nvs_template_free(t);
    return 0;
}
