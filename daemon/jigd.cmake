# jigd: the station daemon.
#   jigd_station  the station and its slots (a library so tests can link it)
#   jigd          the daemon's main

if(NOT TARGET jigd_http)
  message(STATUS "jigd: the REST API (daemon/api.cmake) is not here yet; jigd not built")
  return()
endif()

add_library(jigd_station STATIC
  ${CMAKE_CURRENT_LIST_DIR}/station.c
  ${CMAKE_CURRENT_LIST_DIR}/slot.c
  ${CMAKE_CURRENT_LIST_DIR}/slot_unit.c
  ${CMAKE_CURRENT_LIST_DIR}/slot_json.c
  ${CMAKE_CURRENT_LIST_DIR}/slot_baud.c
  ${CMAKE_CURRENT_LIST_DIR}/slot_identity.c
  ${CMAKE_CURRENT_LIST_DIR}/slot_record.c
  ${CMAKE_CURRENT_LIST_DIR}/unit_services.c)
target_include_directories(jigd_station PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# The unit pipeline gives each board its identity (jigd_identity,
# jigd_unit_nvs) and records every attempt (jigd_db).
target_link_libraries(jigd_station PUBLIC jigd_flash jigd_bundle jigd_config jigd_http
                      jigd_identity jigd_unit_nvs jigd_db)

add_executable(jigd ${CMAKE_CURRENT_LIST_DIR}/jigd.c)
target_link_libraries(jigd jigd_station)
