// Builds the nomogram of a saved model file (stats/model_io.h LinearModel: design spec,
// optional z-scoring, coefficients) from its training table, and scores patients from any
// table with the same columns. Categorical variables become one axis with all levels;
// numeric design columns (including missing-value indicators) one axis each; z-scoring is
// folded into the coefficients so axes are in the variables' own units. Pure, thread-safe.
#ifndef AMDRN_STATS_EVAL_MODEL_NOMOGRAM_H_
#define AMDRN_STATS_EVAL_MODEL_NOMOGRAM_H_

#include <Eigen/Dense>
#include <vector>

#include "core/csv.h"
#include "core/status.h"
#include "stats/model_io.h"
#include "stats/nomogram.h"

namespace amdrn::stats {

struct ModelNomogram {
  double intercept = 0;                        // on the variables' own scale
  std::vector<NomogramTermInput> terms;        // one per nomogram axis
  std::vector<std::vector<int>> term_columns;  // design columns of each term
  Nomogram nomogram;
  Eigen::MatrixXd training_x;  // design of the training table (rows kept)
  std::vector<int> training_rows;
};

// Errors: those of BuildDesign on the training table; FailedPrecondition when the design's
// columns differ from the model's; those of BuildNomogram.
StatusOr<ModelNomogram> NomogramFromModel(const LinearModel& model, const CsvTable& training,
                                          const NomogramOptions& options = {});

struct TablePoints {
  std::vector<int> rows;  // CSV row of each patient scored
  std::vector<PatientPoints> points;
  int rows_dropped = 0;  // listwise policy
};

// Each patient's points breakdown. Errors: those of BuildDesign; ScorePatient.
StatusOr<TablePoints> ScoreTable(const ModelNomogram& nomogram, const LinearModel& model,
                                 const CsvTable& table);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_EVAL_MODEL_NOMOGRAM_H_
