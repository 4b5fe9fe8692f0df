# Radiomics extraction pipeline (filters, preprocessing, parameter files, extractor) and the
# `amdrn radiomics` command; included by this folder's CMakeLists.txt.
target_sources(amdrn_radiomics PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/filters.cc
  ${CMAKE_CURRENT_LIST_DIR}/filters_separable.cc
  ${CMAKE_CURRENT_LIST_DIR}/preprocess.cc
  ${CMAKE_CURRENT_LIST_DIR}/params.cc
  ${CMAKE_CURRENT_LIST_DIR}/extractor.cc
  ${CMAKE_CURRENT_LIST_DIR}/extractor_io.cc)
target_link_libraries(amdrn_radiomics PUBLIC amdrn_io yaml-cpp ${ITK_LIBRARIES})
target_include_directories(amdrn_radiomics PUBLIC ${ITK_INCLUDE_DIRS})

# The tests and the command link the feature families: declared once they all exist.
set(AMDRN_RADIOMICS_FAMILIES_READY TRUE)
foreach(src ${AMDRN_RADIOMICS_FEATURE_SRCS})
  if(NOT EXISTS ${CMAKE_CURRENT_LIST_DIR}/${src})
    set(AMDRN_RADIOMICS_FAMILIES_READY FALSE)
  endif()
endforeach()
if(NOT AMDRN_RADIOMICS_FAMILIES_READY)
  return()
endif()

set(AMDRN_PIPELINE_TESTS "")
foreach(test filters_test.cc preprocess_test.cc params_test.cc extractor_test.cc
             wavelet_lll_test.cc)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${test})
    list(APPEND AMDRN_PIPELINE_TESTS ${CMAKE_CURRENT_LIST_DIR}/${test})
  endif()
endforeach()
amdrn_add_test(radiomics_pipeline_test
  SRCS ${AMDRN_PIPELINE_TESTS}
  DEPS amdrn_radiomics amdrn_io
  TIMEOUT 300)

amdrn_add_command(amdrn_cmd_radiomics
  SRCS ${PROJECT_SOURCE_DIR}/src/cli/radiomics.cc
  DEPS amdrn_radiomics amdrn_io)
