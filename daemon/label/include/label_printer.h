/* Where labels go: a raw-TCP label printer (the ZPL as it is, to port
 * 9100 as a rule) or a folder (<serial>.zpl, written whole or not at all),
 * on the libuv loop.
 *
 * Labels are sent one at a time, in the order given, each within the
 * timeout: a connect, the write and the close of the sending side for a
 * printer; the file written, synced and renamed (on the thread pool) for a
 * folder. Sending never blocks the caller or the loop; a printer that
 * does not answer costs the timeout, and the labels behind it wait in the
 * queue (at most LABEL_QUEUE_MAX). "Sent" means the printer's TCP stack
 * took every byte: a raw port answers nothing more.
 *
 * The outcome of every label, sent or not, comes back through `done`, in
 * words for the operator; the printer knows nothing of alarms. */
#ifndef JIGD_LABEL_PRINTER_H
#define JIGD_LABEL_PRINTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define LABEL_QUEUE_MAX 64
#define LABEL_DEFAULT_TIMEOUT_MS 5000u
#define LABEL_SERIAL_MAX 64

struct label_printer_options {
    const char *host;           /* a printer: name or address; NULL for a folder */
    uint16_t port;
    const char *folder;         /* a folder; NULL for a printer */
    unsigned timeout_ms;        /* 0 = LABEL_DEFAULT_TIMEOUT_MS */
};

/* One label's outcome: ok, or why not ("the label printer at
 * 10.0.0.5:9100 did not answer in 5 s"). */
typedef void (*label_sent_fn)(void *ctx, const char *serial, bool ok, const char *cause);

struct label_printer;

/* NULL with why in err (out of memory). Nothing is reached yet: a printer
 * that is off is found by the first label. */
struct label_printer *label_printer_new(uv_loop_t *loop, const struct label_printer_options *o,
                                        label_sent_fn done, void *ctx, char *err,
                                        size_t errlen);

/* "10.0.0.5:9100" or the folder, for messages. */
const char *label_printer_where(const struct label_printer *p);

/* Queues the label (`zpl` is copied). -1 with why in err when the queue is
 * full or the printer is closing: then `done` is not called. */
int label_printer_send(struct label_printer *p, const char *serial, const char *zpl,
                       size_t len, char *err, size_t errlen);

/* Stops: the label being sent is given up, and every queued one, each
 * reported to `done` as not sent; `closed` runs once nothing of the
 * printer is left on the loop. Then label_printer_free. */
void label_printer_close(struct label_printer *p, void (*closed)(void *ctx), void *ctx);
void label_printer_free(struct label_printer *p);

/* ---- a folder's file (label_folder.c; blocking: the printer calls it on
 * the thread pool) ------------------------------------------------------- */

/* The file name for a serial: <serial>.zpl, every byte that is not a
 * letter, digit, '-' or '_' (a serial may hold '/' and '.') written as
 * %XX, so a serial can never name a path outside the folder. */
void label_file_name(const char *serial, char *out, size_t cap);

/* Writes `data` to folder/name through a temporary file, fsync and rename,
 * then syncs the folder: a reader sees the whole label or none. 0, or -1
 * with why in err. */
int label_file_write(const char *folder, const char *name, const char *data, size_t len,
                     char *err, size_t errlen);

/* Reads a template file (at most LABEL_TEMPLATE_MAX bytes) into a new
 * NUL-terminated buffer to free(). NULL with why in err. */
char *label_file_read(const char *path, size_t *len, char *err, size_t errlen);

#endif
