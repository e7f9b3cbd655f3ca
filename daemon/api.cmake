# The REST API and the jigctl client.
#   jigd_api   the parsers (route patterns, SSE stream): no dependencies, so
#              fuzz targets link it as is.
#   jigd_http  the HTTP server on the libuv loop, the event bus, the REST
#              endpoints and the event stream; jigd links this.
#   jigd_http_client  the small blocking HTTP client jigctl is built on.
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)

add_library(jigd_api STATIC
  ${CMAKE_CURRENT_LIST_DIR}/api_route.c
  ${CMAKE_CURRENT_LIST_DIR}/api_sse_parser.c)
target_include_directories(jigd_api PUBLIC ${CMAKE_CURRENT_LIST_DIR})

add_library(jigd_http STATIC
  ${CMAKE_CURRENT_LIST_DIR}/event_bus.c
  ${CMAKE_CURRENT_LIST_DIR}/http_server.c
  ${CMAKE_CURRENT_LIST_DIR}/api_routes.c
  ${CMAKE_CURRENT_LIST_DIR}/api_sse.c
  ${CMAKE_CURRENT_LIST_DIR}/api.c)
target_include_directories(jigd_http PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_http PUBLIC jigd_api PkgConfig::MHD PkgConfig::UV
                      PkgConfig::CJSON)

add_library(jigd_http_client STATIC ${CMAKE_CURRENT_LIST_DIR}/http_client.c)
target_include_directories(jigd_http_client PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_http_client PUBLIC jigd_api)

# jigctl: one file per command group; jigctl.c holds the table.
file(GLOB JIGCTL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/jigctl*.c)
add_executable(jigctl ${JIGCTL_SOURCES})
target_link_libraries(jigctl jigd_http_client PkgConfig::CJSON m)

# Let the fuzzers see inside the parsers (coverage feedback). The sanitizer
# runtime every other program links in this configuration provides the
# coverage hooks, so jigctl and the tests still link.
if(JIGD_FUZZ AND JIGD_SANITIZE)
  target_compile_options(jigd_api PRIVATE -fsanitize=fuzzer-no-link)
endif()
