/* jigd's last words on SIGBUS (last_words.h).
 *
 * SIGBUS is what a store into a memory-mapped file page that the kernel
 * cannot back turns into: for jigd, the station database's WAL index
 * (station.db-shm). db/db_shm_guard.c keeps SQLite from making that store
 * when the file cannot take it; what is left (a file made immutable within
 * one transaction, a disk failing under a mapped page) still kills the
 * process. Nothing can be recovered from inside SQLite, so jigd does not
 * try: it says what most likely happened and what to do, then dies of the
 * signal as it would have (a core, and systemd sees why). */
#include "last_words.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Made at start: the handler may only write(2) it. */
static char words[1024];
static size_t words_len;

static void on_sigbus(int signum)
{
    ssize_t n = write(STDERR_FILENO, words, words_len);
    (void)n;
    /* The handler reset itself (SA_RESETHAND): a SIGBUS sent with kill()
     * ends the process here; a fault would repeat on return anyway. */
    raise(signum);
}

void last_words_install(const char *data_dir)
{
    int n = snprintf(words, sizeof words,
                     "jigd: killed by SIGBUS: a memory-mapped file could not be read or written, "
                     "most likely the station database's index %.300s/station.db-shm (the disk "
                     "failed, or the file was made immutable or read-only). Check the disk "
                     "holding %.300s (dmesg); at the next start the units that were running are "
                     "marked interrupted: flash those boards again.\n", data_dir, data_dir);
    words_len = n > 0 && (size_t)n < sizeof words ? (size_t)n : strlen(words);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}
