/* A board's EN and IO0 wired straight to two host GPIO lines (reset = gpio,
 * the Raspberry Pi jig), driven through the kernel's GPIO character device
 * with libgpiod. The lines are requested as outputs for as long as the
 * handle lives, so nothing else on the host can grab them mid-reset, and
 * start released (high): a board in the jig is not reset by jigd starting.
 *
 * Every call is a non-blocking ioctl, fine on the loop thread. */
#ifndef JIGD_RESET_GPIO_H
#define JIGD_RESET_GPIO_H

#include <stdbool.h>
#include <stddef.h>

struct reset_gpio;

/* chip: /dev/gpiochipN; en, io0: line offsets on it; consumer: the label
 * gpioinfo shows for the lines ("jigd slot 3"). NULL with the reason (and
 * what to do) in err. */
struct reset_gpio *reset_gpio_open(const char *chip, unsigned en, unsigned io0,
                                   const char *consumer, char *err, size_t errlen);

/* Holds EN / IO0 low (true) or releases them (false). When both change, IO0
 * moves first so the strap is in place before EN can rise. 0, or -1 with
 * the reason in err. */
int reset_gpio_drive(struct reset_gpio *g, bool en_low, bool io0_low, char *err,
                     size_t errlen);

/* Releases both lines (high) and hands them back to the kernel. NULL is fine. */
void reset_gpio_close(struct reset_gpio *g);

#endif
