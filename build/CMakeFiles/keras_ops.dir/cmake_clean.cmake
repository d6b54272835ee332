file(REMOVE_RECURSE
  "CMakeFiles/keras_ops.dir/src/ops/activations.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/activations.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/assign.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/assign.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/creation.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/creation.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/elementwise_binary.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/elementwise_binary.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/elementwise_unary.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/elementwise_unary.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/indexing.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/indexing.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/linalg.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/linalg.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/reduce.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/reduce.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/registry.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/registry.cpp.o.d"
  "CMakeFiles/keras_ops.dir/src/ops/shape_ops.cpp.o"
  "CMakeFiles/keras_ops.dir/src/ops/shape_ops.cpp.o.d"
  "libkeras_ops.a"
  "libkeras_ops.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/keras_ops.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
