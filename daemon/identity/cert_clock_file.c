/* A certificate file's notBefore for cert_clock_check (cert_clock.h). */
#include "cert_clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/x509_crt.h>

#include "cert_build.h"

int cert_file_not_before(const char *path, time_t *not_before, char *why, size_t whylen)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {     /* a FIFO would hang the reader */
        snprintf(why, whylen, "%s is not a regular file", path);
        return -1;
    }
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = mbedtls_x509_crt_parse_file(&crt, path);
    if (rc == 0)
        *not_before = cert_time(&crt.valid_from);
    else
        snprintf(why, whylen, "%s is not a readable X.509 certificate in PEM or DER "
                 "(mbedTLS -0x%04x)", path, (unsigned)-rc);
    mbedtls_x509_crt_free(&crt);
    return rc == 0 ? 1 : -1;
}
