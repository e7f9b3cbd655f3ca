# jigd_unit_nvs: per-unit NVS partitions from a template CSV with
# placeholders (daemon/unit_nvs.c, docs/nvs.md). Depends on protocol only, so
# the pipeline, the tests and the fuzzer link it as it is.
add_library(jigd_unit_nvs STATIC ${CMAKE_CURRENT_LIST_DIR}/unit_nvs.c)
target_include_directories(jigd_unit_nvs PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jigd_unit_nvs PUBLIC protocol)
