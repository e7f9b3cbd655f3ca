/* The identify LED: FLASH_JOB_BLINK makes the ROM loader toggle a chip GPIO
 * through register writes (output-enable once, then set and clear), with
 * a pause between them, until blink_ms have passed and the LED is dark. */
#include "flash_job_internal.h"

#define BLINK_HALF_PERIOD_US 250000u

static int blink_write(struct flash_job *j, uint64_t now, uint32_t reg)
{
    if (loader_start_write_reg(&j->loader, now, reg, 1u << j->cfg.led_gpio, 0xFFFFFFFFu) < 0) {
        job_fail_loader(j);
        j->error.phase = PHASE_REGISTER;
        return -1;
    }
    return 0;
}

/* Output-enables the LED pin; blink_tick then toggles it until the end. */
int job_blink_start(struct flash_job *j, uint64_t now)
{
    const struct chip_desc *chip = loader_info(&j->loader)->chip;
    if (j->cfg.led_gpio < 0 || j->cfg.led_gpio > 31 || !chip || !chip->gpio_enable_w1ts) {
        job_fail(j, LOADER_ERR_BAD_ARGUMENT, "cannot blink GPIO %d on %s: only GPIO 0..31 of "
                 "a known chip; set led_gpio in jigd.conf", j->cfg.led_gpio,
                 chip ? chip->name : "this chip");
        return -1;
    }
    j->blink_end_us = now + (uint64_t)j->cfg.blink_ms * 1000;
    j->led_on = false;
    return blink_write(j, now, chip->gpio_enable_w1ts);
}

void job_blink_tick(struct flash_job *j, uint64_t now)
{
    const struct chip_desc *chip = loader_info(&j->loader)->chip;
    bool on = !j->led_on && now < j->blink_end_us;
    if (blink_write(j, now, on ? chip->gpio_out_w1ts : chip->gpio_out_w1tc) == 0)
        j->led_on = on;
}

/* A register write of the blink finished: the next one after a pause, or
 * the end once the time is up and the LED is dark. */
bool job_blink_written(struct flash_job *j, uint64_t now)
{
    if (!j->led_on && now >= j->blink_end_us)
        return true;
    j->step_wake_us = now + BLINK_HALF_PERIOD_US;
    return false;
}
