# jigctl's local commands (daemon/jigctl_nvs.c, daemon/jigctl_audit.c) work
# without jigd: the NVS generator, and the station database read-only (found
# through the station's jigd.conf). jigctl itself is made in api.cmake,
# which is read before this file (fragments go in name order).
if(TARGET jigctl)
  target_link_libraries(jigctl protocol jigd_db jigd_config)
endif()
