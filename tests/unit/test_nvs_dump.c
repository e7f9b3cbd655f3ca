/* nvs_tool's listings of things Espressif's generator never writes, so no
 * golden file shows them: a string holding DEL (0x7F), an entry whose type
 * byte nvs_tool does not know, and a string whose data ends in several
 * NULs. The partition is made by our generator and then edited in place,
 * with its CRCs made right again, as a device or a bad tool could leave it.
 *
 * The expected text is not a recording (no vector shows these cases): it is
 * worked out from nvs_tool's source, ESP-IDF components/nvs_flash/
 * nvs_partition_tool (v5.4.2), as follows.
 *   - nvs_parser.NVS_Entry: a type byte missing from item_type becomes the
 *     string f'0x{type:02x}', and its data {'value': None};
 *   - nvs_logger.print_minimal_json: "data" is entry.data['value'] for every
 *     type but strings and blobs, so None, which json.dumps writes as null;
 *     a string is str(data.rstrip(b'\x00'), 'utf-8'): all trailing NULs go;
 *   - json.dumps(..., indent=4) keeps ensure_ascii, which writes every
 *     character outside ' '..'~' as \uXXXX (lower-case hex): DEL is \u007f;
 *   - nvs_logger.dump_key_value_pairs (the text listing): strings as they
 *     are, NULs and all; a type it does not know as "None". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32_esp.h"
#include "le_bytes.h"
#include "nvs_dump.h"
#include "nvs_page.h"
#include "nvs_writer.h"

#define PART_SIZE 0x3000u

/* The header entry of `key` on page 0, walking entries by their span. */
static uint8_t *entry_of(uint8_t *part, const char *key)
{
    for (unsigned i = 0; i < NVS_ENTRIES_PER_PAGE;) {
        uint8_t *e = nvs_entry_at(part, i);
        if (nvs_entry_state_get(part, i) == NVS_ENTRY_WRITTEN &&
            !strncmp((const char *)e + 8, key, 16))
            return e;
        i += e[2] ? e[2] : 1;
    }
    fail_msg("no entry '%s'", key);
    return NULL;
}

/* Replaces a string's data with `len` bytes of the same size and seals it. */
static void rewrite_string(uint8_t *part, const char *key, const char *data, size_t len)
{
    uint8_t *e = entry_of(part, key);
    assert_int_equal(le16_get(e + 24), len);
    memcpy(e + NVS_ENTRY_SIZE, data, len);
    le32_put(e + 28, crc32_esp(CRC32_ESP_INIT, e + NVS_ENTRY_SIZE, len));
    nvs_entry_seal(e);
}

/* namespace "edge": del = "a<DEL>b", odd = a u8 whose type byte is then
 * changed to 0x24 (FLOAT in the newest ESP-IDF, not in nvs_tool's table),
 * nuls = "ab" followed by four NULs in place of "abXYZ". */
static uint8_t *edge_partition(void)
{
    uint8_t *part = malloc(PART_SIZE);
    struct nvs_writer w;
    assert_int_equal(nvs_writer_init(&w, part, PART_SIZE, NVS_VERSION_2), 0);
    assert_int_equal(nvs_writer_namespace(&w, "edge"), 0);
    assert_int_equal(nvs_writer_string(&w, "del", "a\x7f" "b", 3), 0);
    assert_int_equal(nvs_writer_int(&w, "odd", NVS_TYPE_U8, 7, 0), 0);
    assert_int_equal(nvs_writer_string(&w, "nuls", "abXYZ", 5), 0);
    assert_int_equal(nvs_writer_finish(&w), PART_SIZE);
    uint8_t *odd = entry_of(part, "odd");
    odd[1] = 0x24;
    nvs_entry_seal(odd);
    rewrite_string(part, "nuls", "ab\0\0\0\0", 6);
    return part;
}

static void assert_listing(size_t (*dump)(const uint8_t *, size_t, char *, size_t),
                           const uint8_t *part, const char *want, size_t want_len)
{
    size_t need = dump(part, PART_SIZE, NULL, 0);
    char *got = malloc(need + 1);
    assert_int_equal(dump(part, PART_SIZE, got, need + 1), need);
    if (need != want_len || memcmp(got, want, need) != 0)
        fail_msg("listing differs:\n--- got (%zu bytes)\n%.*s--- want (%zu bytes)\n%s", need,
                 (int)need, got, want_len, want);
    free(got);
}

static void json_escapes_del_names_unknown_types_and_strips_nuls(void **state)
{
    static const char want[] =
        "[\n"
        "    {\n"
        "        \"namespace\": \"edge\",\n"
        "        \"key\": \"del\",\n"
        "        \"encoding\": \"string\",\n"
        "        \"data\": \"a\\u007fb\",\n"
        "        \"state\": \"Written\",\n"
        "        \"is_empty\": false\n"
        "    },\n"
        "    {\n"
        "        \"namespace\": \"edge\",\n"
        "        \"key\": \"odd\",\n"
        "        \"encoding\": \"0x24\",\n"
        "        \"data\": null,\n"
        "        \"state\": \"Written\",\n"
        "        \"is_empty\": false\n"
        "    },\n"
        "    {\n"
        "        \"namespace\": \"edge\",\n"
        "        \"key\": \"nuls\",\n"
        "        \"encoding\": \"string\",\n"
        "        \"data\": \"ab\",\n"
        "        \"state\": \"Written\",\n"
        "        \"is_empty\": false\n"
        "    }\n"
        "]\n";
    uint8_t *part = edge_partition();
    assert_listing(nvs_dump_minimal_json, part, want, sizeof want - 1);
    free(part);
}

/* The text listing already printed these as nvs_tool does; kept here so the
 * two formats stay side by side. */
static void text_shows_the_same_items_as_they_are(void **state)
{
    static const char want[] =
        "Page no. 0, Status: Active\n"
        " edge:del = a\x7f" "b\0\n"
        " edge:odd = None\n"
        " edge:nuls = ab\0\0\0\0\n"
        "\n"
        "Page Empty\n"
        "\n"
        "Page Empty\n"
        "\n";
    uint8_t *part = edge_partition();
    assert_listing(nvs_dump_minimal, part, want, sizeof want - 1);
    free(part);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escapes_del_names_unknown_types_and_strips_nuls),
        cmocka_unit_test(text_shows_the_same_items_as_they_are),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
