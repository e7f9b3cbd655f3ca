# The two commands of the README. Each one first makes sure the machine has
# what the project needs (deploy/setup.sh is idempotent and quick when it does).
JOBS ?= 2
RELEASE := build/release
CHECKED := build/checked

.PHONY: demo demo-esptooljs test setup build-release build-checked bench fuzz package clean

setup:
	bash deploy/setup.sh

build-release: setup
	cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(RELEASE) -j$(JOBS)

# The test build: clang (for libFuzzer) with ASan+UBSan on everything, and
# warnings as errors (-O2 with gcc and clang: the tests house/gcc_warnings and
# house/clang_warnings).
build-checked: setup
	cmake -S . -B $(CHECKED) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	      -DJIGD_SANITIZE=ON -DJIGD_FUZZ=ON -DJIGD_WERROR=ON
	cmake --build $(CHECKED) -j$(JOBS)

# The station at work: espsim with 8 ESP32 boards and jigd flashing them.
demo: build-release
	bash deploy/demo_station.sh $(RELEASE)

# Espressif's own client (esptool-js) flashing simulated boards.
demo-esptooljs: build-release
	bash deploy/demo_esptooljs.sh $(RELEASE)

test: build-checked
	cd $(CHECKED) && ctest --output-on-failure -j$(JOBS) --timeout 900

bench: build-release
	bash bench/run.sh $(RELEASE)

# Every fuzz target for FUZZ_SECONDS each (default 300), on the test build.
FUZZ_SECONDS ?= 300
fuzz: build-checked
	for f in $(CHECKED)/tests/fuzz/fuzz_*; do \
	  [ -x "$$f" ] || continue; \
	  FUZZ_SEED=0 bash tests/fuzz/run_fuzzer.sh "$$f" tests/fuzz/corpus/$$(basename $$f) $(FUZZ_SECONDS) || exit 1; \
	done

clean:
	rm -rf build

# The Debian package (deploy/CMakeLists.txt): the three programs built
# Release, packed by CPack into build/pkg/jigd_<version>_<arch>.deb.
PKG := build/pkg
package: setup
	cmake -S . -B $(PKG) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(PKG) -j$(JOBS) --target jigd jigctl jigflash
	cd $(PKG) && cpack -G DEB
