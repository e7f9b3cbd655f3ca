/* The operator's bundle choice, kept across restarts.
 *
 * A bundle loaded over the API (jigctl bundle load, the dashboard) is the
 * operator's decision and must not quietly give way to jigd.conf's `bundle`
 * at the next start. So each one that becomes active is written to
 * data_dir/active_bundle.json, together with what jigd.conf said at the
 * time: an engineer who edits jigd.conf's `bundle` after that choice has
 * the newer word, and jigd.conf wins again (docs/config.md). */
#ifndef JIGD_BUNDLE_CHOICE_H
#define JIGD_BUNDLE_CHOICE_H

#include <stddef.h>

#include "config.h"

#define BUNDLE_CHOICE_FILE "active_bundle.json"

/* Which bundle to load at start: dir gets the folder ("" for none) and
 * why a sentence for the log saying which one and why. A saved choice that
 * jigd.conf has since overtaken is forgotten (its file removed). */
void bundle_choice_at_start(const struct jigd_config *cfg, char *dir, size_t dircap,
                            char *why, size_t whycap);

/* Records `dir` (bundle `id`) as the operator's choice: a temporary file,
 * fsync, rename over the old one, fsync of the folder, so a power cut
 * leaves either the old choice or the new, never half of one. Returns 0,
 * or -1 with err. */
int bundle_choice_save(const struct jigd_config *cfg, const char *dir, const char *id,
                       char *err, size_t errlen);

#endif
