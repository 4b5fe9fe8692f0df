# synth_bench: synthetic-cohort generation speed and the agreement of label-based measurements
# (src/anatomy) with the generator's truth. Included from bench/CMakeLists.txt; run from the
# repository root: build/bench/synth_bench [--cases 40] [--full-cases 2] [--threads 2].
if(TARGET amdrn_synth AND TARGET amdrn_anatomy)
  add_executable(synth_bench ${CMAKE_CURRENT_LIST_DIR}/synth_bench.cc)
  target_link_libraries(synth_bench PRIVATE amdrn_synth amdrn_anatomy)
  target_include_directories(synth_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  amdrn_set_compile_options(synth_bench)
endif()
