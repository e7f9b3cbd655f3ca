# bench/station_smoke: bench/station.sh --smoke (2 slots, a 64 KiB bundle,
# jigd and esptool-js, jigd's fsyncs slowed by 1 ms), so the station bench
# cannot rot. It checks that every board passed and holds the bundle and that
# the figures are well formed; it asserts nothing about speed.
if(TARGET espsim AND TARGET jigd AND TARGET slow_fsync)
  add_test(NAME bench/station_smoke
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/station.sh ${CMAKE_BINARY_DIR} --smoke)
  set_tests_properties(bench/station_smoke PROPERTIES TIMEOUT 90
    ENVIRONMENT "JIGD_SHARED_DIR=${JIGD_SHARED_DIR};JIGD_STUB_DIR=${JIGD_STUB_DIR}")
endif()
