/* Whether the station's clock can date a unit certificate. A board keeps
 * its certificate for twenty years: one issued while the clock is wrong
 * (a Raspberry Pi without a battery-backed clock boots in the past and
 * is set by NTP only later) is valid from the wrong day, or not valid
 * under its CA at all. So before a unit starts, the clock must be at
 * least this jigd's build date and the CA's notBefore. Pure: the caller
 * gives every time, so it is tested without touching the clock. */
#ifndef JIGD_CERT_CLOCK_H
#define JIGD_CERT_CLOCK_H

#include <stddef.h>
#include <time.h>

/* 0 when `now` is plausible; -1 with what is wrong (both dates, UTC) in
 * why. `built` and `ca_from` of 0 are not checked. The CA's notBefore is
 * given the same hour of slack the unit certificates are dated back by. */
int cert_clock_check(time_t now, time_t built, time_t ca_from, char *why, size_t whylen);

/* The notBefore of the certificate in `path` (PEM or DER), for a checker
 * that has the CA's file but not jigd's station (jigctl doctor): 1 with
 * *not_before set; 0 when there is no such file (jigd makes its CA at
 * first start); -1 with why when it is there but unreadable or no
 * certificate (cert_clock_file.c). */
int cert_file_not_before(const char *path, time_t *not_before, char *why, size_t whylen);

#endif
