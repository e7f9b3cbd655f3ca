# Turns db/migrations/NNNN_name.sql into a C table (run at build time by
# db/CMakeLists.txt). Versions must start at 0001 and have no gaps, because
# PRAGMA user_version records "every migration up to N has been applied".
# usage: cmake -DDIR=<migrations dir> -DOUT=<file.c> -P embed_migrations.cmake
file(GLOB files RELATIVE ${DIR} ${DIR}/*.sql)
list(SORT files)
set(body "")
set(table "")
set(expected 1)
foreach(f ${files})
  if(NOT f MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "db/migrations/${f}: name it NNNN_lowercase_words.sql")
  endif()
  set(name ${CMAKE_MATCH_2})
  math(EXPR version "${CMAKE_MATCH_1} + 0")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "db/migrations/${f}: expected version ${expected} next; versions must have no gaps")
  endif()
  file(READ ${DIR}/${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const char migration_${version}[] = {${bytes}0x00};\n")
  string(APPEND table "    {${version}, \"${name}\", migration_${version}},\n")
  math(EXPR expected "${expected} + 1")
endforeach()
math(EXPR count "${expected} - 1")
set(text "/* Generated from db/migrations by db/embed_migrations.cmake: do not edit. */
#include \"db_migrations.h\"

${body}
const struct db_migration db_migrations[] = {
${table}};
const int db_migration_count = ${count};
")
file(WRITE ${OUT}.tmp "${text}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
