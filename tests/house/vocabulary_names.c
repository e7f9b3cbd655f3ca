/* Prints the code's one name table of slot states and of phases, one
 * "state NAME" or "phase NAME" a line, for docs_vocabulary.py to hold
 * against docs/api.md. */
#include <stdio.h>

#include "phase.h"
#include "slot_state.h"

int main(void)
{
    for (int s = 0; s < SLOT_STATE_COUNT; s++)
        if (slot_state_name((enum slot_state)s))
            printf("state %s\n", slot_state_name((enum slot_state)s));
    for (int p = 0; p < PHASE_COUNT; p++)
        if (phase_name((enum phase)p))
            printf("phase %s\n", phase_name((enum phase)p));
    return 0;
}
