// The evaluation module's random numbers: xoshiro256** seeded through splitmix64, with an
// unbiased integer draw, so bootstrap results are identical on every platform and compiler
// (std::uniform_int_distribution is not). One generator per thread; not thread-safe itself.
#ifndef AMDRN_STATS_EVAL_RANDOM_H_
#define AMDRN_STATS_EVAL_RANDOM_H_

#include <cstdint>
#include <vector>

namespace amdrn::stats {

class EvalRng {
 public:
  explicit EvalRng(uint64_t seed) {
    for (uint64_t& s : state_) s = SplitMix(&seed);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform integer in [0, n). Requires: n > 0.
  uint64_t UniformInt(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do {
      r = Next();
    } while (r >= limit);
    return r % n;
  }

  // n indices drawn with replacement from [0, n) (one bootstrap sample).
  std::vector<int> BootstrapSample(int n) {
    std::vector<int> idx(n);
    for (int& i : idx) i = static_cast<int>(UniformInt(static_cast<uint64_t>(n)));
    return idx;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t* x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_EVAL_RANDOM_H_
