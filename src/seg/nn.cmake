# The LibTorch half of the segmentation engine (networks, training, sliding-window
# prediction, checkpoints, nnU-Net import) and the `amdrn seg` command. Included from
# src/seg/CMakeLists.txt; LibTorch headers are confined to these sources and precompiled.
set(_seg_nn_dir ${CMAKE_CURRENT_LIST_DIR})
set(_seg_nn_sources network.cc torch_pickle.cc torch_threads.cc checkpoint.cc sliding_window.cc trainer.cc
    predictor.cc import_nnunet.cc trainer_pipeline.cc fused_unet.cc)
set(_seg_nn_srcs)
foreach(_src ${_seg_nn_sources})
  if(EXISTS ${_seg_nn_dir}/${_src})
    list(APPEND _seg_nn_srcs ${_seg_nn_dir}/${_src})
  endif()
endforeach()

# oneDNN (libdnnl-dev) for the fused inference engine: the same libdnnl.so.2 LibTorch uses.
# Found by hand: Debian's dnnl-config.cmake demands OpenCL (its GPU runtime), which we never use.
find_path(AMDRN_DNNL_INCLUDE oneapi/dnnl/dnnl.hpp REQUIRED)
find_library(AMDRN_DNNL_LIBRARY dnnl REQUIRED)
amdrn_add_library(amdrn_seg_nn SRCS ${_seg_nn_srcs} DEPS amdrn_seg ${TORCH_LIBRARIES}
                  ${AMDRN_DNNL_LIBRARY})
target_include_directories(amdrn_seg_nn PRIVATE ${AMDRN_DNNL_INCLUDE})
target_precompile_headers(amdrn_seg_nn PRIVATE <torch/torch.h>)

set(_seg_nn_tests network_test.cc sliding_window_test.cc trainer_test.cc
    import_nnunet_test.cc fused_unet_test.cc)
set(_seg_nn_test_srcs)
foreach(_src ${_seg_nn_tests})
  if(EXISTS ${_seg_nn_dir}/${_src})
    list(APPEND _seg_nn_test_srcs ${_seg_nn_dir}/${_src})
  endif()
endforeach()
amdrn_add_test(seg_nn_test SRCS ${_seg_nn_test_srcs} DEPS amdrn_seg_nn LABELS unit TIMEOUT 300)
if(TARGET seg_nn_test)
  target_precompile_headers(seg_nn_test REUSE_FROM amdrn_seg_nn)
endif()

set(_seg_cmd_srcs ${PROJECT_SOURCE_DIR}/src/cli/seg.cc ${PROJECT_SOURCE_DIR}/src/cli/seg_train_verbs.cc)
if(EXISTS ${PROJECT_SOURCE_DIR}/src/cli/seg_data_verbs.cc)
  list(APPEND _seg_cmd_srcs ${PROJECT_SOURCE_DIR}/src/cli/seg_data_verbs.cc)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/src/cli/seg.cc)
  amdrn_add_command(amdrn_cmd_seg SRCS ${_seg_cmd_srcs} DEPS amdrn_seg_nn amdrn_io)
endif()
