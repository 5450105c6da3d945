#!/bin/sh
# The package as a project outside the tree uses it (docs/integration.md):
# installs the build into a fresh prefix, builds examples/custom_platform
# against it with find_package(iommu_sim) in a fresh build folder, runs it
# and compares what it prints. A header, target, dependency or definition
# the package lacks fails the configure, the compile or the link.
#   installed_example.sh CMAKE BUILD_DIR SOURCE_DIR SCRATCH CXX LINK_FLAGS [LAUNCHER]
# CXX and LINK_FLAGS are the build's compiler and the link flags its
# instrumentation needs: a sanitizer or coverage build's libraries need
# their runtimes where they are linked, and the package does not carry
# the project's flags.
set -eu
cmake=$1 build=$2 source=$3 scratch=$4 cxx=$5 link_flags=$6 launcher=${7:-}
rm -rf "$scratch"
"$cmake" --install "$build" --prefix "$scratch/prefix" >/dev/null
"$cmake" -S "$source/examples/custom_platform" -B "$scratch/build" \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_EXE_LINKER_FLAGS="$link_flags" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" >/dev/null
# The package found is the one just installed, not another on the system.
grep -q "^iommu_sim_DIR:PATH=$scratch/prefix/" "$scratch/build/CMakeCache.txt"
"$cmake" --build "$scratch/build" >/dev/null
SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "$scratch/build/custom_platform" >"$scratch/output.txt"
cat >"$scratch/expected.txt" <<'END'
translated: IOVA 0x100000 -> physical 0x200000, read "hello from memory"
read again: IOTLB hits 1
unmapped: IOVA 0x101000 -> Unsupported Request, fault reason 0x71 (SM: first-level entry not present)
END
diff -u "$scratch/expected.txt" "$scratch/output.txt"
