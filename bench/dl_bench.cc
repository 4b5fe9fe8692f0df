// Benchmarks of the DL score.
//   dl_bench throughput [options]  training samples/s of amdrn's LibTorch network against the
//       same network and step in PyTorch (bench/dl_peer.py, /usr/bin/python3), measured in the
//       same run; plus inference ms/case in fp32 and under CPU bf16 autocast.
//   dl_bench eval --model DIR [--compare CSV --compare-column COL]  test-split AUC (DeLong CI),
//       accuracy at the Youden cut-off fixed on the out-of-fold training scores, and a paired
//       DeLong test against another score of the same test cases (e.g. the radiomics model).
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <ATen/autocast_mode.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adamw.h>
#include <torch/version.h>

#include "core/csv.h"
#include "core/threads.h"
#include "dl/batch.h"
#include "dl/network.h"
#include "stats/roc.h"

namespace amdrn::dl {
namespace {

struct BenchOptions {
  NetConfig net;
  std::string attention = "cbam";
  int edge = 56, batch = 8, steps = 5, threads = 1;
};

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Training samples/s of the LibTorch network (one warm-up step, then `steps` timed steps).
double CppTrainRate(const BenchOptions& o, int64_t* parameters) {
  torch::manual_seed(1);
  AttentionResNet3d net(o.net);
  *parameters = CountParameters(*net);
  net->train();
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(1e-3));
  torch::Tensor x = torch::randn({o.batch, 4, o.edge, o.edge, o.edge});
  torch::Tensor y = torch::arange(o.batch).remainder(2).to(torch::kFloat32);
  auto step = [&] {
    namespace F = torch::nn::functional;
    torch::Tensor loss = F::binary_cross_entropy_with_logits(
        net->forward(x), y,
        F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(torch::ones({1})));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  };
  step();
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < o.steps; ++s) step();
  return o.steps * o.batch / Seconds(start);
}

// Inference ms per case (batch 1, eval mode), fp32 or bf16 autocast.
double CppInferMs(const BenchOptions& o, bool bf16) {
  torch::manual_seed(1);
  AttentionResNet3d net(o.net);
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = torch::randn({1, 4, o.edge, o.edge, o.edge});
  if (bf16) {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  net->forward(x);
  auto start = std::chrono::steady_clock::now();
  const int runs = 3;
  for (int r = 0; r < runs; ++r) net->forward(x);
  double ms = 1000 * Seconds(start) / runs;
  if (bf16) {
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }
  return ms;
}

std::string PeerCommand(const BenchOptions& o) {
  char cmd[512];
  std::snprintf(cmd, sizeof(cmd),
                "/usr/bin/python3 bench/dl_peer.py --depth %d --width %d --attention %s "
                "--reduction %d --stem-kernel %d --stem-stride %d %s --edge %d --batch %d "
                "--steps %d --threads %d",
                o.net.depth, o.net.base_width, o.attention.c_str(), o.net.reduction,
                o.net.stem_kernel, o.net.stem_stride, o.net.stem_max_pool ? "--max-pool" : "",
                o.edge, o.batch, o.steps, o.threads);
  return cmd;
}

// Runs the PyTorch peer; returns its JSON line or "" on failure.
std::string RunPeer(const BenchOptions& o) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(PeerCommand(o).c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string out;
  std::array<char, 512> buf;
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  return out;
}

int Throughput(const BenchOptions& o) {
  SetThreadCount(o.threads);
  EnsureTorchThreadHook();
  std::printf(
      "network: ResNet-%d %s width %d, input 4x%d^3, batch %d, %d timed steps, %d thread(s)\n",
      o.net.depth, o.attention.c_str(), o.net.base_width, o.edge, o.batch, o.steps, o.threads);
  int64_t params = 0;
  double cpp = CppTrainRate(o, &params);
  std::string peer = RunPeer(o);
  nlohmann::json pj = nlohmann::json::parse(peer, nullptr, false);
  std::printf("amdrn LibTorch %s: %lld parameters, %.3f train samples/s\n", TORCH_VERSION,
              static_cast<long long>(params), cpp);
  if (pj.is_discarded() || !pj.contains("samples_per_s")) {
    std::printf("PyTorch peer failed (command: %s)\n", PeerCommand(o).c_str());
    return 1;
  }
  double py = pj["samples_per_s"].get<double>();
  std::printf("PyTorch %s (python3-torch): %lld parameters, %.3f train samples/s\n",
              pj["torch"].get<std::string>().c_str(),
              static_cast<long long>(pj["parameters"].get<int64_t>()), py);
  std::printf("ratio amdrn / PyTorch: %.3f\n", cpp / py);
  double fp32 = CppInferMs(o, false), bf16 = CppInferMs(o, true);
  std::printf("inference per case (batch 1): fp32 %.1f ms, bf16 autocast %.1f ms (ratio %.2f)\n",
              fp32, bf16, bf16 / fp32);
  return 0;
}

// Scores by case id from `path`'s `column`; labels too when `labels` is given.
std::map<std::string, double> ReadScores(const std::string& path, const std::string& column,
                                         std::map<std::string, double>* labels) {
  std::map<std::string, double> out;
  auto table = ReadCsv(path);
  if (!table.ok()) return out;
  auto ids = table->Column("case_id");
  auto values = table->NumericColumn(column);
  auto y = table->NumericColumn("label");
  if (!ids.ok() || !values.ok()) return out;
  for (size_t i = 0; i < ids->size(); ++i) {
    out[(*ids)[i]] = (*values)[i];
    if (labels && y.ok()) (*labels)[(*ids)[i]] = (*y)[i];
  }
  return out;
}

int Eval(const std::string& model_dir, const std::string& compare, const std::string& column) {
  std::map<std::string, double> oof_y, test_y;
  auto oof = ReadScores(model_dir + "/oof_scores.csv", "dl_probability", &oof_y);
  auto test = ReadScores(model_dir + "/test_scores.csv", "dl_probability", &test_y);
  std::vector<double> yo, so, yt, st;
  for (auto& [id, s] : oof) { yo.push_back(oof_y[id]); so.push_back(s); }
  for (auto& [id, s] : test) { yt.push_back(test_y[id]); st.push_back(s); }
  auto auc_oof = stats::ComputeAucDelong(yo, so);
  auto auc_test = stats::ComputeAucDelong(yt, st);
  auto cutoff = stats::YoudenCutoff(yo, so);
  if (!auc_oof.ok() || !auc_test.ok() || !cutoff.ok()) {
    std::printf("eval needs oof_scores.csv and test_scores.csv with both outcomes in %s\n",
                model_dir.c_str());
    return 1;
  }
  auto m = stats::MetricsAtCutoff(yt, st, *cutoff, {0.95, 0, 1});
  std::printf("DL out-of-fold (train, n=%zu): AUC %.3f (95%% CI %.3f-%.3f)\n", so.size(),
              auc_oof->auc, auc_oof->ci_lower, auc_oof->ci_upper);
  std::printf("DL test (n=%zu, %d failures): AUC %.3f (95%% CI %.3f-%.3f, DeLong)\n", st.size(),
              auc_test->n_cases, auc_test->auc, auc_test->ci_lower, auc_test->ci_upper);
  std::printf("DL test accuracy at the OOF Youden cut-off p >= %.3f: %.3f (95%% CI %.3f-%.3f), "
              "sensitivity %.3f, specificity %.3f\n",
              *cutoff, m->accuracy.estimate, m->accuracy.ci_lower, m->accuracy.ci_upper,
              m->sensitivity.estimate, m->specificity.estimate);
  if (compare.empty()) return 0;
  auto other = ReadScores(compare, column, nullptr);
  std::vector<double> y2, a, b;
  for (auto& [id, s] : test) {
    if (!other.count(id)) continue;
    y2.push_back(test_y[id]);
    a.push_back(s);
    b.push_back(other[id]);
  }
  auto paired = stats::PairedDelongTest(y2, a, b);
  if (!paired.ok()) {
    std::printf("comparison failed: %s\n", paired.status().ToString().c_str());
    return 1;
  }
  std::printf("paired DeLong on %zu test cases: DL %.3f vs %s %.3f, difference %.3f "
              "(95%% CI %.3f to %.3f), p = %.4f\n",
              y2.size(), paired->auc1, column.c_str(), paired->auc2, paired->difference,
              paired->ci_lower, paired->ci_upper, paired->p_value);
  return 0;
}

}  // namespace
}  // namespace amdrn::dl

int main(int argc, char** argv) {
  using namespace amdrn::dl;
  CLI::App app("DL-score benchmarks", "dl_bench");
  app.require_subcommand(1);
  BenchOptions o;
  CLI::App* tp = app.add_subcommand("throughput", "training samples/s vs PyTorch");
  tp->add_option("--depth", o.net.depth)->capture_default_str();
  tp->add_option("--width", o.net.base_width)->capture_default_str();
  tp->add_option("--attention", o.attention)->capture_default_str();
  tp->add_option("--stem-stride", o.net.stem_stride)->capture_default_str();
  tp->add_option("--edge", o.edge, "ROI voxels per edge")->capture_default_str();
  tp->add_option("--batch", o.batch)->capture_default_str();
  tp->add_option("--steps", o.steps)->capture_default_str();
  tp->add_option("--threads", o.threads)->capture_default_str();
  std::string model_dir, compare, column = "rad_score";
  CLI::App* ev = app.add_subcommand("eval", "test AUC / accuracy of a trained model folder");
  ev->add_option("--model", model_dir)->required();
  ev->add_option("--compare", compare, "CSV with case_id and another score of the test cases");
  ev->add_option("--compare-column", column)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (tp->parsed()) {
    auto attention = ParseAttention(o.attention);
    if (!attention.ok()) return 2;
    o.net.attention = *attention;
    return Throughput(o);
  }
  return Eval(model_dir, compare, column);
}
