// A reader for PyTorch `torch.save` zip archives (pickle protocols 2-4), written for nnU-Net
// checkpoints, which LibTorch 1.13's own unpickler rejects (OrderedDict, numpy scalars,
// CUDA storage locations). It needs no Python: the archive's data.pkl is interpreted by a
// small pickle machine that rebuilds tensors (always on the CPU), dicts, lists, tuples and
// scalars, decodes numpy scalars, and keeps any other object as an opaque PyValue.
// Functions are thread-safe; returned values are owned by the caller.
#ifndef AMDRN_SEG_TORCH_PICKLE_H_
#define AMDRN_SEG_TORCH_PICKLE_H_

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace amdrn::seg {

struct PyValue;
using PyValuePtr = std::shared_ptr<PyValue>;

struct PyValue {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kList, kTuple, kDict, kTensor,
                    kGlobal, kObject };
  Kind kind = Kind::kNone;
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0.0;
  std::string text;                 // string, bytes, or "module.name" of a global / object class
  std::vector<PyValuePtr> items;    // list or tuple items; object constructor arguments
  std::vector<std::pair<PyValuePtr, PyValuePtr>> dict;  // dict entries in insertion order
  PyValuePtr state;                 // object state given by BUILD
  at::Tensor tensor;

  bool IsString() const { return kind == Kind::kString; }
  // Dict lookup by string key; nullptr when absent or not a dict.
  PyValuePtr Get(const std::string& key) const;
};

// Reads `path` (a zip archive written by torch.save). NotFound if missing; DataLoss if it is
// not such an archive or its pickle cannot be interpreted.
StatusOr<PyValuePtr> ReadTorchSave(const std::string& path);

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_TORCH_PICKLE_H_
