# jigd_bundle: firmware bundles — manifest, loading and checking, one-time
# compression on a libuv worker, import from an ESP-IDF build.
if(NOT TARGET PkgConfig::CJSON)
  pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
endif()
file(GLOB JIGD_BUNDLE_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/bundle*.c)
add_library(jigd_bundle STATIC ${JIGD_BUNDLE_SOURCES})
target_include_directories(jigd_bundle PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_bundle PUBLIC protocol PkgConfig::CJSON PkgConfig::UV
                      ${MBEDCRYPTO})
