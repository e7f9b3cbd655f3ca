/* The guard between SQLite's WAL index and a disk that stops taking writes.
 *
 * In WAL mode SQLite keeps the index of the log in station.db-shm, mapped
 * into memory and shared with every other process that reads the database
 * (jigctl audit, an engineer's sqlite3 shell). A store into a mapped page
 * that the kernel cannot back -- the file made immutable, its file system
 * remounted read-only -- is no error code: it is SIGBUS, and it killed jigd
 * with nothing logged. SQLite's own way out (locking_mode = EXCLUSIVE keeps
 * the index in heap memory) would lock those readers out while jigd runs;
 * db/README.md says why that price is too high.
 *
 * So this VFS is the default one with one check added. SQLite takes an
 * exclusive WAL-index lock before it stores into the index (to write a
 * transaction, move a read mark, recover or checkpoint); before passing such
 * a lock on, the guard checks that station.db-shm can take writes. If not,
 * the lock fails with SQLITE_READONLY and SQLite ends that transaction with
 * an error, having touched no page; db_storage.c then names the file. What
 * it cannot close: a file made immutable in the milliseconds between the
 * check and the stores of one transaction, and a disk that fails (EIO) under
 * a mapped page. Those still end in SIGBUS, which jigd reports in its log
 * before it dies.
 *
 * Only main database files are wrapped; the WAL, journals and temporary
 * files are the default VFS's own, in the same memory. */
#include <pthread.h>
#include <string.h>

#include "db_internal.h"

#define GUARD_VFS_NAME "jigd-shm-guard"

struct guard_file {
    sqlite3_file base;          /* pMethods = &guard_methods */
    sqlite3_file *real;         /* the default VFS's file, after this header */
    char *shm_path;             /* "<database>-shm" */
};

/* The default VFS's file starts here, suitably aligned. */
#define GUARD_HEADER ((sizeof(struct guard_file) + 15) & ~(size_t)15)

static sqlite3_vfs *real_vfs;
static sqlite3_vfs guard_vfs;

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((struct guard_file *)f)->real;
}

/* ---- the one check ------------------------------------------------------ */

static int guard_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    struct guard_file *g = (struct guard_file *)f;
    if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE)) {
        char why[512];
        if (db_file_refuses_writes(g->shm_path, why, sizeof why))
            return SQLITE_READONLY;
    }
    return g->real->pMethods->xShmLock(g->real, offset, n, flags);
}

/* ---- everything else goes to the default VFS ----------------------------- */

static int guard_close(sqlite3_file *f)
{
    struct guard_file *g = (struct guard_file *)f;
    int rc = g->real->pMethods->xClose(g->real);
    sqlite3_free(g->shm_path);
    g->shm_path = NULL;
    return rc;
}

static int guard_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}

static int guard_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}

static int guard_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int guard_sync(sqlite3_file *f, int flags)
{
    return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int guard_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int guard_lock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xLock(real_of(f), level);
}

static int guard_unlock(sqlite3_file *f, int level)
{
    return real_of(f)->pMethods->xUnlock(real_of(f), level);
}

static int guard_check_reserved(sqlite3_file *f, int *out)
{
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int guard_file_control(sqlite3_file *f, int op, void *arg)
{
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int guard_sector_size(sqlite3_file *f)
{
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int guard_device_characteristics(sqlite3_file *f)
{
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int guard_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **p)
{
    return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
}

static void guard_shm_barrier(sqlite3_file *f)
{
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int guard_shm_unmap(sqlite3_file *f, int delete_flag)
{
    return real_of(f)->pMethods->xShmUnmap(real_of(f), delete_flag);
}

static int guard_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
    return real_of(f)->pMethods->xFetch(real_of(f), off, n, p);
}

static int guard_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods guard_methods = {
    .iVersion = 3,
    .xClose = guard_close,
    .xRead = guard_read,
    .xWrite = guard_write,
    .xTruncate = guard_truncate,
    .xSync = guard_sync,
    .xFileSize = guard_file_size,
    .xLock = guard_lock,
    .xUnlock = guard_unlock,
    .xCheckReservedLock = guard_check_reserved,
    .xFileControl = guard_file_control,
    .xSectorSize = guard_sector_size,
    .xDeviceCharacteristics = guard_device_characteristics,
    .xShmMap = guard_shm_map,
    .xShmLock = guard_shm_lock,
    .xShmBarrier = guard_shm_barrier,
    .xShmUnmap = guard_shm_unmap,
    .xFetch = guard_fetch,
    .xUnfetch = guard_unfetch,
};

static int guard_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
                      int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_MAIN_DB) || !name)
        return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
    struct guard_file *g = (struct guard_file *)f;
    g->base.pMethods = NULL;        /* until the real file is open: no xClose */
    g->real = (sqlite3_file *)((char *)f + GUARD_HEADER);
    g->shm_path = sqlite3_mprintf("%s-shm", name);
    if (!g->shm_path)
        return SQLITE_NOMEM;
    int rc = real_vfs->xOpen(real_vfs, name, g->real, flags, out_flags);
    if (!g->real->pMethods || g->real->pMethods->iVersion < 3) {
        /* Not open (nothing to close), or a VFS without the methods the
         * guard forwards: none of the default unix VFSes. */
        if (g->real->pMethods)
            g->real->pMethods->xClose(g->real);
        sqlite3_free(g->shm_path);
        g->shm_path = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    g->base.pMethods = &guard_methods;
    return rc;
}

/* The rest of the VFS: the default one's, called with its own handle. */
static int guard_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int guard_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int guard_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *guard_dl_open(sqlite3_vfs *v, const char *name)
{
    (void)v;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void guard_dl_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*guard_dl_sym(sqlite3_vfs *v, void *lib, const char *sym))(void)
{
    (void)v;
    return real_vfs->xDlSym(real_vfs, lib, sym);
}

static void guard_dl_close(sqlite3_vfs *v, void *lib)
{
    (void)v;
    real_vfs->xDlClose(real_vfs, lib);
}

static int guard_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int guard_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}

static int guard_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int guard_get_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int guard_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static int registered = SQLITE_ERROR;

static void register_guard(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    if (!real_vfs || real_vfs->iVersion < 2)
        return;
    guard_vfs = (sqlite3_vfs){
        .iVersion = 2,      /* no system-call overrides */
        .szOsFile = (int)GUARD_HEADER + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = GUARD_VFS_NAME,
        .xOpen = guard_open,
        .xDelete = guard_delete,
        .xAccess = guard_access,
        .xFullPathname = guard_full_pathname,
        .xDlOpen = guard_dl_open,
        .xDlError = guard_dl_error,
        .xDlSym = guard_dl_sym,
        .xDlClose = guard_dl_close,
        .xRandomness = guard_randomness,
        .xSleep = guard_sleep,
        .xCurrentTime = guard_current_time,
        .xGetLastError = guard_get_last_error,
        .xCurrentTimeInt64 = guard_current_time_int64,
    };
    registered = sqlite3_vfs_register(&guard_vfs, 0);
}

const char *db_shm_guard_vfs(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_guard);
    return registered == SQLITE_OK ? GUARD_VFS_NAME : NULL;
}
