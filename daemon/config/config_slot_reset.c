/* A slot's reset = option in one place: its values (the loader's own type
 * and names, loader.h), and what each needs from the rest of the slot
 * (reset = gpio its chip and two distinct lines, which mean nothing to the
 * other resets). */
#include "config_parser.h"

#include <strings.h>

int conf_slot_reset(struct parser *p, const char *v)
{
    for (int r = 0; loader_reset_name((enum loader_reset)r); r++) {
        if (!strcasecmp(v, loader_reset_name((enum loader_reset)r))) {
            p->slot->reset = (enum loader_reset)r;
            return 0;
        }
    }
    return fail(p, "reset = '%s' is not one of classic, usb-jtag, gpio, none", v);
}

/* A gpio reset needs its chip and both lines; the lines mean nothing with
 * another reset, so setting them there is a mistake worth stopping for. */
int conf_check_slot_reset(struct parser *p)
{
    const struct slot_config *s = p->slot;
    static const int gpio_keys[] = {SLOT_KEY_GPIO_CHIP, SLOT_KEY_GPIO_EN,
                                    SLOT_KEY_GPIO_IO0};
    for (size_t i = 0; i < 3; i++) {
        int k = gpio_keys[i];
        if (s->reset == LOADER_RESET_GPIO && !p->key_line[k])
            return conf_fail_at(p, s->line, "[slot %d] has reset = gpio but no %s; "
                                "add gpio_chip, gpio_en and gpio_io0", s->index,
                                config_slot_keys[k].key);
        if (s->reset != LOADER_RESET_GPIO && p->key_line[k])
            return conf_fail_at(p, p->key_line[k], "%s in [slot %d] is only used "
                                "with reset = gpio (this slot has reset = %s)",
                                config_slot_keys[k].key, s->index, loader_reset_name(s->reset));
    }
    if (s->reset == LOADER_RESET_GPIO && s->gpio_en == s->gpio_io0)
        return conf_fail_at(p, p->key_line[SLOT_KEY_GPIO_IO0], "gpio_en and gpio_io0 "
                            "in [slot %d] are the same line %d; EN and IO0 need "
                            "separate lines", s->index, s->gpio_en);
    return 0;
}
