// Benchmark: 10-fold LASSO logistic CV (glmnet-compatible) on 500 patients x 2000 features,
// against R's cv.glmnet on the same data and folds in the same run. Prints seconds, the
// ratio and whether both chose the same lambda.min / lambda.1se.
// Usage: stats_lasso_bench [--rows 500] [--cols 2000] [--repeats 3] [--no-r]
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/threads.h"
#include "stats/lasso.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Data {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
};

// Correlated blocks of features; the outcome depends on 10 of them.
Data MakeData(int n, int p, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Data d{Eigen::MatrixXd(n, p), Eigen::VectorXd(n)};
  for (int i = 0; i < n; ++i) {
    double block = normal(rng);
    for (int j = 0; j < p; ++j) {
      if (j % 20 == 0) block = normal(rng);
      d.x(i, j) = 0.6 * block + 0.8 * normal(rng);
    }
  }
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    double eta = -0.4;
    for (int j = 0; j < 10; ++j) eta += (j % 2 ? -0.35 : 0.4) * d.x(i, j * 37);
    d.y[i] = uniform(rng) < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
  }
  return d;
}

void WriteCsv(const Data& d, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  for (Eigen::Index j = 0; j < d.x.cols(); ++j) std::fprintf(f, "f%ld,", static_cast<long>(j));
  std::fprintf(f, "y\n");
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    for (Eigen::Index j = 0; j < d.x.cols(); ++j) std::fprintf(f, "%.17g,", d.x(i, j));
    std::fprintf(f, "%.0f\n", d.y[i]);
  }
  std::fclose(f);
}

// Best wall-clock seconds; `cpu` receives the CPU seconds of that run (all threads).
double TimeAmdrn(const Data& d, int threads, int repeats, amdrn::stats::LassoCv* out,
                 double* cpu) {
  amdrn::stats::LassoCvOptions o;
  o.threads = threads;
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) o.fold_id.push_back(static_cast<int>(i % 10) + 1);
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    auto cv = amdrn::stats::CrossValidateLasso(d.x, d.y, o);
    const double c = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!cv.ok()) {
      std::fprintf(stderr, "amdrn CV failed: %s\n", cv.status().ToString().c_str());
      std::exit(1);
    }
    if (s < best) *cpu = c;
    best = std::min(best, s);
    *out = std::move(cv).value();
  }
  return best;
}

// Runs cv.glmnet in R on the same CSV; returns the best elapsed seconds (or -1) and the CPU
// seconds (user + system) of that run.
double TimeGlmnet(const std::string& csv, int repeats, double* lambda_min, double* lambda_1se,
                  double* cpu) {
  const std::string script = csv + ".R", result = csv + ".out";
  std::ofstream(script) << "suppressMessages(library(glmnet))\n"
                        << "d <- as.matrix(read.csv('" << csv << "'))\n"
                        << "x <- d[, -ncol(d)]; y <- d[, ncol(d)]\n"
                        << "foldid <- rep(1:10, length.out = nrow(x))\n"
                        << "best <- Inf; cpu <- NA\n"
                        << "for (r in 1:" << repeats << ") {\n"
                        << "  t <- system.time(cv <- cv.glmnet(x, y, family = 'binomial', "
                        << "foldid = foldid))\n"
                        << "  if (t[['elapsed']] < best) cpu <- t[['user.self']] + "
                        << "t[['sys.self']]\n"
                        << "  best <- min(best, t[['elapsed']])\n}\n"
                        << "cat(sprintf('%.17g %.17g %.17g %.17g\\n', best, cv$lambda.min, "
                        << "cv$lambda.1se, cpu), file = '" << result << "')\n";
  if (std::system(("Rscript " + script + " > /dev/null 2>&1").c_str()) != 0) return -1;
  double seconds = -1;
  std::ifstream(result) >> seconds >> *lambda_min >> *lambda_1se >> *cpu;
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int rows = 500, cols = 2000, repeats = 3;
  bool run_r = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) rows = std::atoi(argv[++i]);
    if (a == "--cols" && i + 1 < argc) cols = std::atoi(argv[++i]);
    if (a == "--repeats" && i + 1 < argc) repeats = std::atoi(argv[++i]);
    if (a == "--no-r") run_r = false;
  }
  const Data d = MakeData(rows, cols, 20261203);
  amdrn::stats::LassoCv cv1, cvn;
  const int threads = amdrn::GetThreadCount();
  double c1 = 0, cn = 0, cr = 0;
  const double t1 = TimeAmdrn(d, 1, repeats, &cv1, &c1);
  const double tn = TimeAmdrn(d, threads, repeats, &cvn, &cn);
  std::printf("stats_lasso_bench: %d x %d, 10-fold CV, %zu lambdas, best of %d\n", rows, cols,
              cv1.fit.lambda.size(), repeats);
  std::printf("amdrn  1 thread : %.3f s (cpu %.3f s)   lambda.min %.10g  lambda.1se %.10g\n",
              t1, c1, cv1.lambda_min, cv1.lambda_1se);
  std::printf("amdrn %2d threads: %.3f s (cpu %.3f s)\n", threads, tn, cn);
  if (!run_r) return 0;
  const std::string csv = "/tmp/amdrn_stats_lasso_bench_" + std::to_string(::getpid()) + ".csv";
  WriteCsv(d, csv);
  double lmin = 0, l1se = 0;
  const double tr = TimeGlmnet(csv, repeats, &lmin, &l1se, &cr);
  std::remove(csv.c_str());
  std::remove((csv + ".R").c_str());
  std::remove((csv + ".out").c_str());
  if (tr < 0) {
    std::printf("cv.glmnet: not run (Rscript with glmnet unavailable)\n");
    return 0;
  }
  std::printf("cv.glmnet       : %.3f s (cpu %.3f s)   lambda.min %.10g  lambda.1se %.10g\n", tr,
              cr, lmin, l1se);
  std::printf("ratio glmnet/amdrn wall: %.2fx (1 thread), %.2fx (%d threads); cpu (1 thread): "
              "%.2fx\n", tr / t1, tr / tn, threads, cr / c1);
  const bool same = std::fabs(lmin / cv1.lambda_min - 1) < 1e-9 &&
                    std::fabs(l1se / cv1.lambda_1se - 1) < 1e-9;
  std::printf("same lambda.min and lambda.1se as glmnet: %s\n", same ? "yes" : "NO");
  return same ? 0 : 1;
}
