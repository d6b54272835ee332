
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/ops/activations.cpp" "CMakeFiles/keras_ops.dir/src/ops/activations.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/activations.cpp.o.d"
  "/work/main/src/ops/assign.cpp" "CMakeFiles/keras_ops.dir/src/ops/assign.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/assign.cpp.o.d"
  "/work/main/src/ops/creation.cpp" "CMakeFiles/keras_ops.dir/src/ops/creation.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/creation.cpp.o.d"
  "/work/main/src/ops/elementwise_binary.cpp" "CMakeFiles/keras_ops.dir/src/ops/elementwise_binary.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/elementwise_binary.cpp.o.d"
  "/work/main/src/ops/elementwise_unary.cpp" "CMakeFiles/keras_ops.dir/src/ops/elementwise_unary.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/elementwise_unary.cpp.o.d"
  "/work/main/src/ops/indexing.cpp" "CMakeFiles/keras_ops.dir/src/ops/indexing.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/indexing.cpp.o.d"
  "/work/main/src/ops/linalg.cpp" "CMakeFiles/keras_ops.dir/src/ops/linalg.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/linalg.cpp.o.d"
  "/work/main/src/ops/reduce.cpp" "CMakeFiles/keras_ops.dir/src/ops/reduce.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/reduce.cpp.o.d"
  "/work/main/src/ops/registry.cpp" "CMakeFiles/keras_ops.dir/src/ops/registry.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/registry.cpp.o.d"
  "/work/main/src/ops/shape_ops.cpp" "CMakeFiles/keras_ops.dir/src/ops/shape_ops.cpp.o" "gcc" "CMakeFiles/keras_ops.dir/src/ops/shape_ops.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/CMakeFiles/keras_backend.dir/DependInfo.cmake"
  "/work/main/build/CMakeFiles/keras_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
