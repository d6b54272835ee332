#----------------------------------------------------------------
# Generated CMake target import file for configuration "Release".
#----------------------------------------------------------------

# Commands may need to know the format version.
set(CMAKE_IMPORT_FILE_VERSION 1)

# Import target "kerascpp::keras_core" for configuration "Release"
set_property(TARGET kerascpp::keras_core APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(kerascpp::keras_core PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libkeras_core.a"
  )

list(APPEND _cmake_import_check_targets kerascpp::keras_core )
list(APPEND _cmake_import_check_files_for_kerascpp::keras_core "${_IMPORT_PREFIX}/lib/libkeras_core.a" )

# Import target "kerascpp::keras_backend" for configuration "Release"
set_property(TARGET kerascpp::keras_backend APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(kerascpp::keras_backend PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libkeras_backend.a"
  )

list(APPEND _cmake_import_check_targets kerascpp::keras_backend )
list(APPEND _cmake_import_check_files_for_kerascpp::keras_backend "${_IMPORT_PREFIX}/lib/libkeras_backend.a" )

# Import target "kerascpp::keras_ops" for configuration "Release"
set_property(TARGET kerascpp::keras_ops APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(kerascpp::keras_ops PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libkeras_ops.a"
  )

list(APPEND _cmake_import_check_targets kerascpp::keras_ops )
list(APPEND _cmake_import_check_files_for_kerascpp::keras_ops "${_IMPORT_PREFIX}/lib/libkeras_ops.a" )

# Import target "kerascpp::keras_graph" for configuration "Release"
set_property(TARGET kerascpp::keras_graph APPEND PROPERTY IMPORTED_CONFIGURATIONS RELEASE)
set_target_properties(kerascpp::keras_graph PROPERTIES
  IMPORTED_LINK_INTERFACE_LANGUAGES_RELEASE "CXX"
  IMPORTED_LOCATION_RELEASE "${_IMPORT_PREFIX}/lib/libkeras_graph.a"
  )

list(APPEND _cmake_import_check_targets kerascpp::keras_graph )
list(APPEND _cmake_import_check_files_for_kerascpp::keras_graph "${_IMPORT_PREFIX}/lib/libkeras_graph.a" )

# Commands beyond this point should not need to know the version.
set(CMAKE_IMPORT_FILE_VERSION)
