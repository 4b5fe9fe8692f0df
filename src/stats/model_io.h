// A fitted linear-logistic model as a self-contained JSON document: the design (variables,
// factor levels, imputation values, missing policy), optional z-scoring of design columns
// (training mean and SD) and the coefficients. `amdrn stats predict` applies it unchanged
// to new tables. Value types; functions are pure apart from file I/O (atomic writes).
#ifndef AMDRN_STATS_MODEL_IO_H_
#define AMDRN_STATS_MODEL_IO_H_

#include <string>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "core/csv.h"
#include "core/status.h"
#include "stats/design.h"

namespace amdrn::stats {

struct LinearModel {
  std::string kind;                  // "clinical", "radiomics" or "logistic"
  std::string outcome;               // outcome column at training
  std::string score_name = "score";  // name of the linear predictor column in outputs
  DesignSpec design;
  std::vector<std::string> columns;  // design columns, in BuildDesign order
  double intercept = 0;
  Eigen::VectorXd coefficients;      // per column
  Eigen::VectorXd center, scale;     // per column; the model uses (x - center) / scale
  nlohmann::json details;            // fit summary kept for the record (not used to predict)
};

struct Prediction {
  std::vector<int> rows;             // CSV row index of each prediction
  Eigen::VectorXd linear_predictor, probability;
  int rows_dropped = 0;              // listwise policy
  std::vector<int> imputed;          // per design variable
};

nlohmann::json LinearModelToJson(const LinearModel& model);
StatusOr<LinearModel> LinearModelFromJson(const nlohmann::json& j);
Status SaveLinearModel(const LinearModel& model, const std::string& path);
StatusOr<LinearModel> LoadLinearModel(const std::string& path);

// Applies the model to a table. Errors: those of BuildDesign (missing column, unseen level,
// missing values under the refuse policy); FailedPrecondition if the design columns differ
// from the model's (a corrupted model file).
StatusOr<Prediction> PredictTable(const LinearModel& model, const CsvTable& table);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_MODEL_IO_H_
