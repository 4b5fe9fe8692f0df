# dl_bench: DL-score training throughput against the same network in PyTorch (bench/dl_peer.py,
# /usr/bin/python3 with python3-torch) measured in the same run, inference fp32 vs bf16, and the
# test-split evaluation of a trained model folder. Included from bench/CMakeLists.txt; run from
# the repository root: build/bench/dl_bench throughput [--edge 28 --width 8 --threads 1] or
# build/bench/dl_bench eval --model DIR.
if(TARGET amdrn_dl AND TARGET amdrn_stats)
  add_executable(dl_bench ${CMAKE_CURRENT_LIST_DIR}/dl_bench.cc)
  target_link_libraries(dl_bench PRIVATE amdrn_dl amdrn_stats)
  target_include_directories(dl_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  amdrn_set_compile_options(dl_bench)
endif()
