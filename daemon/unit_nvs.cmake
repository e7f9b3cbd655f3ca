# jigd_unit_nvs: per-unit NVS partitions from a template CSV with
# placeholders (daemon/unit_nvs.c, docs/nvs.md). Depends on protocol only, so
# the pipeline, the tests and the fuzzer link it as it is.
add_library(jigd_unit_nvs STATIC ${CMAKE_CURRENT_LIST_DIR}/unit_nvs.c)
target_include_directories(jigd_unit_nvs PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_unit_nvs PUBLIC protocol)

# tests/fuzz links each fuzzer to a fixed list of libraries; the template
# fuzzer also needs this one. The fuzz targets are made after daemon/ is
# read, so the link is added once the whole tree has been read.
function(jigd_unit_nvs_link_fuzzer)
  if(TARGET fuzz_nvs_template)
    target_link_libraries(fuzz_nvs_template jigd_unit_nvs)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL jigd_unit_nvs_link_fuzzer)
