# keras.cpp — the README's quick start is `make demo` and `make test`; each target installs
# missing Debian packages first (scripts/setup.sh, silent when nothing is missing).
#
#   make demo        configure (Release, build/), build and run examples/seed_example and engine_demo
#   make test        build everything and run the test suite with ctest
#   make examples    also install the examples' data sets (Fashion-MNIST), build all examples
#   make bench       build the benchmarks, compare with PyTorch and libtorch (docs/performance.md)
#   make sanitize    AddressSanitizer + UBSan build (-O1) in build-asan/, run all the tests
#   make sanitize-saving   the same build of the libraries and test_saving/test_core only, run
#                    those (the hostile-file corpus): the CI's sanitizer job
#   make install     install headers, libraries and the CMake package (PREFIX=/usr/local)
#   make setup       only install the missing packages
#   make clean       remove build/ and build-asan/
#
# Variables: BUILD_DIR, ASAN_DIR, JOBS (compile jobs), TEST_JOBS (ctest -j), PREFIX,
# CMAKE_ARGS (extra -D options for every configure).

BUILD_DIR  ?= build
ASAN_DIR   ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
TEST_JOBS  ?= 2
PREFIX     ?= /usr/local
CMAKE_ARGS ?=
CMAKE      ?= cmake
CTEST      ?= ctest

# Options are passed on every configure so that a build dir configured earlier with other
# settings cannot silently skip the examples or tests. Re-running cmake on a configured
# tree takes well under a second.
CONFIGURE = $(CMAKE) -S . --log-level=WARNING -DKERAS_BUILD_TESTS=ON -DKERAS_BUILD_EXAMPLES=ON \
            -DKERAS_BUILD_BENCH=ON $(CMAKE_ARGS)

SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -O1: ASan's own recommendation; its reports stay exact (frame pointers kept) and the tests
# run several times faster than at -O0. The LeakSanitizer suppressions for libhdf5's own
# leaks are compiled into test_saving (tests/saving/lsan_suppressions.cpp).
SANITIZE_CONFIGURE = $(CONFIGURE) -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
                     -DKERAS_SANITIZE=ON -DKERAS_BUILD_BENCH=OFF
SANITIZE_SAVING_TESTS ?= test_saving test_core

# cmake --build runs make again; without this every line of its output is framed by
# "Entering/Leaving directory" messages.
MAKEFLAGS += --no-print-directory
# The targets call apt-get and cmake on shared directories: never run them concurrently.
.NOTPARALLEL:

.PHONY: all setup setup-bench setup-examples configure build demo examples test bench sanitize sanitize-saving install clean help

all: build

help:
	@sed -n '1,17p' Makefile

setup:
	@scripts/setup.sh

setup-bench:
	@scripts/setup.sh --bench

setup-examples:
	@scripts/setup.sh --examples

configure: setup
	@$(CONFIGURE) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release

build: configure
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

demo: configure
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target seed_example engine_demo
	@echo "--- $(BUILD_DIR)/examples/seed_example"
	@$(BUILD_DIR)/examples/seed_example
	@echo "--- $(BUILD_DIR)/examples/engine_demo"
	@$(BUILD_DIR)/examples/engine_demo

examples: setup-examples
	@$(CONFIGURE) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target keras_examples
	@echo "examples built in $(BUILD_DIR)/examples/"

test: build
	@$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(TEST_JOBS)

# Builds keras.cpp's benchmarks; bench/run_bench.sh builds the libtorch peer (its own CMake
# project, bench/libtorch) and runs the comparison. BENCH_QUICK=1 for a short run; the other
# BENCH_* knobs are listed in bench/run_bench.sh.
bench: setup-bench
	@$(CONFIGURE) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	@$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target keras_benchmarks
	@BUILD_DIR=$(BUILD_DIR) JOBS=$(JOBS) bench/run_bench.sh

sanitize: setup
	@$(SANITIZE_CONFIGURE)
	@$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)
	@$(SANITIZER_ENV) $(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j $(TEST_JOBS)

# Each binary runs once as a whole (ctest would start one sanitized process per test case).
sanitize-saving: setup
	@$(SANITIZE_CONFIGURE)
	@$(CMAKE) --build $(ASAN_DIR) -j $(JOBS) --target $(SANITIZE_SAVING_TESTS)
	@for t in $(SANITIZE_SAVING_TESTS); do \
	  echo "--- $(ASAN_DIR)/tests/$$t (AddressSanitizer + UBSan)"; \
	  $(SANITIZER_ENV) $(ASAN_DIR)/tests/$$t --gtest_brief=1 || exit 1; \
	done

install: build
	@$(CMAKE) --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
