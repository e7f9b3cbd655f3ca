/* The strict DER walker (see x509_strict.h). Every function takes the
 * elements it expects from the front of a span and fails with the offset
 * of the first byte that breaks a rule, so a failing test names the exact
 * place in `openssl asn1parse` terms. */
#include "x509_strict.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_EXTENSIONS 32
#define SERIAL_MAX_OCTETS 20      /* RFC 5280 §4.1.2.2 */
#define EC_SIG_INT_MAX_OCTETS 33  /* a P-256 r or s, with a sign octet */

enum {
    TAG_BOOLEAN = 0x01,
    TAG_INTEGER = 0x02,
    TAG_BIT_STRING = 0x03,
    TAG_OCTET_STRING = 0x04,
    TAG_NULL = 0x05,
    TAG_OID = 0x06,
    TAG_UTF8_STRING = 0x0C,
    TAG_PRINTABLE_STRING = 0x13,
    TAG_IA5_STRING = 0x16,
    TAG_UTC_TIME = 0x17,
    TAG_GENERALIZED_TIME = 0x18,
    TAG_SEQUENCE = 0x30,
    TAG_SET = 0x31,
    TAG_VERSION = 0xA0,           /* [0] EXPLICIT */
    TAG_EXTENSIONS = 0xA3,        /* [3] EXPLICIT */
    TAG_KEY_ID = 0x80,            /* AKI keyIdentifier [0] IMPLICIT */
    TAG_AKI_ISSUER = 0xA1,
    TAG_AKI_SERIAL = 0x82,
};

/* Object identifiers, content octets only. */
#define OID(name, ...) static const uint8_t name[] = {__VA_ARGS__}
OID(OID_ECDSA_SHA256, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02);
OID(OID_RSA_SHA256, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B);
OID(OID_EC_PUBLIC_KEY, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01);
OID(OID_PRIME256V1, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07);
OID(OID_RSA_ENCRYPTION, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01);
OID(OID_BASIC_CONSTRAINTS, 0x55, 0x1D, 0x13);
OID(OID_KEY_USAGE, 0x55, 0x1D, 0x0F);
OID(OID_EXT_KEY_USAGE, 0x55, 0x1D, 0x25);
OID(OID_SUBJECT_ALT_NAME, 0x55, 0x1D, 0x11);
OID(OID_SUBJECT_KEY_ID, 0x55, 0x1D, 0x0E);
OID(OID_AUTHORITY_KEY_ID, 0x55, 0x1D, 0x23);

struct walk {
    const uint8_t *base;    /* the certificate's first byte: offsets count from here */
    char *why;
    size_t cap;
};

struct span {
    const uint8_t *p, *end;
};

/* One element: its tag, where its header starts, and its contents. */
struct elem {
    uint8_t tag;
    const uint8_t *start;
    struct span v;
};

static size_t elem_size(const struct elem *e) { return (size_t)(e->v.end - e->start); }
static size_t content_len(const struct elem *e) { return (size_t)(e->v.end - e->v.p); }

static bool fail(struct walk *w, const uint8_t *at, const char *fmt, ...)
{
    int n = snprintf(w->why, w->cap, "offset %zu: ", (size_t)(at - w->base));
    if (n >= 0 && (size_t)n < w->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->why + n, w->cap - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* ---- the DER element layer ----------------------------------------------- */

/* A definite length in its shortest form (X.690 §10.1): short form below
 * 128, else 0x81..0x84 followed by octets without a leading zero. */
static bool read_length(struct walk *w, struct span *s, const char *what, size_t *len)
{
    const uint8_t *at = s->p;
    if (s->p >= s->end)
        return fail(w, at, "%s: no length", what);
    uint8_t first = *s->p++;
    if (first < 0x80) {
        *len = first;
        return true;
    }
    if (first == 0x80)
        return fail(w, at, "%s: indefinite length", what);
    size_t n = first & 0x7Fu;
    if (n > 4 || n > (size_t)(s->end - s->p))
        return fail(w, at, "%s: length of %zu octets", what, n);
    if (s->p[0] == 0)
        return fail(w, at, "%s: length with a leading zero octet", what);
    size_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | *s->p++;
    if (v < 0x80)
        return fail(w, at, "%s: long form for the length %zu", what, v);
    *len = v;
    return true;
}

/* The next element of s, whatever its tag. */
static bool take_any(struct walk *w, struct span *s, const char *what, struct elem *e)
{
    *e = (struct elem){.start = s->p, .v = {s->p, s->p}};  /* defined even on failure */
    if (s->p >= s->end)
        return fail(w, s->p, "%s is missing", what);
    e->tag = *s->p++;
    if ((e->tag & 0x1F) == 0x1F)
        return fail(w, e->start, "%s: multi-octet tag", what);
    size_t len = 0;
    if (!read_length(w, s, what, &len))
        return false;
    if (len > (size_t)(s->end - s->p))
        return fail(w, e->start, "%s: %zu octets run past the end of what holds it", what, len);
    e->v.p = s->p;
    e->v.end = s->p + len;
    s->p += len;
    return true;
}

static bool take(struct walk *w, struct span *s, uint8_t tag, const char *what,
                 struct elem *e)
{
    if (!take_any(w, s, what, e))
        return false;
    if (e->tag != tag)
        return fail(w, e->start, "%s: tag 0x%02x where 0x%02x belongs", what, e->tag, tag);
    return true;
}

static int peek(const struct span *s) { return s->p < s->end ? *s->p : -1; }

static bool finish(struct walk *w, const struct span *s, const char *what)
{
    if (s->p != s->end)
        return fail(w, s->p, "%zu octets left over in %s", (size_t)(s->end - s->p), what);
    return true;
}

static bool is_oid(const struct elem *e, const uint8_t *oid, size_t n)
{
    return content_len(e) == n && memcmp(e->v.p, oid, n) == 0;
}
#define IS_OID(e, oid) is_oid((e), (oid), sizeof(oid))

/* ---- primitive values ----------------------------------------------------- */

/* Sub-identifiers in base 128, none starting with a 0x80 octet (X.690 §8.19.2). */
static bool check_oid(struct walk *w, const struct elem *e, const char *what)
{
    size_t n = content_len(e);
    if (n == 0 || (e->v.p[n - 1] & 0x80))
        return fail(w, e->start, "%s: unterminated OBJECT IDENTIFIER", what);
    for (size_t i = 0; i < n; i++)
        if (e->v.p[i] == 0x80 && (i == 0 || !(e->v.p[i - 1] & 0x80)))
            return fail(w, e->v.p + i, "%s: sub-identifier with a leading 0x80", what);
    return true;
}

static bool take_oid(struct walk *w, struct span *s, const char *what, struct elem *e)
{
    return take(w, s, TAG_OID, what, e) && check_oid(w, e, what);
}

/* Two's complement in the fewest octets (X.690 §8.3.2); with `positive`,
 * greater than zero; at most max_octets content octets. */
static bool check_integer(struct walk *w, const struct elem *e, const char *what,
                          bool positive, size_t max_octets)
{
    const uint8_t *v = e->v.p;
    size_t n = content_len(e);
    if (n == 0)
        return fail(w, e->start, "%s: INTEGER without octets", what);
    if (n > 1 && ((v[0] == 0x00 && !(v[1] & 0x80)) || (v[0] == 0xFF && (v[1] & 0x80))))
        return fail(w, e->start, "%s: INTEGER not in its shortest form", what);
    if (n > max_octets)
        return fail(w, e->start, "%s: %zu octets, more than %zu", what, n, max_octets);
    if (positive && ((v[0] & 0x80) || (n == 1 && v[0] == 0)))
        return fail(w, e->start, "%s: not a positive INTEGER", what);
    return true;
}

static bool take_integer(struct walk *w, struct span *s, const char *what, bool positive,
                         size_t max_octets, struct elem *e)
{
    return take(w, s, TAG_INTEGER, what, e) && check_integer(w, e, what, positive, max_octets);
}

/* DER's TRUE is 0xFF; FALSE, the default wherever a BOOLEAN is optional
 * here, must be left out (X.690 §11.1, §11.5). */
static bool take_true(struct walk *w, struct span *s, const char *what)
{
    struct elem e;
    if (!take(w, s, TAG_BOOLEAN, what, &e))
        return false;
    if (content_len(&e) != 1 || e.v.p[0] != 0xFF)
        return fail(w, e.start, "%s: a BOOLEAN other than DER's TRUE (FALSE is the default "
                    "and must be absent)", what);
    return true;
}

static bool take_null(struct walk *w, struct span *s, const char *what)
{
    struct elem e;
    if (!take(w, s, TAG_NULL, what, &e))
        return false;
    if (content_len(&e) != 0)
        return fail(w, e.start, "%s: NULL with contents", what);
    return true;
}

/* The structure of UTF-8: a lead octet and its continuation octets. */
static bool utf8_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t more = c < 0x80                ? 0
                      : c >= 0xC2 && c <= 0xDF ? 1
                      : (c & 0xF0) == 0xE0     ? 2
                      : c >= 0xF0 && c <= 0xF4 ? 3
                                               : 9;
        if (more == 9 || (more && more >= n - i))
            return false;
        for (size_t k = 1; k <= more; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += more + 1;
    }
    return true;
}

static bool printable_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr(" '()+,-./:=?", c));
}

static bool printable_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!printable_char(p[i]))
            return false;
    return true;
}

static bool ia5_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return false;
    return true;
}

/* A directory string: UTF8String, PrintableString or IA5String, not empty,
 * with only the characters its type allows. */
static bool check_string(struct walk *w, const struct elem *e, const char *what)
{
    const uint8_t *p = e->v.p;
    size_t n = content_len(e);
    bool ok;
    switch (e->tag) {
    case TAG_UTF8_STRING: ok = utf8_ok(p, n); break;
    case TAG_PRINTABLE_STRING: ok = printable_ok(p, n); break;
    case TAG_IA5_STRING: ok = ia5_ok(p, n); break;
    default:
        return fail(w, e->start, "%s: tag 0x%02x is not a string type jigd writes", what,
                    e->tag);
    }
    if (!ok)
        return fail(w, e->start, "%s: characters its string type does not allow", what);
    if (n == 0)
        return fail(w, e->start, "%s: empty string", what);
    return true;
}

/* ---- AlgorithmIdentifier -------------------------------------------------- */

/* The signature algorithm: ecdsa-with-SHA256 with its parameters absent
 * (RFC 5758 §3.2), or sha256WithRSAEncryption with a NULL (RFC 4055 §5). */
static bool take_sig_alg(struct walk *w, struct span *s, const char *what,
                         enum x509_strict_sig *sig, struct elem *alg)
{
    struct elem oid;
    if (!take(w, s, TAG_SEQUENCE, what, alg) || !take_oid(w, &alg->v, what, &oid))
        return false;
    if (IS_OID(&oid, OID_ECDSA_SHA256)) {
        *sig = X509_STRICT_SIG_ECDSA_SHA256;
        if (peek(&alg->v) >= 0)
            return fail(w, alg->v.p, "%s: ecdsa-with-SHA256 with parameters (RFC 5758 §3.2: "
                        "the encoding must omit them)", what);
        return true;
    }
    if (IS_OID(&oid, OID_RSA_SHA256)) {
        *sig = X509_STRICT_SIG_RSA_SHA256;
        return take_null(w, &alg->v, what) && finish(w, &alg->v, what);
    }
    return fail(w, oid.start, "%s: neither ecdsa-with-SHA256 nor sha256WithRSAEncryption",
                what);
}

/* ---- TBSCertificate fields ------------------------------------------------ */

static bool take_version(struct walk *w, struct span *tbs)
{
    struct elem ver, num;
    if (!take(w, tbs, TAG_VERSION, "version [0]", &ver) ||
        !take_integer(w, &ver.v, "version", false, 1, &num) || !finish(w, &ver.v, "version"))
        return false;
    if (num.v.p[0] != 2)
        return fail(w, num.start, "version %u, not 2 (v3)", num.v.p[0]);
    return true;
}

/* X.690 §11.6: the elements of a SET OF in ascending order of their
 * encodings. */
static bool set_order_ok(const struct elem *a, const struct elem *b)
{
    size_t na = elem_size(a), nb = elem_size(b);
    int c = memcmp(a->start, b->start, na < nb ? na : nb);
    return c < 0 || (c == 0 && na <= nb);
}

/* AttributeTypeAndValue ::= SEQUENCE { type OID, value string } */
static bool take_attribute(struct walk *w, struct span *rdn, const char *what)
{
    struct elem atv, type, value;
    return take(w, rdn, TAG_SEQUENCE, what, &atv) && take_oid(w, &atv.v, what, &type) &&
           take_any(w, &atv.v, what, &value) && check_string(w, &value, what) &&
           finish(w, &atv.v, what);
}

/* Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF, non-empty). */
static bool take_name(struct walk *w, struct span *tbs, const char *what)
{
    struct elem name;
    if (!take(w, tbs, TAG_SEQUENCE, what, &name))
        return false;
    if (peek(&name.v) < 0)
        return fail(w, name.start, "%s: an empty name", what);
    while (peek(&name.v) >= 0) {
        struct elem rdn;
        if (!take(w, &name.v, TAG_SET, what, &rdn))
            return false;
        if (peek(&rdn.v) < 0)
            return fail(w, rdn.start, "%s: an empty RelativeDistinguishedName", what);
        struct elem prev = {0};
        while (peek(&rdn.v) >= 0) {
            struct elem cur = {.start = rdn.v.p};
            if (!take_attribute(w, &rdn.v, what))
                return false;
            cur.v.end = rdn.v.p;
            if (prev.start && !set_order_ok(&prev, &cur))
                return fail(w, cur.start, "%s: SET OF out of DER order", what);
            prev = cur;
        }
    }
    return true;
}

static bool digits(const uint8_t *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

static unsigned days_in_month(unsigned year, unsigned month)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* RFC 5280 §4.1.2.5: UTCTime YYMMDDHHMMSSZ for 1950..2049, GeneralizedTime
 * YYYYMMDDHHMMSSZ from 2050; seconds present, Zulu, no fractions. The time
 * comes back as the number YYYYMMDDHHMMSS, which orders like the time. */
static bool take_time(struct walk *w, struct span *s, const char *what,
                      unsigned long long *stamp)
{
    struct elem t;
    if (!take_any(w, s, what, &t))
        return false;
    size_t year_digits = t.tag == TAG_UTC_TIME ? 2 : t.tag == TAG_GENERALIZED_TIME ? 4 : 0;
    if (!year_digits)
        return fail(w, t.start, "%s: neither UTCTime nor GeneralizedTime", what);
    const uint8_t *p = t.v.p;
    unsigned year, mon, day, hour, min, sec;
    if (content_len(&t) != year_digits + 11 || p[year_digits + 10] != 'Z' ||
        !digits(p, year_digits, &year) || !digits(p + year_digits, 2, &mon) ||
        !digits(p + year_digits + 2, 2, &day) || !digits(p + year_digits + 4, 2, &hour) ||
        !digits(p + year_digits + 6, 2, &min) || !digits(p + year_digits + 8, 2, &sec))
        return fail(w, t.start, "%s: not of the form %s", what,
                    year_digits == 2 ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ");
    if (year_digits == 2)
        year += year < 50 ? 2000 : 1900;
    else if (year < 2050)
        return fail(w, t.start, "%s: GeneralizedTime for %u (UTCTime until 2049)", what, year);
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hour > 23 ||
        min > 59 || sec > 59)
        return fail(w, t.start, "%s: no such date or time", what);
    *stamp = ((((year * 100ULL + mon) * 100 + day) * 100 + hour) * 100 + min) * 100 + sec;
    return true;
}

static bool take_validity(struct walk *w, struct span *tbs)
{
    struct elem v;
    unsigned long long from, until;
    if (!take(w, tbs, TAG_SEQUENCE, "validity", &v) ||
        !take_time(w, &v.v, "notBefore", &from) || !take_time(w, &v.v, "notAfter", &until) ||
        !finish(w, &v.v, "validity"))
        return false;
    if (from >= until)
        return fail(w, v.start, "validity: notBefore %llu is not before notAfter %llu", from,
                    until);
    return true;
}

/* ---- SubjectPublicKeyInfo ------------------------------------------------- */

/* The BIT STRING of a key or signature: no unused bits, then its octets. */
static bool take_octet_bits(struct walk *w, struct span *s, const char *what, struct span *bits)
{
    struct elem e;
    if (!take(w, s, TAG_BIT_STRING, what, &e))
        return false;
    if (content_len(&e) < 2 || e.v.p[0] != 0)
        return fail(w, e.start, "%s: a BIT STRING that is not whole octets", what);
    bits->p = e.v.p + 1;
    bits->end = e.v.end;
    return true;
}

static bool check_ec_key(struct walk *w, struct span *alg, struct span *spki)
{
    struct elem curve;
    struct span point;
    if (!take_oid(w, alg, "EC key parameters", &curve))
        return false;
    if (!IS_OID(&curve, OID_PRIME256V1))
        return fail(w, curve.start, "EC key: namedCurve is not prime256v1");
    if (!finish(w, alg, "the EC key's AlgorithmIdentifier") ||
        !take_octet_bits(w, spki, "EC public key", &point))
        return false;
    if (point.end - point.p != 65 || point.p[0] != 0x04)
        return fail(w, point.p, "EC public key: not an uncompressed P-256 point");
    return true;
}

static unsigned bit_length(const struct elem *n)
{
    const uint8_t *p = n->v.p;
    size_t len = content_len(n);
    if (len > 1 && p[0] == 0)
        p++, len--;
    unsigned bits = (unsigned)(len - 1) * 8;
    for (uint8_t top = p[0]; top; top >>= 1)
        bits++;
    return bits;
}

static bool check_rsa_key(struct walk *w, struct span *alg, struct span *spki,
                          struct x509_strict_info *info)
{
    struct span bits;
    struct elem key, n, e;
    if (!take_null(w, alg, "rsaEncryption parameters") ||
        !finish(w, alg, "the RSA key's AlgorithmIdentifier") ||
        !take_octet_bits(w, spki, "RSA public key", &bits) ||
        !take(w, &bits, TAG_SEQUENCE, "RSAPublicKey", &key) ||
        !finish(w, &bits, "the RSA public key's BIT STRING") ||
        !take_integer(w, &key.v, "RSA modulus", true, 1025, &n) ||
        !take_integer(w, &key.v, "RSA public exponent", true, 8, &e) ||
        !finish(w, &key.v, "RSAPublicKey"))
        return false;
    info->rsa_bits = bit_length(&n);
    return true;
}

static bool take_spki(struct walk *w, struct span *tbs, struct x509_strict_info *info)
{
    struct elem spki, alg, oid;
    if (!take(w, tbs, TAG_SEQUENCE, "subjectPublicKeyInfo", &spki) ||
        !take(w, &spki.v, TAG_SEQUENCE, "the key's AlgorithmIdentifier", &alg) ||
        !take_oid(w, &alg.v, "the key's algorithm", &oid))
        return false;
    bool ok;
    if (IS_OID(&oid, OID_EC_PUBLIC_KEY)) {
        info->key = X509_STRICT_KEY_EC_P256;
        ok = check_ec_key(w, &alg.v, &spki.v);
    } else if (IS_OID(&oid, OID_RSA_ENCRYPTION)) {
        info->key = X509_STRICT_KEY_RSA;
        ok = check_rsa_key(w, &alg.v, &spki.v, info);
    } else {
        return fail(w, oid.start, "the key is neither id-ecPublicKey nor rsaEncryption");
    }
    return ok && finish(w, &spki.v, "subjectPublicKeyInfo");
}

/* ---- extensions ----------------------------------------------------------- */

/* BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
 *                                 pathLenConstraint INTEGER (0..MAX) OPTIONAL } */
static bool check_basic_constraints(struct walk *w, struct span *value)
{
    struct elem bc, len;
    if (!take(w, value, TAG_SEQUENCE, "basicConstraints", &bc))
        return false;
    bool ca = peek(&bc.v) == TAG_BOOLEAN;
    if (ca && !take_true(w, &bc.v, "basicConstraints cA"))
        return false;
    if (peek(&bc.v) == TAG_INTEGER) {
        if (!ca)
            return fail(w, bc.v.p, "basicConstraints: pathLenConstraint without cA");
        if (!take_integer(w, &bc.v, "pathLenConstraint", false, 4, &len))
            return false;
        if (len.v.p[0] & 0x80)
            return fail(w, len.start, "pathLenConstraint: negative");
    }
    return finish(w, &bc.v, "basicConstraints");
}

/* A named bit list in DER has no trailing zero bits (X.690 §11.2.2), so its
 * last octet's lowest used bit is 1 and the unused bits are 0. */
static bool check_key_usage(struct walk *w, struct span *value)
{
    struct elem ku;
    if (!take(w, value, TAG_BIT_STRING, "keyUsage", &ku))
        return false;
    size_t n = content_len(&ku);
    if (n < 2)
        return fail(w, ku.start, "keyUsage: no usage named");
    unsigned unused = ku.v.p[0];
    uint8_t last = ku.v.p[n - 1];
    if (unused > 7 || (last & ((1u << unused) - 1)) || !((last >> unused) & 1))
        return fail(w, ku.start, "keyUsage: a named bit list with trailing zero bits or "
                    "a wrong unused-bits count");
    return true;
}

static bool check_ext_key_usage(struct walk *w, struct span *value)
{
    struct elem eku, oid;
    if (!take(w, value, TAG_SEQUENCE, "extendedKeyUsage", &eku))
        return false;
    if (peek(&eku.v) < 0)
        return fail(w, eku.start, "extendedKeyUsage: empty");
    while (peek(&eku.v) >= 0)
        if (!take_oid(w, &eku.v, "KeyPurposeId", &oid))
            return false;
    return true;
}

/* GeneralNames: at least one; the string forms (rfc822Name [1], dNSName [2],
 * uniformResourceIdentifier [6]) are non-empty IA5. */
static bool check_subject_alt_name(struct walk *w, struct span *value)
{
    struct elem names, gn;
    if (!take(w, value, TAG_SEQUENCE, "subjectAltName", &names))
        return false;
    if (peek(&names.v) < 0)
        return fail(w, names.start, "subjectAltName: empty");
    while (peek(&names.v) >= 0) {
        if (!take_any(w, &names.v, "GeneralName", &gn))
            return false;
        if ((gn.tag & 0xC0) != 0x80 || (gn.tag & 0x1F) > 8)
            return fail(w, gn.start, "GeneralName: tag 0x%02x is not one of [0]..[8]", gn.tag);
        bool text = gn.tag == 0x81 || gn.tag == 0x82 || gn.tag == 0x86;
        if (text && (content_len(&gn) == 0 || !ia5_ok(gn.v.p, content_len(&gn))))
            return fail(w, gn.start, "GeneralName: an empty or non-IA5 name");
    }
    return true;
}

static bool check_subject_key_id(struct walk *w, struct span *value)
{
    struct elem id;
    if (!take(w, value, TAG_OCTET_STRING, "subjectKeyIdentifier", &id))
        return false;
    if (content_len(&id) == 0)
        return fail(w, id.start, "subjectKeyIdentifier: empty");
    return true;
}

/* AuthorityKeyIdentifier: a keyIdentifier [0], then optionally both
 * authorityCertIssuer [1] and authorityCertSerialNumber [2]. */
static bool check_authority_key_id(struct walk *w, struct span *value)
{
    struct elem aki, id, issuer, serial;
    if (!take(w, value, TAG_SEQUENCE, "authorityKeyIdentifier", &aki) ||
        !take(w, &aki.v, TAG_KEY_ID, "keyIdentifier", &id))
        return false;
    if (content_len(&id) == 0)
        return fail(w, id.start, "keyIdentifier: empty");
    if (peek(&aki.v) >= 0) {
        if (!take(w, &aki.v, TAG_AKI_ISSUER, "authorityCertIssuer", &issuer) ||
            !take(w, &aki.v, TAG_AKI_SERIAL, "authorityCertSerialNumber", &serial) ||
            !check_integer(w, &serial, "authorityCertSerialNumber", true, SERIAL_MAX_OCTETS))
            return false;
    }
    return finish(w, &aki.v, "authorityKeyIdentifier");
}

/* extnValue is an OCTET STRING holding exactly one DER element; the
 * extensions jigd writes are checked for their own shape as well. */
static bool check_ext_value(struct walk *w, const struct elem *oid, struct span value)
{
    struct span whole = value;
    struct elem one;
    if (!take_any(w, &whole, "extnValue", &one) || !finish(w, &whole, "extnValue"))
        return false;
    if (IS_OID(oid, OID_BASIC_CONSTRAINTS))
        return check_basic_constraints(w, &value);
    if (IS_OID(oid, OID_KEY_USAGE))
        return check_key_usage(w, &value);
    if (IS_OID(oid, OID_EXT_KEY_USAGE))
        return check_ext_key_usage(w, &value);
    if (IS_OID(oid, OID_SUBJECT_ALT_NAME))
        return check_subject_alt_name(w, &value);
    if (IS_OID(oid, OID_SUBJECT_KEY_ID))
        return check_subject_key_id(w, &value);
    if (IS_OID(oid, OID_AUTHORITY_KEY_ID))
        return check_authority_key_id(w, &value);
    return true;
}

/* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 *                          extnValue OCTET STRING } */
static bool take_extension(struct walk *w, struct span *list, struct elem *oid)
{
    struct elem ext, value;
    if (!take(w, list, TAG_SEQUENCE, "Extension", &ext) ||
        !take_oid(w, &ext.v, "extnID", oid))
        return false;
    if (peek(&ext.v) == TAG_BOOLEAN && !take_true(w, &ext.v, "critical"))
        return false;
    return take(w, &ext.v, TAG_OCTET_STRING, "extnValue", &value) &&
           finish(w, &ext.v, "Extension") && check_ext_value(w, oid, value.v);
}

static bool take_extensions(struct walk *w, struct span *tbs, struct x509_strict_info *info)
{
    struct elem wrap, list, seen[MAX_EXTENSIONS];
    if (!take(w, tbs, TAG_EXTENSIONS, "extensions [3]", &wrap) ||
        !take(w, &wrap.v, TAG_SEQUENCE, "Extensions", &list) ||
        !finish(w, &wrap.v, "extensions [3]"))
        return false;
    if (peek(&list.v) < 0)
        return fail(w, list.start, "Extensions: empty (it must hold at least one)");
    unsigned n = 0;
    while (peek(&list.v) >= 0) {
        if (n == MAX_EXTENSIONS)
            return fail(w, list.v.p, "more than %d extensions", MAX_EXTENSIONS);
        if (!take_extension(w, &list.v, &seen[n]))
            return false;
        for (unsigned i = 0; i < n; i++)
            if (content_len(&seen[i]) == content_len(&seen[n]) &&
                !memcmp(seen[i].v.p, seen[n].v.p, content_len(&seen[n])))
                return fail(w, seen[n].start, "an extension OID appears twice "
                            "(RFC 5280 §4.2)");
        n++;
    }
    info->extensions = n;
    return true;
}

/* ---- the certificate ------------------------------------------------------ */

static bool take_tbs(struct walk *w, struct span *cert, struct x509_strict_info *info,
                     struct elem *inner_alg)
{
    struct elem tbs, serial;
    enum x509_strict_sig sig;
    if (!take(w, cert, TAG_SEQUENCE, "tbsCertificate", &tbs))
        return false;
    info->tbs = tbs.start;
    info->tbs_len = elem_size(&tbs);
    if (!take_version(w, &tbs.v) ||
        !take_integer(w, &tbs.v, "serialNumber", true, SERIAL_MAX_OCTETS, &serial) ||
        !take_sig_alg(w, &tbs.v, "tbsCertificate signature", &sig, inner_alg) ||
        !take_name(w, &tbs.v, "issuer") || !take_validity(w, &tbs.v) ||
        !take_name(w, &tbs.v, "subject") || !take_spki(w, &tbs.v, info))
        return false;
    int next = peek(&tbs.v);
    if (next == 0x81 || next == 0x82 || next == 0xA1 || next == 0xA2)
        return fail(w, tbs.v.p, "a unique identifier (RFC 5280 §4.1.2.8: CAs must not "
                    "generate them)");
    return take_extensions(w, &tbs.v, info) && finish(w, &tbs.v, "tbsCertificate");
}

/* Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } */
static bool check_ecdsa_value(struct walk *w, struct span sig)
{
    struct elem seq, r, s;
    return take(w, &sig, TAG_SEQUENCE, "Ecdsa-Sig-Value", &seq) &&
           finish(w, &sig, "the signature BIT STRING") &&
           take_integer(w, &seq.v, "ECDSA r", true, EC_SIG_INT_MAX_OCTETS, &r) &&
           take_integer(w, &seq.v, "ECDSA s", true, EC_SIG_INT_MAX_OCTETS, &s) &&
           finish(w, &seq.v, "Ecdsa-Sig-Value");
}

static bool take_certificate(struct walk *w, struct span *all, struct x509_strict_info *info)
{
    struct elem cert, inner, outer;
    struct span sig;
    if (!take(w, all, TAG_SEQUENCE, "Certificate", &cert) ||
        !finish(w, all, "the input (bytes after the certificate)") ||
        !take_tbs(w, &cert.v, info, &inner) ||
        !take_sig_alg(w, &cert.v, "signatureAlgorithm", &info->sig, &outer))
        return false;
    if (elem_size(&inner) != elem_size(&outer) ||
        memcmp(inner.start, outer.start, elem_size(&outer)))
        return fail(w, outer.start, "signatureAlgorithm differs from the tbsCertificate's "
                    "signature field (RFC 5280 §4.1.1.2: they must be the same)");
    if (!take_octet_bits(w, &cert.v, "signatureValue", &sig) ||
        !finish(w, &cert.v, "Certificate"))
        return false;
    info->sig_value = sig.p;
    info->sig_len = (size_t)(sig.end - sig.p);
    return info->sig != X509_STRICT_SIG_ECDSA_SHA256 || check_ecdsa_value(w, sig);
}

int x509_strict_check(const uint8_t *der, size_t len, struct x509_strict_info *info,
                      char *why, size_t whylen)
{
    struct walk w = {der, why, whylen};
    struct span all = {der, der + len};
    memset(info, 0, sizeof *info);
    if (whylen)
        why[0] = '\0';
    return take_certificate(&w, &all, info) ? 0 : -1;
}
