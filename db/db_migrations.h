/* The schema migrations compiled into jigd (generated from db/migrations/
 * by embed_migrations.cmake). db_migrations[i].version is i + 1. */
#ifndef JIGD_DB_MIGRATIONS_H
#define JIGD_DB_MIGRATIONS_H

struct db_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct db_migration db_migrations[];
extern const int db_migration_count;

#endif
