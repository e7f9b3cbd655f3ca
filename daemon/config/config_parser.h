/* What the jigd.conf parser's files share. config.c reads the file line by
 * line and hands each key to its section's table; a value is checked where
 * it appears, a section when it ends, the whole file last.
 *
 *   config.c             the file: lines, sections, defaults, whole-file checks
 *   config_values.c      messages, and the value syntaxes several keys share
 *   config_station.c     [station]
 *   config_identity.c    [identity]
 *   config_unit.c        [unit]
 *   config_label.c       [label], and its check once the file is read
 *   config_slot.c        [slot N], and the checks of a finished slot
 *   config_slot_reset.c  a slot's reset = option: its values and what each
 *                        needs, in one place
 *   config_webhook.c     [webhook NAME]
 *   config_token.c       the secret files (API token, webhook secrets) */
#ifndef JIGD_CONFIG_PARSER_H
#define JIGD_CONFIG_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define INHERIT_BAUD 0u
#define INHERIT_GPIO (-2)
#define MAX_SECTION_KEYS 16

enum section { SECTION_NONE, SECTION_STATION, SECTION_SLOT, SECTION_IDENTITY, SECTION_UNIT,
               SECTION_WEBHOOK, SECTION_LABEL };

struct parser {
    struct jigd_config *cfg;
    const char *name;               /* file name for messages */
    char dir[CONFIG_PATH_MAX];      /* anchors relative paths; "" = cwd */
    int line;
    enum section section;
    struct slot_config *slot;       /* current [slot N] */
    struct webhook_config *webhook; /* current [webhook NAME] */
    int station_line;               /* line of [station], 0 = not seen */
    int trust_local_line;           /* of api_trust_local = yes, 0 = not set */
    int identity_line, unit_line;   /* of [identity] and [unit] */
    int key_line[MAX_SECTION_KEYS]; /* per key of the current section */
    char *err;
    size_t errlen;
};

struct key_handler {
    const char *key;
    int (*set)(struct parser *p, const char *value);
};

/* ---- config_values.c ---------------------------------------------------- */

/* "name:line: " and the message into the caller's err; returns -1. */
int conf_fail_at(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define fail(p, ...) conf_fail_at((p), (p)->line, __VA_ARGS__)
/* A warning at the current line, kept in the configuration. */
void conf_warn(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int conf_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
int conf_parse_bool(const char *s, bool *out);
int conf_parse_host_port(const char *s, char *host, size_t hostcap, uint16_t *port);
int conf_copy_value(struct parser *p, char *dst, size_t cap, const char *v, const char *key);
int conf_set_path(struct parser *p, char *dst, const char *v, const char *key);
int conf_need_value(struct parser *p, const char *v, const char *key, const char *example);
int conf_parse_baud(struct parser *p, const char *v, uint32_t *out);
int conf_parse_led_gpio(struct parser *p, const char *v, int *out);

/* ---- the sections' keys -------------------------------------------------- */

extern const struct key_handler config_station_keys[];
extern const struct key_handler config_identity_keys[];
extern const struct key_handler config_unit_keys[];
extern const struct key_handler config_label_keys[];
extern const struct key_handler config_slot_keys[];
extern const struct key_handler config_webhook_keys[];

/* config_webhook.c: "[webhook NAME]" opened (name is the NAME text), or ended. */
int conf_open_webhook(struct parser *p, const char *name);
int conf_finish_webhook(struct parser *p);

/* Indexes into config_slot_keys (and so into parser.key_line) of the keys
 * the reset option checks. */
enum { SLOT_KEY_PORT, SLOT_KEY_TRIGGER, SLOT_KEY_RESET, SLOT_KEY_GPIO_CHIP,
       SLOT_KEY_GPIO_EN, SLOT_KEY_GPIO_IO0 };

/* config_label.c: a [label] with a printer or a folder, not both. */
int conf_check_label(struct parser *p);

/* config_slot.c: "[slot N]" opened (num is the N text), or ended. */
int conf_open_slot(struct parser *p, const char *num);
int conf_finish_slot(struct parser *p);

/* config_slot_reset.c: the reset = value, and whether the finished slot
 * has what its reset needs (and nothing only another reset uses). */
int conf_slot_reset(struct parser *p, const char *v);
int conf_check_slot_reset(struct parser *p);

#endif
