# What makes the libraries a package others can use (docs/integration.md):
# find_package(iommu_sim CONFIG) on an install, or add_subdirectory on the
# source tree, with the same target names either way.

include(GNUInstallDirs)

# <iommu_sim/model/...> in the build tree, as in an install: links to the
# folders whose headers are installed. Not one link to the source root,
# which holds the build folder and would make a loop.
file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/include/iommu_sim")
foreach(folder IN ITEMS model iommu pcie workloads)
  file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${folder}" "${PROJECT_BINARY_DIR}/include/iommu_sim/${folder}"
       SYMBOLIC)
endforeach()

# Puts `target` in the package as iommu_sim::<name>: the library, and the
# headers (*.h) of each folder after HEADERS (relative to the source root),
# installed at the same relative path under include/iommu_sim/. The headers
# include each other as "model/...": from the source root in the build tree
# (the file set's base), from include/iommu_sim when installed; users may
# write <iommu_sim/model/...> too (include/, or the links above).
function(iommu_sim_package_library target name)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "HEADERS")
  list(TRANSFORM arg_HEADERS REPLACE "(.+)" "${PROJECT_SOURCE_DIR}/\\1/*.h" OUTPUT_VARIABLE patterns)
  file(GLOB headers CONFIGURE_DEPENDS ${patterns})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    set(scope INTERFACE)
  else()
    set(scope PUBLIC)
  endif()
  target_sources(${target} ${scope} FILE_SET HEADERS BASE_DIRS "${PROJECT_SOURCE_DIR}" FILES ${headers})
  target_include_directories(
    ${target} ${scope} "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>"
    "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR};${CMAKE_INSTALL_INCLUDEDIR}/iommu_sim>")
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  add_library(iommu_sim::${name} ALIAS ${target})
  install(TARGETS ${target} EXPORT iommu_sim_targets
          FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/iommu_sim")
endfunction()
