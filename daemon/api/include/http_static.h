/* The dashboard's files (web-ui/), served by the API's own server: GET and
 * HEAD of "/" (index.html) and "/ui/{file}".
 *
 * Safe by construction rather than by filtering: a file is one path
 * segment of letters, digits, '-', '_' and '.', not starting with '.', so
 * there is no "..", no subfolder and no hidden file to ask for; it is
 * opened inside the folder's descriptor with O_NOFOLLOW, so a symbolic
 * link (to /etc/passwd, or anywhere) is refused, and it must be a regular
 * file of at most HTTP_STATIC_MAX_FILE bytes of a type in the table (HTML,
 * CSS, JavaScript, SVG, PNG, ICO, JSON): a README or a backup file left in
 * the folder is not served. The path is taken as sent (never
 * percent-decoded), as everywhere in the API.
 *
 * These routes are public_file (http_check.h): no token is needed for
 * them, since a browser cannot send one with a page, and they hold no
 * station data; the Host and Origin rules apply as to every request. */
#ifndef JIGD_HTTP_STATIC_H
#define JIGD_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_STATIC_MAX_FILE (1024u * 1024u)

struct http_server;
struct http_static;

/* Adds the routes to `srv`, serving files from the folder `dir`. A NULL or
 * missing `dir` still adds them: they answer 404 with a hint that names
 * the setting (web_ui in jigd.conf), so "/" explains itself. NULL only if
 * memory ran out. `*found` says whether the folder could be opened. */
struct http_static *http_static_register(struct http_server *srv, const char *dir,
                                         bool *found);
void http_static_free(struct http_static *st);

/* The Content-Type of a file name by its extension, or NULL: not one the
 * dashboard serves. */
const char *http_static_type(const char *name);

/* Is `name` a file name the dashboard may serve (one safe segment)? */
bool http_static_name_ok(const char *name);

#endif
