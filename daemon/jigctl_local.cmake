# jigctl's local commands (jigctl_nvs.c, jigctl_audit.c, bundle import in
# jigctl_bundle.c) work without jigd: the NVS generator, the station database
# read-only (found through the station's jigd.conf), bundle making. jigctl itself is made in api.cmake,
# which is read before this file (fragments go in name order).
if(TARGET jigctl)
  target_link_libraries(jigctl protocol jigd_db jigd_config jigd_bundle)
endif()
