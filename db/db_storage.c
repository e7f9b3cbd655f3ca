/* Storage faults: a write the disk would not take (full, read-only,
 * failing), told apart from a rule's refusal because it calls for the
 * opposite response. A rule's "no" stays no; a full disk says yes again
 * once someone frees space, so jigd holds the result it could not record
 * and retries. The message names the file and what to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "db_internal.h"

enum sdb_fault db_fault_of(int extended_code, int sys_errno)
{
    switch (extended_code & 0xff) {
    case SQLITE_FULL:
        return SDB_FAULT_DISK_FULL;
    case SQLITE_READONLY:
        return SDB_FAULT_READ_ONLY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        /* SQLite reports most failed system calls as "I/O error"; the
         * errno tells a full disk and a forbidden write from a broken one. */
        if (sys_errno == ENOSPC || sys_errno == EDQUOT)
            return SDB_FAULT_DISK_FULL;
        if (sys_errno == EPERM || sys_errno == EACCES || sys_errno == EROFS)
            return SDB_FAULT_READ_ONLY;
        return SDB_FAULT_IO;
    default:
        return SDB_FAULT_NONE;
    }
}

/* The folder to free space in: the database's own. */
static void folder_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

static bool has_attribute(const struct statx *st, unsigned long long attribute)
{
    return (st->stx_attributes_mask & attribute) && (st->stx_attributes & attribute);
}

/* By the file's name, never through a descriptor of its own: closing any
 * descriptor of a file drops every POSIX lock the process holds on it,
 * SQLite's among them. The guard asks this of station.db-shm while the
 * connection holds the WAL index's locks; an open() and close() here once
 * dropped them all: the lock that tells other processes the index is in use
 * (the next process to open the database then took itself for the first,
 * and truncated the index under jigd's mapping: SIGBUS), and the locks of
 * the transaction under way (its snapshot's read mark, the write lock), so
 * a second writer beside jigd could have written at the same time. statx
 * reads the immutable and append-only flags by name. */
bool db_file_refuses_writes(const char *path, char *why, size_t why_size)
{
    struct statx st;
    struct statvfs fs;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st) != 0)
        return false;
    if (statvfs(path, &fs) == 0 && (fs.f_flag & ST_RDONLY))
        snprintf(why, why_size, "%s is on a file system mounted read-only", path);
    else if (has_attribute(&st, STATX_ATTR_IMMUTABLE))
        snprintf(why, why_size, "%s is immutable (chattr +i)", path);
    else if (has_attribute(&st, STATX_ATTR_APPEND))
        snprintf(why, why_size, "%s is append-only (chattr +a)", path);
    else
        return false;   /* no flag to blame (or a file system that keeps none) */
    return true;
}

/* Which of the database's files takes no writes, and why. */
static bool find_read_only(const struct station_db *db, char *why, size_t why_size)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char file[4096];
    if (!db->path)
        return false;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(file, sizeof file, "%s%s", db->path, suffixes[i]);
        if (db_file_refuses_writes(file, why, why_size))
            return true;
    }
    return false;
}

static bool folder_full(const struct station_db *db)
{
    char folder[4096];
    struct statvfs fs;
    if (!db->path)
        return false;
    folder_of(db->path, folder, sizeof folder);
    return statvfs(folder, &fs) == 0 && fs.f_bavail == 0;
}

/* "I/O error" is SQLite's word for any failed system call, and the errno
 * is not always kept (a commit that fails at the end of a statement comes
 * back without one): before blaming the disk, look for a plainer cause. */
static enum sdb_fault refine_io_fault(const struct station_db *db)
{
    char why[4200];
    if (find_read_only(db, why, sizeof why))
        return SDB_FAULT_READ_ONLY;
    return folder_full(db) ? SDB_FAULT_DISK_FULL : SDB_FAULT_IO;
}

int db_storage_fail(struct station_db *db, const char *doing, enum sdb_fault fault,
                    int extended_code, int sys_errno)
{
    const char *path = db->path ? db->path : "the database";
    char where[4096], why[4200];
    int rc;
    if (fault == SDB_FAULT_IO)
        fault = refine_io_fault(db);
    switch (fault) {
    case SDB_FAULT_DISK_FULL:
        folder_of(path, where, sizeof where);
        rc = db_fail(db, SDB_ERROR, "while %s: the disk holding %s is full; free space in %s",
                     doing, path, where);
        break;
    case SDB_FAULT_READ_ONLY:
        if (!find_read_only(db, why, sizeof why))
            snprintf(why, sizeof why, "cannot write %s: %s", path,
                     sys_errno ? strerror(sys_errno) : sqlite3_errstr(extended_code));
        rc = db_fail(db, SDB_ERROR, "while %s: the station database is read-only: %s; make "
                     "it writable again", doing, why);
        break;
    default:
        rc = db_fail(db, SDB_ERROR, "while %s: the disk holding %s failed (%s%s%s); check the "
                     "disk (dmesg) and its cable", doing, path, sqlite3_errstr(extended_code),
                     sys_errno ? ": " : "", sys_errno ? strerror(sys_errno) : "");
        break;
    }
    db->fault = fault;
    return rc;
}

enum sdb_fault sdb_last_fault(const struct station_db *db)
{
    return db ? db->fault : SDB_FAULT_NONE;
}
