/* The station CA (see station_ca.h): load a configured or kept one, or
 * create one at first start. */
#include "station_ca.h"
#include "unit_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/platform_util.h>

#include "mbedtls_compat.h"

#define PATH_LEN 1100
#define CA_FILE_MAX (256 * 1024)
#define CA_CN_SUFFIX " jigd station CA"

struct station_ca {
    const struct identity_config *config;
    char cert_path[PATH_LEN];
    char key_path[PATH_LEN];
    bool created;
    char *cert_pem;
    mbedtls_x509_crt crt;
    mbedtls_pk_context key;
    struct identity_rng rng;
    bool rng_ready;
    struct cert_facts facts;
};

/* ---- reading ------------------------------------------------------------- */

/* The whole file with a NUL after it. A key file must be private to its
 * owner: a station key others can read is a key anyone on the box can
 * issue "genuine" boards with. */
static unsigned char *read_ca_file(const char *path, const char *what, bool private_file,
                                   size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the station CA %s %s: %s; check the path in "
                 "jigd.conf and that jigd's user may read it", what, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    unsigned char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CA_FILE_MAX) {
        snprintf(err, errlen, "the station CA %s %s is not a regular file of at most %d KiB",
                 what, path, CA_FILE_MAX / 1024);
    } else if (private_file && (st.st_mode & 077)) {
        snprintf(err, errlen, "the station CA %s %s may be read by others (mode %04o): "
                 "run chmod 600 on it", what, path, (unsigned)(st.st_mode & 07777));
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        snprintf(err, errlen, "out of memory reading %s", path);
    } else {
        ssize_t n = read(fd, buf, (size_t)st.st_size);
        if (n != st.st_size) {
            snprintf(err, errlen, "cannot read the station CA %s %s: %s", what, path,
                     n < 0 ? strerror(errno) : "it changed while being read");
            mbedtls_platform_zeroize(buf, (size_t)st.st_size);
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    close(fd);
    return buf;
}

/* mbedTLS takes PEM with its NUL counted and DER without. */
static size_t parse_len(const unsigned char *buf, size_t len)
{
    return strstr((const char *)buf, "-----BEGIN ") ? len + 1 : len;
}

/* The CA certificate as one PEM block, whatever form the file had (DER,
 * PEM with a chain or comments after it): what boards and the MES get. */
static int canonical_pem(struct station_ca *ca, char *err, size_t errlen)
{
    size_t cap = ca->crt.raw.len * 2 + 128, olen = 0;
    unsigned char *pem = malloc(cap);
    if (!pem || mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
                                         "-----END CERTIFICATE-----\n", ca->crt.raw.p,
                                         ca->crt.raw.len, pem, cap, &olen) != 0) {
        snprintf(err, errlen, "cannot encode the station CA certificate %s as PEM",
                 ca->cert_path);
        free(pem);
        return -1;
    }
    ca->cert_pem = (char *)pem;
    return 0;
}

static int parse_cert(struct station_ca *ca, char *err, size_t errlen)
{
    size_t len;
    unsigned char *buf = read_ca_file(ca->cert_path, "certificate", false, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = mbedtls_x509_crt_parse(&ca->crt, buf, parse_len(buf, len));
    if (rc != 0) {
        snprintf(err, errlen, "the station CA certificate %s is not an X.509 certificate in "
                 "PEM or DER (mbedTLS -0x%04x)", ca->cert_path, -rc);
        free(buf);
        return -1;
    }
    free(buf);
    return canonical_pem(ca, err, errlen);
}

static int parse_key(struct station_ca *ca, char *err, size_t errlen)
{
    size_t len;
    unsigned char *buf = read_ca_file(ca->key_path, "key", true, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = pk_parse_key_compat(&ca->key, buf, parse_len(buf, len), identity_rng_random,
                                 &ca->rng);
    mbedtls_platform_zeroize(buf, len);
    free(buf);
    if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
        snprintf(err, errlen, "the station CA key %s is encrypted: jigd needs it "
                 "unencrypted, in a file only jigd's user may read", ca->key_path);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "the station CA key %s is not a private key in PEM or DER "
                 "(mbedTLS -0x%04x)", ca->key_path, -rc);
        return -1;
    }
    return 0;
}

static int check_pair(struct station_ca *ca)
{
    return pk_check_pair_compat(&ca->crt.pk, &ca->key, identity_rng_random, &ca->rng);
}

static int check_usable(struct station_ca *ca, time_t now, char *err, size_t errlen)
{
    if (check_pair(ca) != 0) {
        snprintf(err, errlen, "the station CA key %s does not belong to the certificate %s: "
                 "configure the matching pair", ca->key_path, ca->cert_path);
        return -1;
    }
    if (!ca->crt.MBEDTLS_MEMBER(ca_istrue) ||
        mbedtls_x509_crt_check_key_usage(&ca->crt, MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0) {
        snprintf(err, errlen, "the station CA certificate %s may not sign certificates (it "
                 "needs basicConstraints CA:TRUE and keyUsage keyCertSign)", ca->cert_path);
        return -1;
    }
    cert_facts_get(&ca->crt, &ca->facts);
    if (cert_time(&ca->crt.valid_to) <= now) {
        snprintf(err, errlen, "the station CA certificate %s expired on %s: configure a new "
                 "CA", ca->cert_path, ca->facts.not_after);
        return -1;
    }
    if (cert_time(&ca->crt.valid_from) > now + CERT_CLOCK_SKEW_SECONDS) {
        snprintf(err, errlen, "the station CA certificate %s is valid only from %s: check "
                 "the station's clock", ca->cert_path, ca->facts.not_before);
        return -1;
    }
    return 0;
}

static int load(struct station_ca *ca, time_t now, char *err, size_t errlen)
{
    if (parse_cert(ca, err, errlen) || parse_key(ca, err, errlen))
        return -1;
    return check_usable(ca, now, err, errlen);
}

/* ---- creating ------------------------------------------------------------ */

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes a new file under a temporary name, created with O_EXCL and its
 * final mode (so a key is never readable by others, not even for a
 * moment), then links it into place, which fails rather than replace a
 * file that appeared meanwhile. A crash leaves at most the ".new" file,
 * which the next attempt removes. */
static int write_new_file(const char *path, const void *data, size_t len, mode_t mode,
                          char *err, size_t errlen)
{
    char tmp[PATH_LEN + 8];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    if (unlink(tmp) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove the leftover %s: %s", tmp, strerror(errno));
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s; check that jigd's user may write the "
                 "data dir", tmp, strerror(errno));
        return -1;
    }
    bool ok = fchmod(fd, mode) == 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (ok && link(tmp, path) != 0) {
        saved = errno;
        ok = false;
    }
    unlink(tmp);
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

static int ca_subject(const struct identity_config *c, char *out, size_t cap)
{
    char cn[CERT_NAME_MAX + 1];
    const char *station = c->station_name && *c->station_name ? c->station_name : "unnamed";
    snprintf(cn, sizeof cn, "%.*s%s", (int)(CERT_NAME_MAX - strlen(CA_CN_SUFFIX)), station,
             CA_CN_SUFFIX);
    out[0] = '\0';
    if (c->organization && *c->organization && cert_name_append(out, cap, "O", c->organization))
        return -1;
    return cert_name_append(out, cap, "CN", cn);
}

static char *self_signed_pem(struct station_ca *ca, const char *subject, time_t now,
                             char *err, size_t errlen)
{
    mbedtls_x509write_cert w;
    mbedtls_x509write_crt_init(&w);
    mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&w, &ca->key);
    mbedtls_x509write_crt_set_issuer_key(&w, &ca->key);
    char *pem = NULL;
    struct cert_facts facts;
    int rc;
    if ((rc = mbedtls_x509write_crt_set_subject_name(&w, subject)) ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&w, subject)) ||
        (rc = cert_set_random_serial(&w, &ca->rng)) ||
        (rc = cert_set_validity(&w, now, ca->config->ca_years, 0)) ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(&w, 1, 0)) ||
        (rc = mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_KEY_CERT_SIGN |
                                                          MBEDTLS_X509_KU_CRL_SIGN)) ||
        (rc = mbedtls_x509write_crt_set_subject_key_identifier(&w)) ||
        (rc = mbedtls_x509write_crt_set_authority_key_identifier(&w)))
        snprintf(err, errlen, "cannot build the station CA certificate (mbedTLS -0x%04x)", -rc);
    else
        pem = cert_write_pem(&w, &ca->rng, &facts, err, errlen);
    mbedtls_x509write_crt_free(&w);
    return pem;
}

static int write_key(struct station_ca *ca, char *err, size_t errlen)
{
    size_t len = 0;
    char *pem = unit_key_pem_of(&ca->key, &len);
    if (!pem) {
        snprintf(err, errlen, "cannot encode the station CA key as PEM");
        return -1;
    }
    int rc = write_new_file(ca->key_path, pem, len, 0600, err, errlen);
    unit_key_pem_free(pem);
    return rc;
}

static int create(struct station_ca *ca, time_t now, char *err, size_t errlen)
{
    char subject[256];
    if (ca_subject(ca->config, subject, sizeof subject) != 0) {
        snprintf(err, errlen, "the organization \"%s\" cannot go into a certificate: use at "
                 "most %d printable ASCII characters, no backslash", ca->config->organization,
                 CERT_NAME_MAX);
        return -1;
    }
    int rc = mbedtls_pk_setup(&ca->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (!rc)
        rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(ca->key),
                                 identity_rng_random, &ca->rng);
    if (rc) {
        snprintf(err, errlen, "cannot generate the station CA key (mbedTLS -0x%04x)", -rc);
        return -1;
    }
    char *pem = self_signed_pem(ca, subject, now, err, errlen);
    if (!pem)
        return -1;
    /* Key first: a crash between the two leaves a key without a certificate,
     * which the next start reports instead of silently making another CA. */
    rc = write_key(ca, err, errlen);
    if (!rc)
        rc = write_new_file(ca->cert_path, pem, strlen(pem), 0644, err, errlen);
    free(pem);
    if (rc)
        return -1;
    sync_dir(ca->config->data_dir);
    /* Read both back: what is used from now on is what is on disk. */
    mbedtls_pk_free(&ca->key);
    mbedtls_pk_init(&ca->key);
    ca->created = true;
    return load(ca, now, err, errlen);
}

/* ---- opening ------------------------------------------------------------- */

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int open_kept(struct station_ca *ca, time_t now, char *err, size_t errlen)
{
    const char *dir = ca->config->data_dir;
    if (!dir || !*dir) {
        snprintf(err, errlen, "no data dir to keep the station CA in: set data_dir in "
                 "jigd.conf, or configure ca_cert and ca_key");
        return -1;
    }
    snprintf(ca->cert_path, sizeof ca->cert_path, "%s/%s", dir, STATION_CA_CERT_FILE);
    snprintf(ca->key_path, sizeof ca->key_path, "%s/%s", dir, STATION_CA_KEY_FILE);
    bool have_cert = exists(ca->cert_path), have_key = exists(ca->key_path);
    if (have_cert && have_key)
        return load(ca, now, err, errlen);
    if (have_cert || have_key) {
        snprintf(err, errlen, "%s exists but %s is missing: restore it from a backup, or "
                 "move the other away to make a new station CA (units issued by the old "
                 "one will then no longer verify against it)",
                 have_cert ? ca->cert_path : ca->key_path,
                 have_cert ? ca->key_path : ca->cert_path);
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the data dir %s: %s", dir, strerror(errno));
        return -1;
    }
    return create(ca, now, err, errlen);
}

static int open_configured(struct station_ca *ca, time_t now, char *err, size_t errlen)
{
    const struct identity_config *c = ca->config;
    if (!c->ca_cert_path || !*c->ca_cert_path || !c->ca_key_path || !*c->ca_key_path) {
        snprintf(err, errlen, "ca_cert and ca_key go together: configure both, or neither "
                 "to let jigd create its own station CA");
        return -1;
    }
    snprintf(ca->cert_path, sizeof ca->cert_path, "%s", c->ca_cert_path);
    snprintf(ca->key_path, sizeof ca->key_path, "%s", c->ca_key_path);
    return load(ca, now, err, errlen);
}

static bool configured(const struct identity_config *c)
{
    return (c->ca_cert_path && *c->ca_cert_path) || (c->ca_key_path && *c->ca_key_path);
}

static int check_years(const struct identity_config *c, char *err, size_t errlen)
{
    if (c->ca_years < 1 || c->ca_years > IDENTITY_MAX_YEARS || c->cert_years < 1 ||
        c->cert_years > IDENTITY_MAX_YEARS) {
        snprintf(err, errlen, "certificate validity must be 1 to %u years (ca_years = %u, "
                 "cert_years = %u)", IDENTITY_MAX_YEARS, c->ca_years, c->cert_years);
        return -1;
    }
    return 0;
}

struct station_ca *station_ca_open(const struct identity_config *c, time_t now, char *err,
                                   size_t errlen)
{
    if (check_years(c, err, errlen) != 0)
        return NULL;
    struct station_ca *ca = calloc(1, sizeof *ca);
    if (!ca) {
        snprintf(err, errlen, "out of memory opening the station CA");
        return NULL;
    }
    ca->config = c;
    mbedtls_x509_crt_init(&ca->crt);
    mbedtls_pk_init(&ca->key);
    if (identity_rng_init(&ca->rng, "jigd station CA", err, errlen) != 0) {
        station_ca_free(ca);
        return NULL;
    }
    ca->rng_ready = true;
    if (!now)
        now = time(NULL);
    int rc = configured(c) ? open_configured(ca, now, err, errlen)
                           : open_kept(ca, now, err, errlen);
    if (rc != 0) {
        station_ca_free(ca);
        return NULL;
    }
    return ca;
}

void station_ca_free(struct station_ca *ca)
{
    if (!ca)
        return;
    mbedtls_pk_free(&ca->key);
    mbedtls_x509_crt_free(&ca->crt);
    if (ca->rng_ready)
        identity_rng_free(&ca->rng);
    free(ca->cert_pem);
    mbedtls_platform_zeroize(ca, sizeof *ca);
    free(ca);
}

bool station_ca_created(const struct station_ca *ca) { return ca->created; }
const char *station_ca_cert_pem(const struct station_ca *ca) { return ca->cert_pem; }
const char *station_ca_cert_path(const struct station_ca *ca) { return ca->cert_path; }
const struct cert_facts *station_ca_facts(const struct station_ca *ca) { return &ca->facts; }
time_t station_ca_not_before(const struct station_ca *ca)
{
    return cert_time(&ca->crt.valid_from);
}
mbedtls_x509_crt *station_ca_crt(struct station_ca *ca) { return &ca->crt; }
mbedtls_pk_context *station_ca_key(struct station_ca *ca) { return &ca->key; }
struct identity_rng *station_ca_rng(struct station_ca *ca) { return &ca->rng; }
const struct identity_config *station_ca_config(const struct station_ca *ca)
{
    return ca->config;
}
