/* The phases of a board's pass through the station, named once.
 *
 * The loader reports the phase an operation failed in; the flash job maps
 * its steps onto these; the slot puts them on its events; the database
 * records them; the API and docs/api.md show the names below, and nothing
 * else. A name here is a promise to the MES and the dashboard: change one
 * and docs/api.md, and the test that holds the two together, say so. */
#ifndef JIGD_PHASE_H
#define JIGD_PHASE_H

enum phase {
    PHASE_NONE,             /* no phase: between units, or an event without one */
    PHASE_CONNECT,          /* reset into the ROM loader and SYNC */
    PHASE_IDENTIFY,         /* chip, revision, MAC, flash ID and size */
    PHASE_UNIT,             /* the unit: its serial kept (rework) or allocated */
    PHASE_IDENTITY,         /* key, certificate, per-unit partitions */
    PHASE_STUB,             /* flasher stub upload */
    PHASE_BAUD,             /* rate change */
    PHASE_CHECK,            /* MD5 of a region before writing it */
    PHASE_SKIP,             /* a region already held its content */
    PHASE_WRITE,
    PHASE_VERIFY,           /* MD5 of a region after writing it */
    PHASE_ERASE,
    PHASE_READ,
    PHASE_REGISTER,         /* register reads and writes */
    PHASE_RESET,            /* hard reset into the app */
    PHASE_BOOT_LOG,         /* listening to the app boot */
    PHASE_IDENTIFY_LED,     /* blinking the board's LED for the operator */
    PHASE_RETRY,            /* a second try one baud rate lower */
    PHASE_COUNT
};

/* The name the API shows ("write", "boot-log"); NULL for PHASE_NONE and
 * anything out of range. */
const char *phase_name(enum phase p);

#endif
