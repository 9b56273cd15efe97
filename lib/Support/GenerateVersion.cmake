#===- GenerateVersion.cmake - prism's version and commit, every build -----===#
#
# Run by `cmake -P` at every build (not only at configure time), so that the
# commit a tool prints is the one it was built from: writes OUT only when
# its content changes, so an unchanged commit rebuilds nothing.
#   -DSOURCE_DIR=<repo> -DOUT=<Version.inc> -DVERSION=<x.y.z>
#
#===----------------------------------------------------------------------===#

set(commit "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(
    COMMAND "${GIT_EXECUTABLE}" -C "${SOURCE_DIR}" describe --always --dirty
            --abbrev=12 --exclude=*
    OUTPUT_VARIABLE described OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE failed ERROR_QUIET)
  if(NOT failed AND described)
    set(commit "${described}")
  endif()
endif()
set(content "#define PRISM_VERSION \"${VERSION}\"\n#define PRISM_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT "${old}" STREQUAL "${content}")
  file(WRITE "${OUT}" "${content}")
endif()
