# The evaluation half of the statistics module (ROC/DeLong, metrics, calibration, bootstrap
# validation, decision curves, nomogram, SVG figures); included by CMakeLists.txt.
target_sources(amdrn_stats PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/eval_pretty.cc
  ${CMAKE_CURRENT_LIST_DIR}/eval_lowess.cc
  ${CMAKE_CURRENT_LIST_DIR}/roc.cc
  ${CMAKE_CURRENT_LIST_DIR}/calibration.cc
  ${CMAKE_CURRENT_LIST_DIR}/decision_curve.cc
  ${CMAKE_CURRENT_LIST_DIR}/nomogram.cc
  ${CMAKE_CURRENT_LIST_DIR}/validate.cc
  ${CMAKE_CURRENT_LIST_DIR}/svg.cc
  ${CMAKE_CURRENT_LIST_DIR}/evaluation.cc
  ${CMAKE_CURRENT_LIST_DIR}/eval_model_nomogram.cc)

amdrn_add_test(amdrn_stats_eval_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/eval_pretty_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/roc_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/calibration_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/nomogram_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/validate_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/svg_test.cc
  DEPS amdrn_stats)

# Runs the amdrn binary (about 1 s of start-up per call on an idle machine).
amdrn_add_test(amdrn_stats_eval_cli_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/eval_cli_test.cc
  DEPS amdrn_stats
  LABELS e2e
  TIMEOUT 300)

# With R installed (r-cran-rms, r-cran-proc), regenerate the reference tables and check the
# committed ones are reproduced byte for byte (about 30 s; label r). They were made with Debian's
# reference BLAS; OpenBLAS (installed for LibTorch) changes the last digits of R's bootstrap
# calibration, so R runs with the reference BLAS preloaded (R's start-up script resets
# LD_LIBRARY_PATH).
set(_amdrn_lib "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
set(_amdrn_ref_blas "${_amdrn_lib}/blas/libblas.so.3:${_amdrn_lib}/lapack/liblapack.so.3")
find_program(AMDRN_RSCRIPT Rscript)
if(AMDRN_BUILD_TESTS AND AMDRN_RSCRIPT)
  add_test(NAME amdrn_stats_eval_r_reference
    COMMAND sh -c "d=$(mktemp -d) && LD_PRELOAD=${_amdrn_ref_blas} ${AMDRN_RSCRIPT} testdata/stats/eval/make_reference.R $d \
&& for f in $d/*; do cmp $f testdata/stats/eval/$(basename $f) || exit 1; done; rm -rf $d"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(amdrn_stats_eval_r_reference PROPERTIES LABELS r TIMEOUT 900)
endif()
