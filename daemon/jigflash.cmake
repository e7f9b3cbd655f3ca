# jigd_flash: the port layer (local tty, RFC 2217) and the one-board flash
# job that drives protocol/'s loader over it (and a board's EN/IO0 on host GPIO
# lines for reset = gpio); jigflash: its command line.
add_library(jigd_flash STATIC
  ${CMAKE_CURRENT_LIST_DIR}/port.c
  ${CMAKE_CURRENT_LIST_DIR}/port_rfc2217.c
  ${CMAKE_CURRENT_LIST_DIR}/port_tty.c
  ${CMAKE_CURRENT_LIST_DIR}/flash_job.c
  ${CMAKE_CURRENT_LIST_DIR}/reset_gpio.c)
target_include_directories(jigd_flash PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_flash PUBLIC protocol PkgConfig::UV PkgConfig::SERIALPORT
                      PkgConfig::GPIOD ${MBEDCRYPTO})

add_executable(jigflash ${CMAKE_CURRENT_LIST_DIR}/jigflash.c)
target_link_libraries(jigflash jigd_flash)
target_compile_definitions(jigflash PRIVATE JIGD_DEFAULT_STUB_DIR="${JIGD_STUB_DIR}")
