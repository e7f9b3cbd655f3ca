/* The states a slot can be in, named once. The station sets them, the event
 * bus and the API show the names below (docs/api.md lists exactly these),
 * and nothing else spells them. */
#ifndef JIGD_SLOT_STATE_H
#define JIGD_SLOT_STATE_H

enum slot_state {
    SLOT_STATE_UNSAID,  /* an event that says nothing of the state */
    SLOT_DISABLED,
    SLOT_NO_PORT,       /* the port cannot be opened; polled */
    SLOT_IDLE,          /* manual: waits for start */
    SLOT_ARMED,         /* auto / hotplug: waits for a board */
    SLOT_RUNNING,       /* a unit is being flashed */
    SLOT_PASSED,
    SLOT_FAILED,
    SLOT_UNRECORDED,    /* the unit ended, its result waits for the database */
    SLOT_STATE_COUNT
};

/* "no-port", "running", …; NULL for SLOT_STATE_UNSAID and out of range. */
const char *slot_state_name(enum slot_state s);

#endif
