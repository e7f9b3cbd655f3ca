/* A MAC address as jigd writes it everywhere a person or a program reads
 * it (database, REST API, NVS {mac}, logs, jigflash): six lowercase hex
 * pairs separated by colons, "7c:df:a1:b2:c3:d4", as esptool prints it. */
#ifndef JIGD_MAC_TEXT_H
#define JIGD_MAC_TEXT_H

#include <stdint.h>

#define MAC_TEXT_SIZE 18    /* 17 characters and the NUL */

/* Writes mac's text into out; returns out, so a call can be a printf
 * argument. */
char *mac_text(const uint8_t mac[6], char out[MAC_TEXT_SIZE]);

#endif
