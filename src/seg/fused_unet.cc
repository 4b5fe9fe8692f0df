#include "seg/fused_unet.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <list>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/logging.h"

namespace amdrn::seg {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

// ---------------------------------------------------------------------------------------
// Instance norm + LeakyReLU (+ residual add), our kernel.
//
// An activation is seen as (batch, channel block, voxel, lane) with 16 lanes per block:
// nCdhw16c is exactly that (padded lanes stay 0 because their gamma and beta are 0); ndhwc is
// the same with a voxel stride of C and a partial last block.

constexpr int kLanes = 16;
constexpr int64_t kChunkVoxels = 8192;  // voxels per parallel task

struct NormJob {
  char* data = nullptr;             // normalised in place
  const char* residual = nullptr;   // same layout, added after the norm; may be null
  bool bf16 = false;
  bool blocked = true;
  int channels = 0;
  int64_t batch = 1, blocks = 1, voxels = 1;
  int64_t n_stride = 0, block_stride = 0, voxel_stride = 0;  // in elements
  int64_t chunks = 1;
  float slope = 1.0f;  // 1: no activation

  int64_t tasks() const { return batch * blocks * chunks; }
  int lanes(int64_t block) const {
    if (blocked) return kLanes;
    return static_cast<int>(std::min<int64_t>(kLanes, channels - block * kLanes));
  }
};

#define AMDRN_AI inline __attribute__((always_inline))

AMDRN_AI float Load(float v) { return v; }
AMDRN_AI float Load(uint16_t v) {
  uint32_t bits = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
AMDRN_AI void Store(float x, float* out) { *out = x; }
AMDRN_AI void Store(float x, uint16_t* out) {  // round to nearest even
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  *out = static_cast<uint16_t>(bits >> 16);
}

// Shifted sums (x - shift) and squares over `count` voxels, accumulated in float over runs of
// 64 voxels and in double across runs.
template <typename T, int kFixed>
AMDRN_AI void StatsRange(const T* p, int64_t count, int64_t stride, int lanes_in,
                         const float* shift_in, double* sum, double* sq) {
  const int lanes = kFixed ? kFixed : lanes_in;
  float shift[kLanes];
  for (int b = 0; b < kLanes; ++b) shift[b] = shift_in[b];
  for (int64_t i = 0; i < count;) {
    const int64_t end = std::min(count, i + 64);
    float s[kLanes] = {0}, q[kLanes] = {0};
    for (; i < end; ++i) {
      const T* __restrict v = p + i * stride;
      for (int b = 0; b < lanes; ++b) {
        float x = Load(v[b]) - shift[b];
        s[b] += x;
        q[b] += x * x;
      }
    }
    for (int b = 0; b < lanes; ++b) {
      sum[b] += s[b];
      sq[b] += q[b];
    }
  }
}

template <typename T, bool kResidual, int kFixed>
AMDRN_AI void ApplyRange(T* p, const T* r, int64_t count, int64_t stride, int lanes_in,
                         const float* scale_in, const float* shift_in, float slope) {
  const int lanes = kFixed ? kFixed : lanes_in;
  // Local copies so the compiler knows the output cannot alias them (and vectorises).
  float scale[kLanes], shift[kLanes];
  for (int b = 0; b < kLanes; ++b) {
    scale[b] = scale_in[b];
    shift[b] = shift_in[b];
  }
  for (int64_t i = 0; i < count; ++i) {
    T* __restrict v = p + i * stride;
    const T* __restrict rv = kResidual ? r + i * stride : nullptr;
    float x[kLanes];
    for (int b = 0; b < lanes; ++b) {
      float y = Load(v[b]) * scale[b] + shift[b];
      if (kResidual) y += Load(rv[b]);
      x[b] = y > 0.0f ? y : y * slope;
    }
    for (int b = 0; b < lanes; ++b) Store(x[b], v + b);
  }
}

struct TaskRange {
  int64_t offset, count;  // element offset, voxels
  int64_t n, block;
  int lanes;
};

TaskRange Locate(const NormJob& job, int64_t task) {
  TaskRange r;
  const int64_t chunk = task % job.chunks;
  r.block = (task / job.chunks) % job.blocks;
  r.n = task / (job.chunks * job.blocks);
  const int64_t chunk_voxels = (job.voxels + job.chunks - 1) / job.chunks;
  const int64_t first = chunk * chunk_voxels;
  r.count = std::max<int64_t>(0, std::min(chunk_voxels, job.voxels - first));
  r.offset = r.n * job.n_stride + r.block * job.block_stride + first * job.voxel_stride;
  r.lanes = job.lanes(r.block);
  return r;
}

template <typename T>
void FirstVoxel(const NormJob& job, int64_t n, int64_t block, float* out) {
  const T* p = reinterpret_cast<const T*>(job.data) + n * job.n_stride + block * job.block_stride;
  for (int b = 0; b < kLanes; ++b) out[b] = b < job.lanes(block) ? Load(p[b]) : 0.0f;
}

template <typename T>
AMDRN_AI void StatsTyped(const NormJob& job, const TaskRange& r, const float* shift, double* out) {
  const T* p = reinterpret_cast<const T*>(job.data) + r.offset;
  if (r.lanes == kLanes) {
    StatsRange<T, kLanes>(p, r.count, job.voxel_stride, r.lanes, shift, out, out + kLanes);
  } else {
    StatsRange<T, 0>(p, r.count, job.voxel_stride, r.lanes, shift, out, out + kLanes);
  }
}

template <typename T>
AMDRN_AI void ApplyTyped(const NormJob& job, const TaskRange& r, const float* scale,
                         const float* shift) {
  T* p = reinterpret_cast<T*>(job.data) + r.offset;
  const T* res = job.residual ? reinterpret_cast<const T*>(job.residual) + r.offset : nullptr;
  const int64_t n = r.count, stride = job.voxel_stride;
  if (r.lanes == kLanes && res) {
    ApplyRange<T, true, kLanes>(p, res, n, stride, r.lanes, scale, shift, job.slope);
  } else if (r.lanes == kLanes) {
    ApplyRange<T, false, kLanes>(p, res, n, stride, r.lanes, scale, shift, job.slope);
  } else if (res) {
    ApplyRange<T, true, 0>(p, res, n, stride, r.lanes, scale, shift, job.slope);
  } else {
    ApplyRange<T, false, 0>(p, res, n, stride, r.lanes, scale, shift, job.slope);
  }
}

// One task's partial sums (out[0..15] sums, out[16..31] sums of squares) and one task's
// normalisation, compiled twice: for AVX-512 (chosen at run time) and for the baseline ISA.
#define AMDRN_NORM_TASKS(SUFFIX, ATTRIBUTES)                                                   \
  ATTRIBUTES void StatsTask##SUFFIX(const NormJob& job, int64_t task, const float* shift,     \
                                    double* out) {                                            \
    TaskRange r = Locate(job, task);                                                          \
    if (job.bf16) {                                                                           \
      StatsTyped<uint16_t>(job, r, shift, out);                                               \
    } else {                                                                                  \
      StatsTyped<float>(job, r, shift, out);                                                  \
    }                                                                                         \
  }                                                                                           \
  ATTRIBUTES void ApplyTask##SUFFIX(const NormJob& job, int64_t task, const float* scale,     \
                                    const float* shift) {                                     \
    TaskRange r = Locate(job, task);                                                          \
    if (job.bf16) {                                                                           \
      ApplyTyped<uint16_t>(job, r, scale, shift);                                             \
    } else {                                                                                  \
      ApplyTyped<float>(job, r, scale, shift);                                                \
    }                                                                                         \
  }

AMDRN_NORM_TASKS(Avx512, __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma"))))
AMDRN_NORM_TASKS(Baseline, )
#undef AMDRN_NORM_TASKS

bool HasAvx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return yes;
}

void StatsTask(const NormJob& job, int64_t task, const float* shift, double* out) {
  HasAvx512() ? StatsTaskAvx512(job, task, shift, out) : StatsTaskBaseline(job, task, shift, out);
}

void ApplyTask(const NormJob& job, int64_t task, const float* scale, const float* shift) {
  HasAvx512() ? ApplyTaskAvx512(job, task, scale, shift)
              : ApplyTaskBaseline(job, task, scale, shift);
}

// y = act(gamma * (x - mean) / sqrt(var + eps) + beta [+ residual]), statistics per
// (sample, channel) over the voxels (biased variance, as InstanceNorm3d).
void RunNorm(const NormJob& job, const std::vector<float>& gamma, const std::vector<float>& beta,
             double eps) {
  const int64_t groups = job.batch * job.blocks;
  std::vector<float> first(groups * kLanes);
  for (int64_t g = 0; g < groups; ++g) {
    if (job.bf16) {
      FirstVoxel<uint16_t>(job, g / job.blocks, g % job.blocks, &first[g * kLanes]);
    } else {
      FirstVoxel<float>(job, g / job.blocks, g % job.blocks, &first[g * kLanes]);
    }
  }
  std::vector<double> partial(job.tasks() * 2 * kLanes, 0.0);
  at::parallel_for(0, job.tasks(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      StatsTask(job, t, &first[(t / job.chunks) * kLanes], &partial[t * 2 * kLanes]);
    }
  });
  std::vector<float> scale(groups * kLanes, 0.0f), shift(groups * kLanes, 0.0f);
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t block = g % job.blocks;
    for (int b = 0; b < job.lanes(block); ++b) {
      const int64_t c = block * kLanes + b;
      if (c >= job.channels) continue;  // padded lane: stays 0
      double s = 0, q = 0;
      for (int64_t k = 0; k < job.chunks; ++k) {
        s += partial[(g * job.chunks + k) * 2 * kLanes + b];
        q += partial[(g * job.chunks + k) * 2 * kLanes + kLanes + b];
      }
      const double mean_shifted = s / job.voxels;
      const double var = std::max(0.0, q / job.voxels - mean_shifted * mean_shifted);
      const double mean = first[g * kLanes + b] + mean_shifted;
      const double a = gamma[c] / std::sqrt(var + eps);
      scale[g * kLanes + b] = static_cast<float>(a);
      shift[g * kLanes + b] = static_cast<float>(beta[c] - mean * a);
    }
  }
  at::parallel_for(0, job.tasks(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t g = t / job.chunks;
      ApplyTask(job, t, &scale[g * kLanes], &shift[g * kLanes]);
    }
  });
}

// ---------------------------------------------------------------------------------------
// The network as the engine sees it.

// ---------------------------------------------------------------------------------------
// Depth-to-space for transposed convolutions whose kernel equals their stride (nnU-Net's
// upsampling): such a layer is a 1x1x1 convolution to k*C channels (k = kernel volume, group j
// holds kernel offset j for all C outputs) whose groups are then scattered to the k positions
// of each output cell. The scatter copies runs of `run` elements (one 16-lane block, or all C
// channels of a voxel in channels-last).

struct ShuffleJob {
  const char* src = nullptr;
  char* dst = nullptr;
  int64_t elem = 4;                  // bytes per element
  int64_t batch = 1, blocks = 1, run = 16;
  int64_t stride[3] = {2, 2, 2};     // z, y, x
  int64_t in[3] = {1, 1, 1};         // source spatial size
  int64_t src_n = 0, src_group = 0, src_block = 0, src_voxel = 0;  // strides in elements
  int64_t dst_n = 0, dst_block = 0, dst_voxel = 0;

  int64_t rows() const { return batch * blocks * in[0] * stride[0] * in[1] * stride[1]; }
};

template <int kBytes>
AMDRN_AI void CopyRow(const ShuffleJob& job, const char* src_cell, char* dst_row, int64_t a_b) {
  const int64_t sx = job.stride[2];
  const int64_t out_x = job.in[2] * sx;
  const int64_t bytes = kBytes ? kBytes : job.run * job.elem;
  for (int64_t xx = 0; xx < out_x; ++xx) {
    const int64_t x = xx / sx, group = a_b * sx + xx % sx;
    const char* from = src_cell + (group * job.src_group + x * job.src_voxel) * job.elem;
    std::memcpy(dst_row + xx * job.dst_voxel * job.elem, from, bytes);
  }
}

void RunShuffle(const ShuffleJob& job) {
  const int64_t out_y = job.in[1] * job.stride[1], out_z = job.in[0] * job.stride[0];
  const int64_t run_bytes = job.run * job.elem;
  at::parallel_for(0, job.rows(), 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t rest = r;
      const int64_t yy = rest % out_y;
      rest /= out_y;
      const int64_t zz = rest % out_z;
      rest /= out_z;
      const int64_t b = rest % job.blocks, n = rest / job.blocks;
      const int64_t z = zz / job.stride[0], y = yy / job.stride[1];
      const int64_t a_b = (zz % job.stride[0]) * job.stride[1] + yy % job.stride[1];
      const char* src_cell =
          job.src + (n * job.src_n + b * job.src_block +
                     (z * job.in[1] + y) * job.in[2] * job.src_voxel) * job.elem;
      char* dst_row = job.dst + (n * job.dst_n + b * job.dst_block +
                                 (zz * out_y + yy) * job.in[2] * job.stride[2] * job.dst_voxel) *
                                    job.elem;
      switch (run_bytes) {
        case 32: CopyRow<32>(job, src_cell, dst_row, a_b); break;
        case 64: CopyRow<64>(job, src_cell, dst_row, a_b); break;
        default: CopyRow<0>(job, src_cell, dst_row, a_b); break;
      }
    }
  });
}

struct ConvLayer {
  at::Tensor weight;  // float32 (O, I, kd, kh, kw), contiguous
  at::Tensor bias;    // float32 (O) or undefined
  memory::dims stride, pad;
  bool norm = false, act = false;
  std::vector<float> gamma, beta;
  // Weights reordered for a primitive, by the format it asked for.
  std::vector<std::pair<memory::desc, memory>> prepared;
};

struct ResBlock {
  std::vector<int> convs;
  bool residual = false;
  memory::dims pool = {1, 1, 1};
  int skip_conv = -1;
};

struct Act {
  memory::desc md;
  int buffer = -1;    // -1: the user's input
  size_t offset = 0;  // bytes into the buffer
};

struct Step {
  const char* kind;
  std::function<void(dnnl::stream&)> run;
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Everything one input shape needs: buffers, primitives and their arguments, in order.
struct Plan {
  std::vector<std::unique_ptr<char, FreeDeleter>> buffers;
  std::vector<size_t> sizes;
  std::vector<int> refs;
  std::vector<Step> steps;
  memory input, output;
};

memory::dims Dims5(int64_t n, int64_t c, const memory::dims& spatial) {
  return {n, c, spatial[0], spatial[1], spatial[2]};
}

}  // namespace

struct FusedUNet::Impl {
  NetworkSpec spec;
  FusedUNetOptions options;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::vector<ConvLayer> convs;
  std::vector<int> stem;
  std::vector<std::vector<ResBlock>> encoder;
  std::vector<ConvLayer> deconvs;  // weight already (O, I, k...) = transposed
  // deconvs[d] as a 1x1x1 convolution to k*O channels (ShuffleJob); no weight when its kernel
  // differs from its stride or options.pointwise_upsampling is off.
  std::vector<ConvLayer> pointwise_ups;
  std::vector<std::vector<int>> decoder;
  int seg_head = -1;
  std::list<std::pair<std::vector<int64_t>, std::unique_ptr<Plan>>> plans;  // most recent first
  std::map<std::string, double> profile;

  Dt act_dt() const { return options.precision == Precision::kBFloat16 ? Dt::bf16 : Dt::f32; }
  Tag act_tag() const {
    return options.layout == ActivationLayout::kBlocked16 ? Tag::nCdhw16c : Tag::ndhwc;
  }

  Status Load(const UNet& net);
  std::unique_ptr<Plan> BuildPlan(const std::vector<int64_t>& shape);
};

namespace {

// Plan construction: a buffer pool with reference counts (best fit among free buffers).
class Planner {
 public:
  Planner(FusedUNet::Impl* impl, Plan* plan) : impl_(impl), plan_(plan) {}

  int Acquire(size_t bytes) {
    int best = -1;
    for (size_t i = 0; i < plan_->sizes.size(); ++i) {
      if (plan_->refs[i] == 0 && plan_->sizes[i] >= bytes &&
          (best < 0 || plan_->sizes[i] < plan_->sizes[best])) {
        best = static_cast<int>(i);
      }
    }
    if (best >= 0) {
      plan_->refs[best] = 1;
      return best;
    }
    size_t rounded = (bytes + 63) / 64 * 64;
    plan_->buffers.emplace_back(static_cast<char*>(std::aligned_alloc(64, rounded)));
    plan_->sizes.push_back(rounded);
    plan_->refs.push_back(1);
    return static_cast<int>(plan_->sizes.size()) - 1;
  }
  void Retain(const Act& a) {
    if (a.buffer >= 0) ++plan_->refs[a.buffer];
  }
  void Release(const Act& a) {
    if (a.buffer >= 0) --plan_->refs[a.buffer];
  }
  Act NewAct(const memory::desc& md) { return {md, Acquire(md.get_size()), 0}; }
  char* Data(const Act& a) { return plan_->buffers[a.buffer].get() + a.offset; }
  memory Mem(const Act& a) {
    if (a.buffer < 0) return plan_->input;
    return memory(a.md, impl_->engine, Data(a));
  }
  // `out` if given (its descriptor must be what the primitive writes), else a new activation.
  Act Output(const memory::desc& md, const Act* out) {
    if (!out) return NewAct(md);
    if (out->md != md) throw std::logic_error("fused U-Net: unexpected output layout");
    return *out;
  }
  void Add(const char* kind, std::function<void(dnnl::stream&)> run) {
    plan_->steps.push_back({kind, std::move(run)});
  }
  void AddPrimitive(const char* kind, dnnl::primitive prim,
                    std::unordered_map<int, memory> args) {
    Add(kind, [prim, args](dnnl::stream& s) { prim.execute(s, args); });
  }
  // Copies `from` into a new activation of descriptor `md` (a reorder step).
  Act Reorder(const Act& from, const memory::desc& md) {
    Act to = NewAct(md);
    memory src = Mem(from), dst = Mem(to);
    AddPrimitive("reorder", dnnl::reorder(src, dst), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
    return to;
  }

  memory Weights(ConvLayer& layer, const memory::desc& want, bool deconv) {
    for (auto& [md, mem] : layer.prepared) {
      if (md == want) return mem;
    }
    const auto& w = layer.weight;
    memory::dims dims(w.sizes().begin(), w.sizes().end());
    memory user({dims, Dt::f32, Tag::oidhw}, impl_->engine, w.data_ptr());
    memory out(want, impl_->engine);
    dnnl::reorder(user, out).execute(impl_->stream, user, out);
    impl_->stream.wait();
    layer.prepared.emplace_back(want, out);
    return out;
  }

  // Convolution (+ fused bias) of `x` (released); `dst_tag` any lets oneDNN choose.
  Act Conv(ConvLayer& layer, const Act& x, Dt dst_dt, Tag dst_tag, const Act* out = nullptr,
           const char* kind = "conv") {
    const auto& w = layer.weight;
    memory::dims wdims(w.sizes().begin(), w.sizes().end());
    memory::dims in = x.md.dims();
    memory::dims spatial(3);
    for (int a = 0; a < 3; ++a) {
      spatial[a] = (in[2 + a] + 2 * layer.pad[a] - wdims[2 + a]) / layer.stride[a] + 1;
    }
    memory::desc src_md = x.buffer < 0 ? memory::desc(in, impl_->act_dt(), Tag::any) : x.md;
    memory::desc w_md(wdims, impl_->act_dt(), Tag::any);
    memory::desc b_md = layer.bias.defined() ? memory::desc({wdims[0]}, Dt::f32, Tag::x)
                                             : memory::desc();
    memory::desc dst_md(Dims5(in[0], wdims[0], spatial), dst_dt, dst_tag);
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::convolution_direct, src_md, w_md, b_md,
                                         dst_md, layer.stride, layer.pad, layer.pad);
    dnnl::convolution_forward::primitive_desc pd(desc, impl_->engine);
    LogImpl("conv", pd.impl_info_str());
    Act src = x;
    if (pd.src_desc() != x.md) {
      src = Reorder(x, pd.src_desc());
      Release(x);
    }
    Act y = Output(pd.dst_desc(), out);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, Mem(src)},
        {DNNL_ARG_WEIGHTS, Weights(layer, pd.weights_desc(), false)},
        {DNNL_ARG_DST, Mem(y)}};
    if (layer.bias.defined()) {
      args[DNNL_ARG_BIAS] = memory(b_md, impl_->engine, layer.bias.data_ptr());
    }
    AddPrimitive(kind, dnnl::convolution_forward(pd), args);
    Release(src);
    return y;
  }

  // Transposed convolution of `x` (released) into `out` if given. In bf16 it runs in float32
  // unless options.bf16_deconv: oneDNN 2.6's bf16 deconvolution (a strided backward-data
  // convolution) was slower than float32 here (docs/segmentation.md).
  Act Deconv(ConvLayer& layer, const Act& x, const Act* out) {
    const bool in_f32 = impl_->act_dt() == Dt::bf16 && !impl_->options.bf16_deconv;
    const Dt dt = in_f32 ? Dt::f32 : impl_->act_dt();
    const auto& w = layer.weight;
    memory::dims wdims(w.sizes().begin(), w.sizes().end());
    memory::dims in = x.md.dims();
    memory::dims spatial = {in[2] * layer.stride[0], in[3] * layer.stride[1],
                            in[4] * layer.stride[2]};
    Act src = x;
    if (in_f32) {
      src = Reorder(x, memory::desc(in, Dt::f32, impl_->act_tag()));
      Release(x);
    }
    memory::desc w_md(wdims, dt, Tag::any);
    memory::desc b_md = layer.bias.defined() ? memory::desc({wdims[0]}, Dt::f32, Tag::x)
                                             : memory::desc();
    memory::desc dst_md(Dims5(in[0], wdims[0], spatial), dt, impl_->act_tag());
    dnnl::deconvolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                           dnnl::algorithm::deconvolution_direct, src.md, w_md,
                                           b_md, dst_md, layer.stride, layer.pad, layer.pad);
    dnnl::deconvolution_forward::primitive_desc pd(desc, impl_->engine);
    LogImpl("deconv", pd.impl_info_str());
    Act y = in_f32 ? NewAct(pd.dst_desc()) : Output(pd.dst_desc(), out);
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, Mem(src)},
        {DNNL_ARG_WEIGHTS, Weights(layer, pd.weights_desc(), true)},
        {DNNL_ARG_DST, Mem(y)}};
    if (layer.bias.defined()) {
      args[DNNL_ARG_BIAS] = memory(b_md, impl_->engine, layer.bias.data_ptr());
    }
    AddPrimitive("deconv", dnnl::deconvolution_forward(pd), args);
    Release(src);
    if (!in_f32) return y;
    Act z = Output(memory::desc(y.md.dims(), Dt::bf16, impl_->act_tag()), out);
    memory from = Mem(y), to = Mem(z);
    AddPrimitive("reorder", dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
    Release(y);
    return z;
  }

  // Transposed convolution d of `x` (released) into `out` if given: a 1x1x1 convolution in the
  // activation precision followed by depth-to-space when the layer allows it, else Deconv.
  Act Upsample(int d, const Act& x, const Act* out) {
    ConvLayer& pointwise = impl_->pointwise_ups[d];
    if (!pointwise.weight.defined()) return Deconv(impl_->deconvs[d], x, out);
    const memory::dims& stride = impl_->deconvs[d].stride;
    Act y = Conv(pointwise, x, impl_->act_dt(), impl_->act_tag(), nullptr, "deconv");
    memory::dims in = y.md.dims();
    const int64_t k = stride[0] * stride[1] * stride[2], channels = in[1] / k;
    memory::dims spatial = {in[2] * stride[0], in[3] * stride[1], in[4] * stride[2]};
    Act z = Output(memory::desc(Dims5(in[0], channels, spatial), impl_->act_dt(),
                                impl_->act_tag()),
                   out);
    ShuffleJob job;
    job.elem = impl_->act_dt() == Dt::bf16 ? 2 : 4;
    job.batch = in[0];
    for (int a = 0; a < 3; ++a) {
      job.stride[a] = stride[a];
      job.in[a] = in[2 + a];
    }
    const int64_t voxels = in[2] * in[3] * in[4], out_voxels = voxels * k;
    if (impl_->options.layout == ActivationLayout::kBlocked16) {
      job.blocks = channels / kLanes;
      job.run = kLanes;
      job.src_voxel = kLanes;
      job.src_block = voxels * kLanes;
      job.src_group = job.blocks * job.src_block;
      job.src_n = k * job.src_group;
      job.dst_voxel = kLanes;
      job.dst_block = out_voxels * kLanes;
      job.dst_n = job.blocks * job.dst_block;
    } else {
      job.blocks = 1;
      job.run = channels;
      job.src_voxel = k * channels;
      job.src_group = channels;
      job.src_n = voxels * k * channels;
      job.dst_voxel = channels;
      job.dst_n = out_voxels * channels;
    }
    const char* src = Data(y);
    char* dst = Data(z);
    Add("shuffle", [job, src, dst](dnnl::stream&) mutable {
      job.src = src;
      job.dst = dst;
      RunShuffle(job);
    });
    Release(y);
    return z;
  }

  Act Pool(const Act& x, const memory::dims& pool) {
    memory::dims in = x.md.dims();
    memory::dims spatial = {in[2] / pool[0], in[3] / pool[1], in[4] / pool[2]};
    memory::desc dst_md(Dims5(in[0], in[1], spatial), impl_->act_dt(), impl_->act_tag());
    dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference,
                                     dnnl::algorithm::pooling_avg_include_padding, x.md, dst_md,
                                     pool, pool, {0, 0, 0}, {0, 0, 0});
    dnnl::pooling_forward::primitive_desc pd(desc, impl_->engine);
    Act y = NewAct(pd.dst_desc());
    AddPrimitive("pool", dnnl::pooling_forward(pd),
                 {{DNNL_ARG_SRC, Mem(x)}, {DNNL_ARG_DST, Mem(y)}});
    return y;
  }

  Act Concat(const Act& a, const Act& b) {
    memory::dims da = a.md.dims();
    memory::dims dims = da;
    dims[1] += b.md.dims()[1];
    memory::desc dst_md(dims, impl_->act_dt(), impl_->act_tag());
    dnnl::concat::primitive_desc pd(dst_md, 1, {a.md, b.md}, impl_->engine);
    Act y = NewAct(pd.dst_desc());
    AddPrimitive("concat", dnnl::concat(pd),
                 {{DNNL_ARG_MULTIPLE_SRC, Mem(a)}, {DNNL_ARG_MULTIPLE_SRC + 1, Mem(b)},
                  {DNNL_ARG_DST, Mem(y)}});
    return y;
  }

  // Instance norm (+ residual) (+ LeakyReLU) in place on `y`.
  void Norm(const ConvLayer& layer, const Act& y, const Act* residual, bool act) {
    memory::dims d = y.md.dims();
    NormJob job;
    job.bf16 = y.md.data_type() == Dt::bf16;
    job.blocked = y.md == memory::desc(d, y.md.data_type(), Tag::nCdhw16c);
    job.channels = static_cast<int>(d[1]);
    job.batch = d[0];
    job.voxels = d[2] * d[3] * d[4];
    job.blocks = (d[1] + kLanes - 1) / kLanes;
    if (job.blocked) {
      job.voxel_stride = kLanes;
      job.block_stride = job.voxels * kLanes;
      job.n_stride = job.blocks * job.block_stride;
    } else {
      job.voxel_stride = d[1];
      job.block_stride = kLanes;
      job.n_stride = job.voxels * d[1];
    }
    job.chunks = std::max<int64_t>(1, (job.voxels + kChunkVoxels - 1) / kChunkVoxels);
    job.slope = act ? static_cast<float>(impl_->spec.leaky_relu_slope) : 1.0f;
    char* data = Data(y);
    const char* res = residual ? Data(*residual) : nullptr;
    const std::vector<float>* gamma = &layer.gamma;
    const std::vector<float>* beta = &layer.beta;
    const double eps = impl_->spec.norm_eps;
    Add("norm", [job, data, res, gamma, beta, eps](dnnl::stream&) mutable {
      job.data = data;
      job.residual = res;
      RunNorm(job, *gamma, *beta, eps);
    });
  }

  // conv -> norm -> LeakyReLU as the layer says (x released), into `out` if given.
  Act ConvNormAct(ConvLayer& layer, const Act& x, const Act* out = nullptr) {
    Act y = Conv(layer, x, impl_->act_dt(), impl_->act_tag(), out);
    if (layer.norm) Norm(layer, y, nullptr, layer.act);
    return y;
  }

  // A block's output goes into `out` if given.
  Act Block(const ResBlock& block, const Act& x, const Act* out) {
    if (!block.residual) {
      Act y = x;
      for (size_t i = 0; i < block.convs.size(); ++i) {
        const bool last = i + 1 == block.convs.size();
        y = ConvNormAct(impl_->convs[block.convs[i]], y, last ? out : nullptr);
      }
      return y;
    }
    Retain(x);  // needed again by the skip path
    Act y1 = ConvNormAct(impl_->convs[block.convs[0]], x);
    ConvLayer& conv2 = impl_->convs[block.convs[1]];
    Act y2 = Conv(conv2, y1, impl_->act_dt(), impl_->act_tag(), out);
    Act skip = x;
    if (block.pool[0] > 1 || block.pool[1] > 1 || block.pool[2] > 1) {
      skip = Pool(x, block.pool);
      Release(x);
    }
    if (block.skip_conv >= 0) skip = ConvNormAct(impl_->convs[block.skip_conv], skip);
    Norm(conv2, y2, &skip, true);
    Release(skip);
    return y2;
  }

  void LogImpl(const char* what, const char* impl) {
    AMDRN_LOG(Debug) << "fused U-Net: " << what << " " << impl;
    ++primitives_;
    if (std::strncmp(impl, "ref", 3) == 0) ++reference_;
  }
  // One warning per plan when oneDNN fell back to its slow reference code.
  void WarnAboutReference() const {
    if (reference_ == 0) return;
    AMDRN_LOG(Warn) << "fused U-Net: " << reference_ << " of " << primitives_
                    << " (de)convolutions run with oneDNN's slow reference implementation "
                    << "(no optimised kernel for their shapes on this CPU)";
  }

 private:
  FusedUNet::Impl* impl_;
  Plan* plan_;
  int primitives_ = 0, reference_ = 0;
};

std::vector<float> ToVector(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace

Status FusedUNet::Impl::Load(const UNet& net) {
  std::map<std::string, at::Tensor> params;
  for (const auto& [name, tensor] : net.named_parameters()) {
    params[name] = tensor.detach().to(at::kFloat).contiguous().clone();
  }
  auto get = [&](const std::string& name) -> StatusOr<at::Tensor> {
    auto it = params.find(name);
    if (it == params.end()) return InvalidArgumentError("the network lacks tensor " + name);
    return it->second;
  };
  auto add_conv = [&](const std::string& prefix, const std::array<int, 3>& stride, bool norm,
                      bool act) -> StatusOr<int> {
    ConvLayer layer;
    AMDRN_ASSIGN_OR_RETURN(layer.weight, get(prefix + ".conv.weight"));
    if (params.count(prefix + ".conv.bias")) layer.bias = params[prefix + ".conv.bias"];
    layer.stride = {stride[0], stride[1], stride[2]};
    for (int a = 0; a < 3; ++a) layer.pad.push_back((layer.weight.size(2 + a) - 1) / 2);
    layer.norm = norm;
    layer.act = act;
    AMDRN_ASSIGN_OR_RETURN(at::Tensor g, get(prefix + ".norm.weight"));
    AMDRN_ASSIGN_OR_RETURN(at::Tensor b, get(prefix + ".norm.bias"));
    layer.gamma = ToVector(g);
    layer.beta = ToVector(b);
    convs.push_back(std::move(layer));
    return static_cast<int>(convs.size()) - 1;
  };
  const NetworkSpec& s = spec;
  const int n = s.num_stages();
  const std::array<int, 3> one = {1, 1, 1};
  int in = s.input_channels;
  encoder.assign(n, {});
  if (s.residual()) {
    AMDRN_ASSIGN_OR_RETURN(int c, add_conv("encoder.stem.convs.0", one, true, true));
    stem.push_back(c);
    in = s.features_per_stage[0];
  }
  for (int st = 0; st < n; ++st) {
    const int out = s.features_per_stage[st];
    const std::string stage = "encoder.stages." + std::to_string(st);
    if (!s.residual()) {
      ResBlock block;
      for (int i = 0; i < s.n_conv_per_stage[st]; ++i) {
        AMDRN_ASSIGN_OR_RETURN(int c, add_conv(stage + ".0.convs." + std::to_string(i),
                                               i == 0 ? s.strides[st] : one, true, true));
        block.convs.push_back(c);
      }
      encoder[st].push_back(block);
      in = out;
      continue;
    }
    for (int b = 0; b < s.n_conv_per_stage[st]; ++b) {
      const std::string prefix = stage + ".blocks." + std::to_string(b);
      const std::array<int, 3> stride = b == 0 ? s.strides[st] : one;
      const bool strided = stride != one;
      ResBlock block;
      block.residual = true;
      AMDRN_ASSIGN_OR_RETURN(int c1, add_conv(prefix + ".conv1", stride, true, true));
      AMDRN_ASSIGN_OR_RETURN(int c2, add_conv(prefix + ".conv2", one, true, false));
      block.convs = {c1, c2};
      block.pool = {stride[0], stride[1], stride[2]};
      if (in != out) {
        AMDRN_ASSIGN_OR_RETURN(block.skip_conv,
                               add_conv(prefix + ".skip." + (strided ? "1" : "0"), one, true,
                                        false));
      }
      encoder[st].push_back(block);
      in = out;
    }
  }
  for (int d = 0; d + 1 < n; ++d) {
    const auto& st = s.strides[n - 1 - d];
    const std::string t = "decoder.transpconvs." + std::to_string(d);
    ConvLayer up;
    AMDRN_ASSIGN_OR_RETURN(at::Tensor w, get(t + ".weight"));
    up.weight = w.transpose(0, 1).contiguous();  // (in, out, k) -> (out, in, k)
    if (params.count(t + ".bias")) up.bias = params[t + ".bias"];
    up.stride = {st[0], st[1], st[2]};
    up.pad = {0, 0, 0};
    ConvLayer pointwise;
    const bool kernel_is_stride = up.weight.size(2) == st[0] && up.weight.size(3) == st[1] &&
                                  up.weight.size(4) == st[2];
    const int64_t outputs = up.weight.size(0), k = int64_t{st[0]} * st[1] * st[2];
    if (options.pointwise_upsampling && kernel_is_stride &&
        (options.layout == ActivationLayout::kChannelsLast || outputs % kLanes == 0)) {
      // (O, I, kz, ky, kx) -> (kz, ky, kx, O, I): row j * O + o holds offset j of output o.
      pointwise.weight = up.weight.permute({2, 3, 4, 0, 1})
                             .reshape({k * outputs, up.weight.size(1), 1, 1, 1})
                             .contiguous();
      if (up.bias.defined()) pointwise.bias = up.bias.repeat({k}).contiguous();
      pointwise.stride = {1, 1, 1};
      pointwise.pad = {0, 0, 0};
    }
    deconvs.push_back(std::move(up));
    pointwise_ups.push_back(std::move(pointwise));
    std::vector<int> layers;
    for (int i = 0; i < s.n_conv_per_stage_decoder[d]; ++i) {
      AMDRN_ASSIGN_OR_RETURN(int c, add_conv("decoder.stages." + std::to_string(d) + ".convs." +
                                                 std::to_string(i),
                                             one, true, true));
      layers.push_back(c);
    }
    decoder.push_back(layers);
  }
  ConvLayer head;
  const std::string g = "decoder.seg_layers." + std::to_string(n - 2);
  AMDRN_ASSIGN_OR_RETURN(head.weight, get(g + ".weight"));
  AMDRN_ASSIGN_OR_RETURN(head.bias, get(g + ".bias"));
  head.stride = {1, 1, 1};
  head.pad = {0, 0, 0};
  convs.push_back(std::move(head));
  seg_head = static_cast<int>(convs.size()) - 1;
  return OkStatus();
}

std::unique_ptr<Plan> FusedUNet::Impl::BuildPlan(const std::vector<int64_t>& shape) {
  auto plan = std::make_unique<Plan>();
  memory::dims dims(shape.begin(), shape.begin() + 5);
  plan->input = memory({dims, Dt::f32, Tag::ncdhw}, engine, DNNL_MEMORY_NONE);
  Planner p(this, plan.get());
  const int n = spec.num_stages();

  // Without concatenation copies (blocked layout, batch 1, skip channels in whole blocks):
  // each encoder stage writes its output into the second half of the buffer its decoder stage
  // concatenates into, and the transposed convolution writes the first half.
  std::vector<memory::dims> spatial(n);
  memory::dims size = {dims[2], dims[3], dims[4]};
  for (int st = 0; st < n; ++st) {
    for (int a = 0; a < 3; ++a) size[a] /= spec.strides[st][a];
    spatial[st] = size;
  }
  std::vector<Act> concat(n);
  Act x{plan->input.get_desc(), -1, 0};
  for (int c : stem) x = p.ConvNormAct(convs[c], x);
  std::vector<Act> skips;
  for (int st = 0; st < n; ++st) {
    const int f = spec.features_per_stage[st];
    Act out;
    if (st + 1 < n && dims[0] == 1 && options.layout == ActivationLayout::kBlocked16 &&
        f % kLanes == 0) {
      memory::desc skip_md(Dims5(1, f, spatial[st]), act_dt(), act_tag());
      memory::desc cat_md(Dims5(1, 2 * f, spatial[st]), act_dt(), act_tag());
      concat[st] = p.NewAct(cat_md);
      out = {skip_md, concat[st].buffer, skip_md.get_size()};
    }
    for (size_t b = 0; b < encoder[st].size(); ++b) {
      const bool last = b + 1 == encoder[st].size();
      x = p.Block(encoder[st][b], x, last && out.buffer >= 0 ? &out : nullptr);
    }
    if (st + 1 < n) {
      p.Retain(x);
      skips.push_back(x);
    }
  }
  for (int d = 0; d + 1 < n; ++d) {
    const int st = n - 2 - d;
    if (concat[st].buffer >= 0) {
      const int f = spec.features_per_stage[st];
      Act up{memory::desc(Dims5(1, f, spatial[st]), act_dt(), act_tag()), concat[st].buffer, 0};
      p.Upsample(d, x, &up);
      x = concat[st];  // holds the skip's reference
    } else {
      Act up = p.Upsample(d, x, nullptr);
      x = p.Concat(up, skips[st]);
      p.Release(up);
      p.Release(skips[st]);
    }
    for (int c : decoder[d]) x = p.ConvNormAct(convs[c], x);
  }
  Act logits = p.Conv(convs[seg_head], x, Dt::f32, Tag::any);
  memory::desc out_md(logits.md.dims(), Dt::f32, Tag::ncdhw);
  plan->output = memory(out_md, engine, DNNL_MEMORY_NONE);
  memory from = p.Mem(logits), to = plan->output;
  p.AddPrimitive("reorder", dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}});
  p.WarnAboutReference();
  return plan;
}

FusedUNet::FusedUNet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FusedUNet::~FusedUNet() = default;

bool FusedUNet::NativeBf16() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

std::string FusedUNet::CpuIsaName() {
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::sse41: return "sse41";
    default: return "other";
  }
}

StatusOr<std::unique_ptr<FusedUNet>> FusedUNet::Create(const UNet& net,
                                                       const FusedUNetOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->spec = net.spec();
  impl->options = options;
  if (options.precision == Precision::kBFloat16) {
    const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
    const auto core = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
    if ((isa & core) != core) {
      AMDRN_LOG(Warn) << "fused U-Net: this CPU (" << CpuIsaName() << ") has no AVX-512, so "
                      << "oneDNN has no fast bf16 convolution; running in float32";
      impl->options.precision = Precision::kFloat32;
    } else if (!NativeBf16()) {
      AMDRN_LOG(Warn) << "fused U-Net: this CPU (" << CpuIsaName() << ") has no native bf16; "
                      << "oneDNN emulates it, which is slower than float32";
    }
  }
  // oneDNN 2.6 has JIT convolutions in the blocked layout for widths that are multiples of 16;
  // a network with a width such as 4, 8 or 21 had its layers fall back to oneDNN's reference
  // convolution (the whole tile 100x slower), while channels-last has JIT kernels for any width.
  if (impl->options.layout == ActivationLayout::kBlocked16) {
    for (int f : impl->spec.features_per_stage) {
      if (f % kLanes != 0) {
        AMDRN_LOG(Debug) << "fused U-Net: width " << f << " is not a multiple of " << kLanes
                         << ", running channels-last";
        impl->options.layout = ActivationLayout::kChannelsLast;
        break;
      }
    }
  }
  try {
    AMDRN_RETURN_IF_ERROR(impl->Load(net));
  } catch (const std::exception& e) {
    return InternalError(std::string("fused U-Net: copying the weights failed: ") + e.what());
  }
  return std::unique_ptr<FusedUNet>(new FusedUNet(std::move(impl)));
}

StatusOr<at::Tensor> FusedUNet::Forward(const at::Tensor& input) {
  const NetworkSpec& s = impl_->spec;
  const auto total = s.TotalStride();
  if (input.dim() != 5 || input.scalar_type() != at::kFloat ||
      input.size(1) != s.input_channels) {
    std::ostringstream msg;
    msg << "fused U-Net: input should be float32 (N, " << s.input_channels
        << ", z, y, x), found " << input.scalar_type() << " " << input.sizes();
    return InvalidArgumentError(msg.str());
  }
  for (int a = 0; a < 3; ++a) {
    if (input.size(2 + a) % total[a] != 0 || input.size(2 + a) == 0) {
      std::ostringstream msg;
      msg << "fused U-Net: input size " << input.sizes() << " should be a multiple of the total "
          << "stride " << total[0] << "x" << total[1] << "x" << total[2];
      return InvalidArgumentError(msg.str());
    }
  }
  at::Tensor x = input.contiguous();
  std::vector<int64_t> key(x.sizes().begin(), x.sizes().end());
  key.push_back(at::get_num_threads());  // oneDNN sizes its work split at creation
  auto& plans = impl_->plans;
  auto it = std::find_if(plans.begin(), plans.end(), [&](const auto& e) { return e.first == key; });
  try {
    if (it == plans.end()) {
      if (plans.size() >= 2) plans.pop_back();
      plans.emplace_front(key, impl_->BuildPlan(key));
    } else if (it != plans.begin()) {
      plans.splice(plans.begin(), plans, it);
    }
    Plan& plan = *plans.front().second;
    const auto out_dims = plan.output.get_desc().dims();
    at::Tensor out = at::empty(std::vector<int64_t>(out_dims.begin(), out_dims.end()), at::kFloat);
    plan.input.set_data_handle(x.data_ptr());
    plan.output.set_data_handle(out.data_ptr());
    for (const Step& step : plan.steps) {
      if (!impl_->options.profile) {
        step.run(impl_->stream);
        continue;
      }
      auto start = std::chrono::steady_clock::now();
      step.run(impl_->stream);
      impl_->stream.wait();
      impl_->profile[step.kind] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    impl_->stream.wait();
    return out;
  } catch (const dnnl::error& e) {
    plans.clear();
    return InternalError(std::string("fused U-Net: oneDNN failed: ") + e.what());
  }
}

const NetworkSpec& FusedUNet::spec() const { return impl_->spec; }
Precision FusedUNet::precision() const { return impl_->options.precision; }
ActivationLayout FusedUNet::layout() const { return impl_->options.layout; }
const std::map<std::string, double>& FusedUNet::profile() const { return impl_->profile; }
void FusedUNet::ResetProfile() { impl_->profile.clear(); }

}  // namespace amdrn::seg
