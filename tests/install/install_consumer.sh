#!/usr/bin/env bash
# install_consumer.sh CMAKE BUILD_DIR CONSUMER_SRC BUILD_TYPE SANITIZE
# `cmake --install`s BUILD_DIR into a temporary prefix, then configures, builds and runs the
# consumer project against that prefix only. Exit 77 (ctest: skipped) when the environment
# cannot run the check; any real install or find_package failure fails the test.
set -euo pipefail
cmake_bin=$1 build_dir=$2 consumer_src=$3 build_type=${4:-Release} sanitize=${5:-OFF}

if [[ -n "${KERAS_SKIP_INSTALL_TEST:-}" ]]; then
  echo "skipped: KERAS_SKIP_INSTALL_TEST is set"; exit 77
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/kerascpp-install.XXXXXX")" || { echo "skipped: no temp dir"; exit 77; }
trap 'rm -rf "$work"' EXIT

echo "== cmake --install $build_dir --prefix $work/prefix"
"$cmake_bin" --install "$build_dir" --prefix "$work/prefix" >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; echo "FAILED: cmake --install"; exit 1; }
config="$(find "$work/prefix" -name kerascppConfig.cmake | head -n 1)"
[[ -n "$config" ]] || { echo "FAILED: kerascppConfig.cmake was not installed"; exit 1; }
echo "   installed ${config#"$work/prefix/"}"

flags=()
if [[ "$sanitize" == ON ]]; then
  # The installed libraries are instrumented; the consumer must link the sanitizer runtimes.
  flags+=(-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined
          -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
fi
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "== configure the consumer against the prefix only"
# CMAKE_FIND_USE_PACKAGE_REGISTRY=OFF and the bare prefix make sure we find the installed
# copy, never the build tree.
"$cmake_bin" -S "$consumer_src" -B "$work/consumer" -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  "${launcher[@]}" "${flags[@]}" >"$work/configure.log" 2>&1 || {
  cat "$work/configure.log"; echo "FAILED: find_package(kerascpp CONFIG) from the installed prefix"; exit 1; }
grep -F "kerascpp_DIR=$work/prefix" "$work/configure.log" || {
  cat "$work/configure.log"; echo "FAILED: the consumer did not pick up the installed package"; exit 1; }

echo "== build and run the consumer"
"$cmake_bin" --build "$work/consumer" >"$work/build.log" 2>&1 || {
  cat "$work/build.log"; echo "FAILED: building against kerascpp::keras"; exit 1; }
output="$("$work/consumer/consumer")"
echo "$output"
[[ "$output" == *"sum = 21"* ]] || { echo "FAILED: unexpected consumer output"; exit 1; }
echo "OK"
