/* The firmware jigd would flash and the flasher stub it needs. jigd finds
 * a missing stub only once the bundle is loaded (each slot's alarm), and a
 * bundle that breaks a rule only when it loads; doctor loads the same
 * bundle with the same module, so both are known before jigd starts. */
#include "doctor.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "config.h"

#define CHOICE_FILE "active_bundle.json"    /* station/bundle_choice.h */
#define FIX_STUBS CONFIG_STUB_DIR_ADVICE

/* The bundle chosen over the API when jigd would still load it: the choice
 * holds while jigd.conf's bundle is the one it was made over
 * (docs/config.md, "The bundle chosen over the API"). */
static bool chosen_bundle(const struct doctor *d, char *out, size_t cap)
{
    char path[PATH_MAX], text[8192];
    snprintf(path, sizeof path, "%s/%s", d->cfg->station.data_dir, CHOICE_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *o = cJSON_Parse(text);
    const char *dir = cJSON_GetStringValue(cJSON_GetObjectItem(o, "bundle"));
    const char *then = cJSON_GetStringValue(cJSON_GetObjectItem(o, "config_bundle"));
    bool ok = dir && then && !strcmp(then, d->cfg->station.bundle);
    if (ok)
        snprintf(out, cap, "%s", dir);
    cJSON_Delete(o);
    return ok;
}

/* Every stub the chip may need: the P4's depends on the board's revision. */
static void check_stub(struct doctor *d, const struct chip_desc *chip)
{
    const char *dir = d->cfg->station.stub_dir;
    const char *names[CHIP_MAX_STUBS];
    size_t n = chip_stub_names(chip, names);
    if (n == 0) {
        doctor_ok(d, "%s needs no flasher stub", chip->name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s.json", dir, names[i]);
        if (access(path, R_OK) < 0)
            doctor_problem(d, FIX_STUBS, "no readable flasher stub for %s: %s: every slot "
                           "stays in its alarm", chip->name, path);
        else
            doctor_ok(d, "flasher stub for %s: %s", chip->name, path);
    }
}

static const struct chip_desc *check_bundle(struct doctor *d)
{
    char dir[CONFIG_PATH_MAX], err[1024];
    const char *whose = "jigd.conf's";
    if (chosen_bundle(d, dir, sizeof dir))
        whose = "chosen over the API,";
    else
        snprintf(dir, sizeof dir, "%s", d->cfg->station.bundle);
    if (!dir[0]) {
        doctor_problem(d, "jigctl bundle import BUILD_DIR DIR, then bundle = DIR in jigd.conf "
                       "or jigctl bundle load DIR once jigd runs",
                       "no bundle: slots wait until one is loaded");
        return NULL;
    }
    struct bundle *b = NULL;
    if (bundle_load(dir, &b, err, sizeof err) < 0) {
        doctor_problem(d, "fix the bundle (docs/bundle.md), or make it again with jigctl "
                       "bundle import", "bundle %s (%s) is refused: %s", dir, whose, err);
        return NULL;
    }
    const struct chip_desc *chip = b->chip;
    doctor_ok(d, "bundle %s (%s): %s %s for %s", dir, whose, b->name, b->version, chip->name);
    bundle_unref(b);
    return chip;
}

void doctor_check_firmware(struct doctor *d)
{
    const struct chip_desc *chip = check_bundle(d);
    const char *dir = d->cfg->station.stub_dir;
    struct stat st;
    if (!dir[0]) {
        doctor_note(d, "stub_dir is empty: boards are flashed through the ROM loader (slower)");
        return;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        doctor_problem(d, FIX_STUBS, "stub_dir %s is not a folder: no board can be given a "
                       "flasher stub", dir);
        return;
    }
    if (chip)
        check_stub(d, chip);
}
