/* unit_db_tool: what the identity tests need besides jigd and espsim.
 *
 * Operator actions on a station database while jigd is stopped (jigctl has
 * no command for them yet), done through db/'s API so they land in the
 * audit chain like any other:
 *
 *   unit_db_tool void DB SERIAL REASON
 *   unit_db_tool work-order DB ID QUANTITY
 *   unit_db_tool audit-verify DB          exit 0 when the chain is intact
 *
 * and a string from an NVS partition inside a board's flash file, read with
 * protocol's NVS reader (the board's firmware reads it the same way):
 *
 *   unit_db_tool nvs-get FLASH OFFSET SIZE NAMESPACE KEY   prints the value
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvs_reader.h"
#include "station_db.h"

static int open_db(const char *path, bool read_only, struct station_db **db)
{
    char err[512];
    struct sdb_options o = {.station = "test-line", .read_only = read_only};
    if (sdb_open(path, &o, db, err, sizeof err) != SDB_OK) {
        fprintf(stderr, "unit_db_tool: %s\n", err);
        return -1;
    }
    return 0;
}

static int db_action(int argc, char **argv)
{
    struct station_db *db;
    /* Verifying reads only: no lock, and no sweep of attempts a killed
     * jigd left running (the test wants to see jigd's own sweep). */
    if (open_db(argv[2], !strcmp(argv[1], "audit-verify"), &db) < 0)
        return 1;
    int rc;
    if (!strcmp(argv[1], "audit-verify")) {
        struct sdb_audit_check c;
        rc = sdb_audit_verify(db, &c);
        if (rc == SDB_OK && !c.ok) {
            fprintf(stderr, "unit_db_tool: audit chain broken at row %lld: %s\n",
                    (long long)c.first_bad_id, c.reason);
            rc = SDB_ERROR;
        } else if (rc == SDB_OK) {
            printf("audit chain intact: %lld rows\n", (long long)c.rows);
        }
    } else if (argc == 5 && !strcmp(argv[1], "void")) {
        rc = sdb_serial_void(db, argv[3], "test", argv[4]);
    } else {
        rc = sdb_work_order_create(db, &(struct sdb_work_order_new){
            .id = argv[3], .quantity = strtoll(argv[4], NULL, 10), .actor = "test"});
    }
    if (rc != SDB_OK)
        fprintf(stderr, "unit_db_tool: %s\n", sdb_errmsg(db));
    sdb_close(db);
    return rc == SDB_OK ? 0 : 1;
}

static int nvs_get(char **argv)
{
    long off = strtol(argv[3], NULL, 0), size = strtol(argv[4], NULL, 0);
    FILE *f = fopen(argv[2], "rb");
    uint8_t *part = malloc((size_t)size);
    if (!f || !part || fseek(f, off, SEEK_SET) || fread(part, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "unit_db_tool: cannot read %ld bytes at %ld of %s\n", size, off, argv[2]);
        if (f)
            fclose(f);
        free(part);
        return 1;
    }
    fclose(f);
    static char value[16384];
    size_t len;
    enum nvs_read_result r = nvs_read_str(part, (size_t)size, argv[5], argv[6], value,
                                          sizeof value, &len);
    free(part);
    if (r != NVS_READ_OK) {
        fprintf(stderr, "unit_db_tool: %s:%s not readable (%d)\n", argv[5], argv[6], (int)r);
        return 1;
    }
    fwrite(value, 1, strnlen(value, len), stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "nvs-get"))
        return nvs_get(argv);
    if ((argc == 3 && !strcmp(argv[1], "audit-verify"))
        || (argc == 5 && (!strcmp(argv[1], "void") || !strcmp(argv[1], "work-order"))))
        return db_action(argc, argv);
    fprintf(stderr, "usage: unit_db_tool void DB SERIAL REASON\n"
                    "       unit_db_tool work-order DB ID QUANTITY\n"
                    "       unit_db_tool audit-verify DB\n"
                    "       unit_db_tool nvs-get FLASH OFFSET SIZE NAMESPACE KEY\n");
    return 2;
}
