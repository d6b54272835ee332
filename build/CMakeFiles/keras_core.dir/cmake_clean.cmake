file(REMOVE_RECURSE
  "CMakeFiles/keras_core.dir/src/core/dtype.cpp.o"
  "CMakeFiles/keras_core.dir/src/core/dtype.cpp.o.d"
  "CMakeFiles/keras_core.dir/src/core/shape.cpp.o"
  "CMakeFiles/keras_core.dir/src/core/shape.cpp.o.d"
  "CMakeFiles/keras_core.dir/src/core/tensor.cpp.o"
  "CMakeFiles/keras_core.dir/src/core/tensor.cpp.o.d"
  "libkeras_core.a"
  "libkeras_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/keras_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
