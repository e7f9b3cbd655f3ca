/* jigd's log: stderr (the journal under systemd), one line per thing that
 * happened, each beginning with its UTC time to the millisecond, as the
 * events' own lines do. Every module that writes to the log writes
 * through here, so no line of it is without a time. */
#ifndef JIGD_LOG_LINE_H
#define JIGD_LOG_LINE_H

void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
