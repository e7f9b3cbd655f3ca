/* The clock before a certificate is issued (cert_clock.h). */
#include "cert_clock.h"

#include <stdio.h>

#include "cert_build.h"

static void day_text(time_t t, char out[32])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm))
        snprintf(out, 32, "%lld", (long long)t);
}

int cert_clock_check(time_t now, time_t built, time_t ca_from, char *why, size_t whylen)
{
    char now_s[32], then_s[32];
    day_text(now, now_s);
    if (built && now < built) {
        day_text(built, then_s);
        snprintf(why, whylen, "the clock says %s, before this jigd was built (%s): "
                 "certificates issued now would carry that date", now_s, then_s);
        return -1;
    }
    if (ca_from && now + CERT_CLOCK_SKEW_SECONDS < ca_from) {
        day_text(ca_from, then_s);
        snprintf(why, whylen, "the clock says %s, before the station CA is valid (%s): "
                 "certificates issued now would not verify under it", now_s, then_s);
        return -1;
    }
    return 0;
}
