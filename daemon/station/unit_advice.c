/* Advice for a failed unit (unit_advice.h). */
#include "unit_advice.h"

#include <stdio.h>

#include "config.h"
#include "flash_job.h"

/* What the operator should do about a failure, by where and how it failed. */
const char *unit_advice_for(const struct loader_error *e)
{
    switch (e->code) {
    case LOADER_ERR_CANCELLED:
        return "the unit was aborted; start it again when ready";
    case LOADER_ERR_PORT:
        return "check the USB cable and adapter of this position (for rfc2217://, that the "
               "server runs); the slot resumes by itself when the port is back";
    case LOADER_ERR_STUB:
        return CONFIG_STUB_DIR_ADVICE;
    case LOADER_ERR_VERIFY:
        return "the flash does not keep what was written: reseat the board and run it again; "
               "if it repeats, set the board aside (faulty flash, or a part smaller than its "
               "ID claims)";
    case LOADER_ERR_NO_SYNC:
        return "no answer from the ROM loader: check that the board is seated and powered "
               "and that the BOOT/EN wiring (DTR/RTS) works";
    }
    switch (e->phase) {
    case PHASE_CONNECT:
        return "no answer from the ROM loader: check that the board is seated and powered "
               "and that the BOOT/EN wiring (DTR/RTS) works";
    case PHASE_CHECK:
    case PHASE_WRITE:
    case PHASE_VERIFY:
        return "the board stopped answering or refused the data: check its power supply "
               "(brownout), the cable and the seating, then run it again";
    case PHASE_BAUD:
        return "the adapter does not carry the higher rate: lower max_baud for this slot";
    default:
        return "reseat the board and run it again; if it repeats, set the board aside";
    }
}

void unit_advice_storage(enum sdb_fault fault, const char *data_dir, char *out, size_t size)
{
    switch (fault) {
    case SDB_FAULT_DISK_FULL:
        snprintf(out, size, "free space in %s (old logs, backups, bundles)", data_dir);
        break;
    case SDB_FAULT_READ_ONLY:
        snprintf(out, size, "make station.db in %s writable again (chattr -i, or remount its "
                 "file system read-write)", data_dir);
        break;
    case SDB_FAULT_IO:
        snprintf(out, size, "check the disk holding %s (dmesg) and its cable", data_dir);
        break;
    default:
        snprintf(out, size, "check station.db in %s (jigd's log says more)", data_dir);
        break;
    }
}
