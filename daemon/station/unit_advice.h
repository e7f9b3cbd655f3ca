/* What the operator should do about a failed unit, by where and how it
 * failed: the sentence after the cause on the dashboard and in the log. */
#ifndef JIGD_UNIT_ADVICE_H
#define JIGD_UNIT_ADVICE_H

#include "loader.h"

const char *unit_advice_for(const struct loader_error *e);

#endif
