# Compiles a JSON file into jigd as a byte array (run at build time by
# daemon/api/CMakeLists.txt for openapi.json), so the document a jigd serves
# is always the one it was built with: no file to install, none to get out
# of step. A file that does not parse as JSON stops the build here, rather
# than reaching a client.
# usage: cmake -DIN=<file.json> -DOUT=<file.c> -DSYMBOL=<c_name> -P embed_json.cmake
file(READ ${IN} text)
string(JSON top ERROR_VARIABLE parse_error TYPE "${text}")
if(parse_error)
  message(FATAL_ERROR "${IN} is not valid JSON: ${parse_error}")
endif()
if(NOT top STREQUAL "OBJECT")
  message(FATAL_ERROR "${IN} must hold one JSON object, not a ${top}")
endif()
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" digits)
math(EXPR size "${digits} / 2")
# Sixteen bytes a line (CMake's regular expressions have no {16}).
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," array "${hex}")
string(REPEAT "0x..," 16 line)
string(REGEX REPLACE "(${line})" "\\1\n    " array "${array}")
file(WRITE ${OUT}.new "/* ${SYMBOL}: ${IN}, embedded by daemon/api/embed_json.cmake. Generated: do not edit. */
#include <stddef.h>

extern const unsigned char ${SYMBOL}[];
extern const size_t ${SYMBOL}_len;

const unsigned char ${SYMBOL}[] = {
    ${array}0x00};
const size_t ${SYMBOL}_len = ${size};
")
file(COPY_FILE ${OUT}.new ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.new)
