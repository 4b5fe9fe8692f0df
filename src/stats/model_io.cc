#include "stats/model_io.h"

#include "core/file_util.h"
#include "stats/logistic.h"

namespace amdrn::stats {
namespace {

constexpr char kFormat[] = "amdrn-linear-model";
constexpr int kVersion = 1;

std::vector<double> ToVector(const Eigen::VectorXd& v) { return {v.data(), v.data() + v.size()}; }

Eigen::VectorXd FromVector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), v.size());
}

}  // namespace

nlohmann::json LinearModelToJson(const LinearModel& m) {
  return {{"format", kFormat},
          {"version", kVersion},
          {"kind", m.kind},
          {"outcome", m.outcome},
          {"score_name", m.score_name},
          {"design", DesignToJson(m.design)},
          {"columns", m.columns},
          {"intercept", m.intercept},
          {"coefficients", ToVector(m.coefficients)},
          {"center", ToVector(m.center)},
          {"scale", ToVector(m.scale)},
          {"details", m.details}};
}

StatusOr<LinearModel> LinearModelFromJson(const nlohmann::json& j) {
  LinearModel m;
  try {
    if (j.at("format").get<std::string>() != kFormat || j.at("version").get<int>() != kVersion) {
      return InvalidArgumentError(std::string("expected a model file of format ") + kFormat +
                                  " version 1, found another format or version");
    }
    m.kind = j.at("kind").get<std::string>();
    m.outcome = j.at("outcome").get<std::string>();
    m.score_name = j.at("score_name").get<std::string>();
    AMDRN_ASSIGN_OR_RETURN(m.design, DesignFromJson(j.at("design")));
    m.columns = j.at("columns").get<std::vector<std::string>>();
    m.intercept = j.at("intercept").get<double>();
    m.coefficients = FromVector(j.at("coefficients").get<std::vector<double>>());
    m.center = FromVector(j.at("center").get<std::vector<double>>());
    m.scale = FromVector(j.at("scale").get<std::vector<double>>());
    if (j.contains("details")) m.details = j.at("details");
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("expected a valid model file, found: ") + e.what());
  }
  const size_t n = m.columns.size();
  if (static_cast<size_t>(m.coefficients.size()) != n || static_cast<size_t>(m.center.size()) != n ||
      static_cast<size_t>(m.scale.size()) != n || !(m.scale.array() > 0).all()) {
    return InvalidArgumentError("expected one coefficient, centre and positive scale per model "
                                "column, found mismatched lengths or a zero scale");
  }
  return m;
}

Status SaveLinearModel(const LinearModel& model, const std::string& path) {
  return WriteFileAtomic(path, LinearModelToJson(model).dump(2) + "\n");
}

StatusOr<LinearModel> LoadLinearModel(const std::string& path) {
  AMDRN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLossError("expected JSON in model file " + path + ", found invalid text");
  StatusOr<LinearModel> m = LinearModelFromJson(j);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

StatusOr<Prediction> PredictTable(const LinearModel& model, const CsvTable& table) {
  AMDRN_ASSIGN_OR_RETURN(DesignMatrix d, BuildDesign(model.design, table));
  if (d.columns != model.columns) {
    return FailedPreconditionError("expected the design columns stored in the model, found a "
                                   "different set (the model file is inconsistent)");
  }
  Prediction p;
  p.rows = d.rows;
  p.rows_dropped = d.rows_dropped;
  p.imputed = d.imputed;
  const Eigen::MatrixXd z =
      (d.x.rowwise() - model.center.transpose()).array().rowwise() / model.scale.transpose().array();
  p.linear_predictor = z * model.coefficients;
  p.linear_predictor.array() += model.intercept;
  p.probability = p.linear_predictor.unaryExpr([](double e) { return Logistic(e); });
  return p;
}

}  // namespace amdrn::stats
