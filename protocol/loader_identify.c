/* Identify: MAC, revision, flash attach, JEDEC id and size, then tell the
 * loader the flash geometry (rom-protocol.md §6.5, §7, §8).
 *
 * The JEDEC id is read through the chip's SPI "user command" registers, one
 * READ_REG/WRITE_REG at a time exactly as esptool does (§8.1), so the
 * simulator checked against esptool sees nothing new. */
#include "loader_internal.h"

enum {
    ID_READ_WORDS,      /* MAC and revision registers, one READ_REG each */
    ID_ATTACH,          /* SPI_ATTACH (ESP32-family ROM) or FLASH_BEGIN(0) (ESP8266 ROM) */
    ID_SPI_SAVE_USR,
    ID_SPI_SAVE_USR2,
    ID_SPI_SET_LEN,
    ID_SPI_SET_USR,
    ID_SPI_SET_USR2,
    ID_SPI_CLEAR_W0,
    ID_SPI_START,
    ID_SPI_POLL,
    ID_SPI_READ_W0,
    ID_SPI_RESTORE_USR,
    ID_SPI_RESTORE_USR2,
    ID_SET_PARAMS,
};

#define SPI_CMD_USR (1u << 18)
#define SPI_USR_COMMAND (1u << 31)
#define SPI_USR_MISO (1u << 28)
#define SPI_FLASH_RDID 0x9F
#define RDID_BITS 24
#define SPI_POLL_LIMIT 10
#define SPI_SIZE_FALLBACK (4u << 20)    /* esptool's "detect" default */

static const struct chip_spi_regs *spi(const struct loader *l)
{
    return &l->info.chip->spi;
}

static void read_next_word(struct loader *l, uint64_t now)
{
    loader_read_reg(l, now, l->addrs[l->pos]);
}

static void send_attach(struct loader *l, uint64_t now)
{
    l->step = ID_ATTACH;
    const struct chip_desc *c = l->info.chip;
    if (l->stub_running || (!c->rom_needs_spi_attach && c->kind != CHIP_ESP8266)) {
        l->step = ID_SPI_SAVE_USR;
        loader_read_reg(l, now, spi(l)->base + spi(l)->usr);
        return;
    }
    if (c->kind == CHIP_ESP8266) {
        /* The ESP8266 ROM has no SPI_ATTACH; an empty FLASH_BEGIN attaches. */
        uint32_t w[4] = {0, 0, LOADER_ROM_BLOCK, 0};
        loader_command_words(l, now, ESP_FLASH_BEGIN, w, 4, 0, LOADER_DEFAULT_TIMEOUT);
        return;
    }
    /* config 0 = the pins the efuses (or the data sheet) name; the ROM form
     * carries a second, reserved word (§8.2). */
    uint32_t w[2] = {0, 0};
    loader_command_words(l, now, ESP_SPI_ATTACH, w, 2, 0, LOADER_DEFAULT_TIMEOUT);
}

static void finish_words(struct loader *l, uint64_t now)
{
    const struct chip_desc *c = l->info.chip;
    uint32_t mac_words[3] = {0};
    uint32_t rev_words[CHIP_MAX_REV_REGS] = {0};
    unsigned i = 0;
    for (unsigned k = 0; k < 3 && c->mac_regs[k]; k++)
        mac_words[k] = l->words[i++];
    for (unsigned k = 0; k < CHIP_MAX_REV_REGS && c->rev_regs[k]; k++)
        rev_words[k] = l->words[i++];
    if (!chip_mac_from_words(c, mac_words, l->info.mac)) {
        loader_fail(l, LOADER_ERR_PROTOCOL,
                    "%s reports a MAC address with an unknown vendor prefix: the efuses "
                    "may be damaged; set this board aside", c->name);
        return;
    }
    l->info.revision = chip_revision_from_words(c, rev_words);
    send_attach(l, now);
}

static void spi_write(struct loader *l, uint64_t now, int step, uint32_t offset,
                      uint32_t value)
{
    l->step = step;
    loader_write_reg(l, now, spi(l)->base + offset, value, 0xFFFFFFFFu);
}

static void spi_set_len(struct loader *l, uint64_t now)
{
    if (spi(l)->miso_dlen) {
        spi_write(l, now, ID_SPI_SET_LEN, spi(l)->miso_dlen, RDID_BITS - 1);
    } else {
        /* ESP8266: bit lengths live in USR1 (§8.1). */
        spi_write(l, now, ID_SPI_SET_LEN, spi(l)->usr1, (uint32_t)(RDID_BITS - 1) << 8);
    }
}

static void send_set_params(struct loader *l, uint64_t now)
{
    if (!l->stub_running && l->info.chip->kind == CHIP_ESP8266) {
        loader_finish(l, true);     /* the ESP8266 ROM has no SPI_SET_PARAMS */
        return;
    }
    l->step = ID_SET_PARAMS;
    uint32_t size = l->info.flash_size ? l->info.flash_size : SPI_SIZE_FALLBACK;
    uint32_t w[6] = {0, size, 0x10000, LOADER_FLASH_SECTOR, 0x100, 0xFFFF};
    loader_command_words(l, now, ESP_SPI_SET_PARAMS, w, 6, 0, LOADER_DEFAULT_TIMEOUT);
}

static void spi_step(struct loader *l, uint64_t now, uint32_t value)
{
    const struct chip_spi_regs *s = spi(l);
    switch (l->step) {
    case ID_SPI_SAVE_USR:
        l->spi_saved[0] = value;
        l->step = ID_SPI_SAVE_USR2;
        loader_read_reg(l, now, s->base + s->usr2);
        break;
    case ID_SPI_SAVE_USR2:
        l->spi_saved[1] = value;
        spi_set_len(l, now);
        break;
    case ID_SPI_SET_LEN:
        spi_write(l, now, ID_SPI_SET_USR, s->usr, SPI_USR_COMMAND | SPI_USR_MISO);
        break;
    case ID_SPI_SET_USR:
        spi_write(l, now, ID_SPI_SET_USR2, s->usr2, (7u << 28) | SPI_FLASH_RDID);
        break;
    case ID_SPI_SET_USR2:
        spi_write(l, now, ID_SPI_CLEAR_W0, s->w0, 0);
        break;
    case ID_SPI_CLEAR_W0:
        spi_write(l, now, ID_SPI_START, 0, SPI_CMD_USR);
        l->tries = 0;
        break;
    case ID_SPI_START:
    case ID_SPI_POLL:
        if (l->step == ID_SPI_POLL && !(value & SPI_CMD_USR)) {
            l->step = ID_SPI_READ_W0;
            loader_read_reg(l, now, s->base + s->w0);
        } else if (l->tries++ < SPI_POLL_LIMIT) {
            l->step = ID_SPI_POLL;
            loader_read_reg(l, now, s->base);
        } else {
            loader_fail(l, LOADER_ERR_DEVICE_STATUS,
                        "the flash ID command did not complete: the SPI flash may be "
                        "missing or not powered; check the module");
        }
        break;
    case ID_SPI_READ_W0:
        l->info.flash_id = value & 0xFFFFFF;
        l->info.flash_size = chip_flash_size_from_jedec(l->info.flash_id);
        spi_write(l, now, ID_SPI_RESTORE_USR, s->usr, l->spi_saved[0]);
        break;
    case ID_SPI_RESTORE_USR:
        spi_write(l, now, ID_SPI_RESTORE_USR2, s->usr2, l->spi_saved[1]);
        break;
    case ID_SPI_RESTORE_USR2:
        send_set_params(l, now);
        break;
    }
}

static const char *step_name(int step)
{
    switch (step) {
    case ID_READ_WORDS: return "READ_REG of the MAC/revision efuses";
    case ID_ATTACH: return "attaching the SPI flash";
    case ID_SET_PARAMS: return "SPI_SET_PARAMS";
    default: return "reading the flash ID";
    }
}

static void identify_advance(struct loader *l, uint64_t now, const struct loader_input *in)
{
    if (!loader_reply_ok(l, in, step_name(l->step)))
        return;
    uint32_t value = in->resp->value;
    switch (l->step) {
    case ID_READ_WORDS:
        l->words[l->pos++] = value;
        if (l->pos < l->n_addrs)
            read_next_word(l, now);
        else
            finish_words(l, now);
        break;
    case ID_ATTACH:
        l->flash_attached = true;
        l->step = ID_SPI_SAVE_USR;
        loader_read_reg(l, now, spi(l)->base + spi(l)->usr);
        break;
    case ID_SET_PARAMS:
        loader_finish(l, true);
        break;
    default:
        spi_step(l, now, value);
        break;
    }
}

static void identify_start(struct loader *l, uint64_t now, const struct loader_input *in)
{
    const struct chip_desc *c = l->info.chip;
    if (l->info.secure_download) {
        loader_fail(l, LOADER_ERR_DEVICE_STATUS,
                    "%s is in Secure Download Mode: its MAC and flash ID cannot be read, "
                    "so this station cannot provision it", c->name);
        return;
    }
    l->n_addrs = 0;
    for (unsigned k = 0; k < 3 && c->mac_regs[k]; k++)
        l->addrs[l->n_addrs++] = c->mac_regs[k];
    for (unsigned k = 0; k < CHIP_MAX_REV_REGS && c->rev_regs[k]; k++)
        l->addrs[l->n_addrs++] = c->rev_regs[k];
    l->info.flash_id = 0;
    l->info.flash_size = 0;
    l->advance = identify_advance;
    l->step = ID_READ_WORDS;
    l->pos = 0;
    read_next_word(l, now);
}

int loader_start_identify(struct loader *l, uint64_t now)
{
    if (loader_require_chip(l))
        return -1;
    return loader_begin_op(l, now, PHASE_IDENTIFY, identify_start);
}
