/* Defaults of the identity settings (see identity_config.h). */
#include "identity_config.h"

#include <string.h>

void identity_config_defaults(struct identity_config *c)
{
    memset(c, 0, sizeof *c);
    c->ca_years = IDENTITY_DEFAULT_CA_YEARS;
    c->cert_years = IDENTITY_DEFAULT_CERT_YEARS;
    c->key_type = UNIT_KEY_EC_P256;
    c->pool_size = IDENTITY_DEFAULT_POOL_SIZE;
    c->pool_workers = IDENTITY_DEFAULT_POOL_WORKERS;
}
