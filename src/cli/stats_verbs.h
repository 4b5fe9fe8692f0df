// Verbs of `amdrn stats` implemented outside src/cli/stats.cc (the evaluation side:
// ROC/DeLong, metrics, calibration, decision curves, nomogram). stats.cc dispatches to
// them when the build defines AMDRN_HAVE_STATS_EVAL. Each takes argv with argv[0] =
// "amdrn stats <verb>" and returns an exit code from cli/command.h.
#ifndef AMDRN_CLI_STATS_VERBS_H_
#define AMDRN_CLI_STATS_VERBS_H_

namespace amdrn::cli {

int RunStatsEvaluate(int argc, char** argv);
int RunStatsNomogram(int argc, char** argv);
int RunStatsCompare(int argc, char** argv);

}  // namespace amdrn::cli

#endif  // AMDRN_CLI_STATS_VERBS_H_
