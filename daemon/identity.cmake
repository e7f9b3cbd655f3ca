# jigd_identity: the station CA, unit keys (made ahead on libuv's thread
# pool), unit certificates, and the esp_secure_cert image built from them.
if(NOT MBEDX509)
  find_library(MBEDX509 mbedx509 REQUIRED)
endif()
add_library(jigd_identity STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cert_build.c
  ${CMAKE_CURRENT_LIST_DIR}/identity_config.c
  ${CMAKE_CURRENT_LIST_DIR}/identity_rng.c
  ${CMAKE_CURRENT_LIST_DIR}/key_pool.c
  ${CMAKE_CURRENT_LIST_DIR}/station_ca.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_cert.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_key.c)
target_include_directories(jigd_identity PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# x509 before crypto: static link order follows the dependency.
target_link_libraries(jigd_identity PUBLIC protocol PkgConfig::UV ${MBEDX509} ${MBEDCRYPTO})
