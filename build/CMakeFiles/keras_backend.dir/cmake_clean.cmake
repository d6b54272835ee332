file(REMOVE_RECURSE
  "CMakeFiles/keras_backend.dir/src/backend/cpu/parallel.cpp.o"
  "CMakeFiles/keras_backend.dir/src/backend/cpu/parallel.cpp.o.d"
  "libkeras_backend.a"
  "libkeras_backend.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/keras_backend.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
