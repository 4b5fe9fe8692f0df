# Declarative helpers so each module's CMakeLists.txt is a list of targets.

function(amdrn_set_compile_options target)
  target_compile_features(${target} PUBLIC cxx_std_17)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter
                         -Wno-sign-compare -Wno-missing-field-initializers)
  if(AMDRN_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# amdrn_add_library(NAME SRCS a.cc b.cc DEPS lib1 lib2)
function(amdrn_add_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  amdrn_set_compile_options(${name})
endfunction()

# amdrn_add_test(NAME SRCS a_test.cc DEPS lib LABELS unit)
# One CTest entry per test executable; the working directory is the source root so tests
# find testdata/ by relative path.
function(amdrn_add_test name)
  if(NOT AMDRN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  amdrn_set_compile_options(${name})
  add_dependencies(${name} amdrn)  # end-to-end tests run the binary
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "AMDRN_BINARY=$<TARGET_FILE:amdrn>;AMDRN_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# amdrn_add_command(NAME SRCS cli/foo.cc DEPS amdrn_foo)
# A CLI subcommand: an object library linked whole into the amdrn binary, so the
# subcommand's static registration (AMDRN_REGISTER_COMMAND) is kept.
function(amdrn_add_command name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} OBJECT ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC amdrn_cli_common ${ARG_DEPS})
  amdrn_set_compile_options(${name})
  set_property(GLOBAL APPEND PROPERTY AMDRN_COMMANDS ${name})
endfunction()
