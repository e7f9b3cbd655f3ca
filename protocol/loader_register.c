/* Single register access for the pipeline (identify LED, efuse checks):
 * READ_REG returns the word in the reply's value field; WRITE_REG takes one
 * (address, value, mask, delay) entry (rom-protocol.md §3.2). */
#include "loader_internal.h"

#include <stdio.h>

static void describe(const struct loader *l, char *buf, size_t cap, const char *op)
{
    snprintf(buf, cap, "%s 0x%08x", op, (unsigned)l->op_offset);
}

static void read_reg_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    char what[40];
    describe(l, what, sizeof what, "READ_REG");
    if (!loader_reply_ok(l, in, what))
        return;
    l->reg_value = in->resp->value;
    loader_finish(l, true);
}

static void read_reg_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = read_reg_advance;
    loader_read_reg(l, now, l->op_offset);
}

int loader_start_read_reg(struct loader *l, uint64_t now, uint32_t addr)
{
    if (loader_require_chip(l))
        return -1;
    l->op_offset = addr;
    return loader_begin_op(l, now, PHASE_REGISTER, read_reg_start);
}

static void write_reg_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    char what[40];
    describe(l, what, sizeof what, "WRITE_REG");
    if (loader_reply_ok(l, in, what))
        loader_finish(l, true);
}

static void write_reg_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    l->advance = write_reg_advance;
    loader_write_reg(l, now, l->op_offset, l->op_value, l->op_mask);
}

int loader_start_write_reg(struct loader *l, uint64_t now, uint32_t addr, uint32_t value,
                           uint32_t mask)
{
    if (loader_require_chip(l))
        return -1;
    l->op_offset = addr;
    l->op_value = value;
    l->op_mask = mask;
    return loader_begin_op(l, now, PHASE_REGISTER, write_reg_start);
}
