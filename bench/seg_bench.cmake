# seg_bench: segmentation engine speed and memory against PyTorch (bench/seg_peer.py).
# Included from bench/CMakeLists.txt; run from the repository root.
if(TARGET amdrn_seg_nn)
  add_executable(seg_bench ${CMAKE_CURRENT_LIST_DIR}/seg_bench.cc)
  target_link_libraries(seg_bench PRIVATE amdrn_seg_nn)
  target_include_directories(seg_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  amdrn_set_compile_options(seg_bench)
  target_precompile_headers(seg_bench REUSE_FROM amdrn_seg_nn)
endif()
