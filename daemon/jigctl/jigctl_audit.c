/* jigctl audit: the quality engineer's view of the station database, read
 * locally and read-only, without jigd (WAL lets it run beside a working
 * one). Every report prints as a table, CSV (for a spreadsheet) or JSON
 * (for a script), and ends with the audit log's head it was read with, so
 * a copy filed outside the station anchors the log (jigctl_audit.h).
 *
 * Where the database is: --db PATH; else the data_dir of --config PATH, or
 * of /etc/jigd/jigd.conf when that exists; else /var/lib/jigd/station.db.
 *
 * The reports live in jigctl_audit_unit.c, _reports.c and _verify.c; the
 * run they share in jigctl_audit_run.c; the printing in _print.c. */
#include "jigctl_audit.h"
#include "jigctl_command.h"

static int unit(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_unit_report, argc, argv);
}

static int attempts(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_attempts_report, argc, argv);
}

static int rate(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_rate_report, argc, argv);
}

static int yield(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_yield_report, argc, argv);
}

static int pareto(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_pareto_report, argc, argv);
}

static int duplicates(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_duplicates_report, argc, argv);
}

static int verify(struct jigctl *ctl, int argc, char **argv)
{
    return audit_run(&audit_verify_report, argc, argv);
}

/* What every audit command takes, for its --help. */
#define AUDIT_SOURCE \
    "  --db PATH         the station database (default: the data_dir of --config,\n" \
    "                    or of /etc/jigd/jigd.conf, else /var/lib/jigd/station.db)\n" \
    "  --config PATH     the station's jigd.conf, to find its data_dir\n" \
    "  --format F        table (default), csv or json"
/* What every report but verify ends with (jigctl_audit.h). */
#define AUDIT_HEAD \
    "\n\nThe report ends with the audit log's head, read with its rows: the last\n" \
    "row's id, time and hash. A table's last line says \"audit log head: row N at\n" \
    "T, hash H\"; CSV's last record is audit_head,N,H,T; JSON is {\"rows\": [...],\n" \
    "\"audit_head\": {last_id, hash, at}} (yield's object gains \"audit_head\").\n" \
    "Filed with the report outside the station (MES, shift report), it anchors\n" \
    "the log up to there: a later log whose chain does not pass through that\n" \
    "hash at that row was rewritten."
#define AUDIT_RANGE \
    "  --from T, --to T  a time range in UTC, from inclusive, to exclusive; T is a\n" \
    "                    date (2026-12-07, midnight UTC) or a time\n" \
    "                    (2026-12-07T08:00:00Z, or 2026-12-07 08:00)\n"

const struct jigctl_command jigctl_audit_commands[] = {
    {"audit unit", "<serial|MAC|board code>",
     "a unit's full history (attempts, board codes, certificate, events)",
     unit, AUDIT_SOURCE AUDIT_HEAD},
    {"audit attempts", "[filters]",
     "attempts by --from/--to T, --slot N, --result R, --work-order W", attempts,
     AUDIT_RANGE
     "  --slot N          one jig position\n"
     "  --result R        ok, failed, interrupted or running\n"
     "  --work-order W    one work order\n"
     "  --phase P         failed in phase P (connect, identify, write, verify, ...)\n"
     "  --limit N         at most N rows\n" AUDIT_SOURCE AUDIT_HEAD},
    {"audit rate", "[--from T] [--to T]", "units completed per hour", rate,
     AUDIT_RANGE AUDIT_SOURCE AUDIT_HEAD},
    {"audit yield", "[--from T] [--to T]", "first-pass yield, per day and in total", yield,
     AUDIT_RANGE AUDIT_SOURCE AUDIT_HEAD},
    {"audit pareto", "[--by-phase]", "failures by phase and cause (--from/--to T)", pareto,
     AUDIT_RANGE "  --by-phase        group by phase only, not by phase and cause\n"
     AUDIT_SOURCE AUDIT_HEAD},
    {"audit duplicates", "", "MACs that look like more than one board", duplicates,
     AUDIT_SOURCE AUDIT_HEAD},
    {"audit verify", "", "check the audit log (exit 4 if tampered with, 1 if no database)",
     verify,
     "It checks the hash chain, where the log ends (station.db.anchor beside the\n"
     "database), the units, attempts, certificates and serials against what the\n"
     "log recorded of them, and the guard triggers.\n\n"
     AUDIT_SOURCE "\n\n"
     "exit status: 0 intact; 4 the log was tampered with (what, on stdout);\n"
     "1 no database to check (missing, unreadable, not a station's); 2 usage"},
    {NULL, NULL, NULL, NULL, NULL},
};
