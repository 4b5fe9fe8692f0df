// The verbs of `amdrn seg`: each takes argv with argv[0] = "amdrn seg <verb>" and returns an
// exit code (src/cli/command.h). Data verbs (plan, preprocess, evaluate) are implemented in
// seg_data_verbs.cc, network verbs (train, predict, import-nnunet) beside the dispatcher in
// seg.cc.
#ifndef AMDRN_CLI_SEG_VERBS_H_
#define AMDRN_CLI_SEG_VERBS_H_

namespace amdrn::cli {

int RunSegPlan(int argc, char** argv);
int RunSegPreprocess(int argc, char** argv);
int RunSegEvaluate(int argc, char** argv);
int RunSegTrain(int argc, char** argv);
int RunSegPredict(int argc, char** argv);
int RunSegImportNnunet(int argc, char** argv);

}  // namespace amdrn::cli

#endif  // AMDRN_CLI_SEG_VERBS_H_
