# fastimg_library(name SOURCES ... DEPS ... [TORCH]): one library per src/ folder.
# TORCH libraries share one precompiled <torch/torch.h> (building it costs ~30 s on 2 cores, once).
# -Wno-restrict, -Wno-stringop-overflow: GCC 12 false positives inside std::string (GCC bugs 105329, 106199).
set(FASTIMG_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter -Wno-restrict -Wno-stringop-overflow)

add_library(fastimg_torch_pch STATIC ${CMAKE_SOURCE_DIR}/cmake/torch_pch.cc)
target_link_libraries(fastimg_torch_pch PUBLIC fastimg_torch)
target_compile_options(fastimg_torch_pch PRIVATE ${FASTIMG_WARNINGS})
target_precompile_headers(fastimg_torch_pch PRIVATE <torch/torch.h>)
# Libraries are position-independent so that the Python module (a shared object) can link them; a
# precompiled header is only used with the code model it was built with, so they get their own.
add_library(fastimg_torch_pch_pic STATIC ${CMAKE_SOURCE_DIR}/cmake/torch_pch.cc)
set_target_properties(fastimg_torch_pch_pic PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(fastimg_torch_pch_pic PUBLIC fastimg_torch)
target_compile_options(fastimg_torch_pch_pic PRIVATE ${FASTIMG_WARNINGS})
target_precompile_headers(fastimg_torch_pch_pic PRIVATE <torch/torch.h>)

function(fastimg_library name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${FASTIMG_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  if(ARG_TORCH)
    target_link_libraries(${name} PUBLIC fastimg_torch)
    target_precompile_headers(${name} REUSE_FROM fastimg_torch_pch_pic)
  endif()
endfunction()

# fastimg_test(name SOURCES ... DEPS ... [TORCH] [LABELS ...]): one GoogleTest binary, every
# TEST registered with ctest. Tests find shared/ and the source tree through the environment.
function(fastimg_test name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/tests)
  target_compile_options(${name} PRIVATE ${FASTIMG_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} fastimg_test_support GTest::gtest_main)
  if(ARG_TORCH)
    target_link_libraries(${name} PRIVATE fastimg_torch)
    target_precompile_headers(${name} REUSE_FROM fastimg_torch_pch)
  endif()
  set(labels ${ARG_LABELS})
  if(NOT labels)
    set(labels fast)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES
      LABELS "${labels}"
      TIMEOUT 1200
      # One variable only: gtest_discover_tests splits list values (paths come compiled into
      # test_support instead). Two intra-op threads match the CI machine.
      ENVIRONMENT "OMP_NUM_THREADS=2")
endfunction()

function(fastimg_benchmark name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${FASTIMG_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  if(ARG_TORCH)
    target_link_libraries(${name} PRIVATE fastimg_torch)
    target_precompile_headers(${name} REUSE_FROM fastimg_torch_pch)
  endif()
endfunction()
