/* MAC text (see mac_text.h): hex_encode's digits in pairs, a colon between
 * them. */
#include "mac_text.h"

#include "hex.h"

char *mac_text(const uint8_t mac[6], char out[MAC_TEXT_SIZE])
{
    char digits[HEX_LEN(6)];
    hex_encode(mac, 6, digits);
    for (int i = 0; i < 6; i++) {
        out[3 * i] = digits[2 * i];
        out[3 * i + 1] = digits[2 * i + 1];
        out[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    return out;
}
