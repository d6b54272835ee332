file(REMOVE_RECURSE
  "CMakeFiles/keras_graph.dir/src/graph/autodiff.cpp.o"
  "CMakeFiles/keras_graph.dir/src/graph/autodiff.cpp.o.d"
  "libkeras_graph.a"
  "libkeras_graph.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/keras_graph.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
