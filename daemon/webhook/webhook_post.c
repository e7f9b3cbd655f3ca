/* A webhook's HTTP POST (webhook_post.h) on libcurl, and its signature. */
#include "webhook_post.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <mbedtls/md.h>

#include "hex.h"

int webhook_sign(const char *secret, const char *body, char out[72])
{
    unsigned char mac[32];
    const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!sha256 || mbedtls_md_hmac(sha256, (const unsigned char *)secret, strlen(secret),
                                   (const unsigned char *)body, strlen(body), mac) != 0)
        return -1;
    memcpy(out, "sha256=", 7);
    hex_encode(mac, sizeof mac, out + 7);
    return 0;
}

/* The receiver's answer body is not kept: only its status counts. */
static size_t drop(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

static int keep_going(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load((const atomic_bool *)ctx) ? 1 : 0;
}

static struct curl_slist *headers(const struct webhook_post *p)
{
    char line[256];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "X-Jigd-Event: %s", p->event);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "Idempotency-Key: %s", p->key);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "X-Jigd-Delivery: %lld", p->delivery);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "X-Jigd-Signature: %s", p->signature);
    h = curl_slist_append(h, line);
    return curl_slist_append(h, "Expect:");     /* no 100-continue round trip */
}

void webhook_post_run(struct webhook_post *p)
{
    p->status = 0;
    CURL *c = curl_easy_init();
    struct curl_slist *h = c ? headers(p) : NULL;
    if (!c || !h) {
        snprintf(p->error, sizeof p->error, "out of memory");
        curl_slist_free_all(h);
        if (c)
            curl_easy_cleanup(c);
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, p->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "jigd-webhook");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)p->timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);      /* a thread: no SIGALRM */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, keep_going);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)p->stopping);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
        snprintf(p->error, sizeof p->error, "HTTP %ld", p->status);
    } else {
        snprintf(p->error, sizeof p->error, "%s", curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}
