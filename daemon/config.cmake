# jigd_config: the jigd.conf parser (daemon/config.c). Small and I/O-light so
# that the fuzz build and the tests link it on its own.
add_library(jigd_config STATIC ${CMAKE_CURRENT_LIST_DIR}/config.c)
target_include_directories(jigd_config PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# stub_dir's default: the esptool-js package's stub folder on this machine.
target_compile_definitions(jigd_config PRIVATE
  JIGD_DEFAULT_STUB_DIR="${JIGD_STUB_DIR}")
