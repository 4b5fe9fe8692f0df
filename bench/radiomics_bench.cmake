# radiomics_bench: radiomics extractor speed and memory against PyRadiomics
# (bench/radiomics_peer.py). Included from bench/CMakeLists.txt; run from the repository root.
if(TARGET amdrn_radiomics AND EXISTS ${PROJECT_SOURCE_DIR}/src/radiomics/extractor.cc)
  add_executable(radiomics_bench ${CMAKE_CURRENT_LIST_DIR}/radiomics_bench.cc)
  target_link_libraries(radiomics_bench PRIVATE amdrn_radiomics amdrn_io
                        nlohmann_json::nlohmann_json)
  target_include_directories(radiomics_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  amdrn_set_compile_options(radiomics_bench)
endif()
