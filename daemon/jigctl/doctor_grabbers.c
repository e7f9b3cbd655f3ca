/* Programs that take serial ports away from jigd. ModemManager probes
 * every new serial port with AT commands, which a board in its ROM loader
 * takes as garbage, and holds it open while it does; brltty claims the
 * CH341 and CP210x adapters that braille displays also use, so the jig's
 * ttyUSB node vanishes as soon as it appears. Found by their process
 * names in /proc. */
#include "doctor.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RULES_FILE "99-jigd-serial.rules"

/* The pid of a running program called `comm`, or 0. */
static long running(const struct doctor *d, const char *comm)
{
    DIR *dh = opendir(d->roots.proc);
    if (!dh)
        return 0;
    long pid = 0;
    for (const struct dirent *e; !pid && (e = readdir(dh));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        char path[PATH_MAX], name[64] = "";
        snprintf(path, sizeof path, "%s/%s/comm", d->roots.proc, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(name, sizeof name, f)) {
            name[strcspn(name, "\n")] = '\0';
            if (!strcmp(name, comm))
                pid = strtol(e->d_name, NULL, 10);
        }
        fclose(f);
    }
    closedir(dh);
    return pid;
}

/* ModemManager leaves alone what the rule marks ID_MM_DEVICE_IGNORE. */
static bool rule_installed(const struct doctor *d)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", d->roots.udev, RULES_FILE);
    return access(path, R_OK) == 0;
}

void doctor_check_grabbers(struct doctor *d)
{
    long mm = running(d, "ModemManager");
    if (mm && rule_installed(d))
        doctor_note(d, "ModemManager is running (pid %ld); %s/%s keeps it away from jig "
                    "adapters", mm, d->roots.udev, RULES_FILE);
    else if (mm)
        doctor_problem(d, "install deploy/99-jigd-serial.rules in /etc/udev/rules.d (it "
                       "hides jig adapters from ModemManager), or: systemctl disable --now "
                       "ModemManager",
                       "ModemManager is running (pid %ld) and no %s keeps it away: it probes "
                       "new serial ports with AT commands, holding the port and upsetting a "
                       "board in its loader", mm, RULES_FILE);
    long brl = running(d, "brltty");
    if (brl)
        doctor_problem(d, "apt-get remove brltty (a station has no braille display), or: "
                       "systemctl mask brltty-udev.service brltty.path",
                       "brltty is running (pid %ld): it claims CH341 and CP210x adapters, so "
                       "a jig's ttyUSB port disappears as it is plugged in", brl);
    if (!mm && !brl)
        doctor_ok(d, "no ModemManager or brltty running (%s)", d->roots.proc);
}
