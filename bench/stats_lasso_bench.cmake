# 10-fold LASSO CV, 500 x 2000, against cv.glmnet in the same run (needs Rscript + glmnet
# for the peer; runs alone otherwise).
add_executable(stats_lasso_bench ${CMAKE_CURRENT_SOURCE_DIR}/stats_lasso_bench.cc)
target_link_libraries(stats_lasso_bench PRIVATE amdrn_stats)
amdrn_set_compile_options(stats_lasso_bench)
