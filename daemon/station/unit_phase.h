/* The phase names a unit's events and records use, from the flash job's
 * steps and the loader's phases. */
#ifndef JIGD_UNIT_PHASE_H
#define JIGD_UNIT_PHASE_H

#include "flash_job.h"
#include "loader.h"

const char *unit_phase_of_step(enum flash_job_step_kind k);
const char *unit_phase_of_loader(enum loader_phase p);

#endif
