/* The job on the loop: what the port brings is fed to the loader, what the
 * loader asks for is done on the port (or the GPIO reset lines), and the
 * one timer wakes the loader at its deadline or a waiting step at its
 * time. */
#include "flash_job_internal.h"

#include "reset_gpio.h"

static void on_timer(uv_timer_t *t);

/* reset = gpio: the loader's rts is EN held low, its dtr IO0 held low. */
static void set_gpio_lines(struct flash_job *j, bool en_low, bool io0_low)
{
    char err[200];
    if (reset_gpio_drive(j->cfg.reset_lines, en_low, io0_low, err, sizeof err) < 0)
        job_fail(j, LOADER_ERR_PORT, "%s", err);
}

static void act(struct flash_job *j, const struct loader_event *ev)
{
    struct port *p = j->port;
    int r = 0;
    switch (ev->kind) {
    case LOADER_EV_SEND:
        r = port_write(p, ev->send.data, ev->send.len);
        if (j->fed_at_us) {
            j->turnaround_us += job_now_us() - j->fed_at_us;
            j->turnarounds++;
            j->fed_at_us = 0;
        }
        break;
    case LOADER_EV_SET_LINES:
        if (j->cfg.reset == LOADER_RESET_GPIO) {
            set_gpio_lines(j, ev->lines.rts, ev->lines.dtr);
            return;
        }
        r = port_set_lines(p, ev->lines.dtr, ev->lines.rts);
        break;
    case LOADER_EV_SET_BAUD:
        r = port_set_baud(p, ev->baud);
        break;
    case LOADER_EV_FLUSH_INPUT:
        r = port_flush_input(p);
        break;
    case LOADER_EV_PROGRESS:
        if (j->cb->on_progress)
            j->cb->on_progress(j, job_current(j), ev->progress.done, ev->progress.total);
        break;
    case LOADER_EV_DONE:
        if (ev->done.ok)
            job_step_done(j);
        else
            job_fail_loader(j);
        break;
    }
    if (r < 0)
        job_fail(j, LOADER_ERR_PORT, "%s", p->error);
}

static void arm_timer(struct flash_job *j, uint64_t now)
{
    uint64_t deadline = loader_deadline(&j->loader);
    if (j->step_wake_us && j->step_wake_us < deadline)
        deadline = j->step_wake_us;
    if (deadline == LOADER_NO_DEADLINE) {
        uv_timer_stop(&j->timer);
        return;
    }
    /* Round up: waking a little late is harmless, waking early only costs
     * a second pass. */
    uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
    uv_timer_start(&j->timer, on_timer, ms, 0);
}

void job_drive(struct flash_job *j)
{
    if (j->driving)
        return;
    j->driving = true;
    uint64_t now = job_now_us();
    if (j->step_wake_us && now >= j->step_wake_us) {
        j->step_wake_us = 0;
        if (job_current(j)->kind == STEP_BLINK)
            job_blink_tick(j, now);
        else
            job_next_step(j);       /* the boot log's time is up */
    }
    struct loader_event ev;
    while (j->state == JOB_RUNNING && loader_next_event(&j->loader, now, &ev)) {
        act(j, &ev);
        if (ev.kind == LOADER_EV_DONE)
            now = job_now_us();     /* a new operation may have started */
    }
    if (j->state == JOB_RUNNING)
        arm_timer(j, now);
    j->driving = false;
}

static void on_timer(uv_timer_t *t)
{
    job_drive(t->data);
}

/* ---- port events ------------------------------------------------------- */

static void on_port_open(struct port *p, const char *error)
{
    struct flash_job *j = p->owner;
    if (error) {
        job_fail(j, LOADER_ERR_PORT, "cannot open the port: %s", error);
        return;
    }
    job_next_step(j);
    job_drive(j);
}

static void on_port_data(struct port *p, const uint8_t *data, size_t n)
{
    struct flash_job *j = p->owner;
    if (j->state != JOB_RUNNING)
        return;
    if (job_current(j)->kind == STEP_BOOT_LOG) {
        if (j->cb->on_boot_log)
            j->cb->on_boot_log(j, data, n);
        return;
    }
    j->fed_at_us = job_now_us();
    loader_feed(&j->loader, j->fed_at_us, data, n);
    job_drive(j);
    j->fed_at_us = 0;
}

static void on_port_error(struct port *p, const char *error)
{
    struct flash_job *j = p->owner;
    job_fail(j, LOADER_ERR_PORT, "the port failed during %s: %s",
             flash_job_step_name(job_current(j)->kind), error);
}

static void on_port_closed(struct port *p)
{
    struct flash_job *j = p->owner;
    j->port = NULL;
    job_one_closed(j);
}

const struct port_callbacks job_port_callbacks = {
    .on_open = on_port_open,
    .on_data = on_port_data,
    .on_error = on_port_error,
    .on_closed = on_port_closed,
};
