# Fails when a C++ file differs from its clang-format (LLVM style) output.
file(GLOB_RECURSE sources
  ${ROOT}/dialects/*.cpp ${ROOT}/dialects/*.h
  ${ROOT}/include/*.h ${ROOT}/include/*.hpp
  ${ROOT}/lib/*.cpp ${ROOT}/lib/*.h
  ${ROOT}/tools/*.cpp ${ROOT}/tools/*.h
  ${ROOT}/test/Unit/*.cpp ${ROOT}/test/Unit/*.h)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run --Werror ${sources}
                RESULT_VARIABLE result ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "clang-format: files need formatting:\n${errors}")
endif()
list(LENGTH sources count)
message(STATUS "clang-format: ${count} files checked, all formatted")
