// Deterministic random numbers for the synthetic cohort. The generator (xoshiro256**, seeded
// through SplitMix64) and every distribution are written out here rather than taken from
// <random>, whose distributions differ between standard libraries: a seed must give the same
// cohort on every platform. An Rng is not thread-safe; give each case its own stream.
#ifndef AMDRN_SYNTH_RANDOM_H_
#define AMDRN_SYNTH_RANDOM_H_

#include <cmath>
#include <cstdint>
#include <vector>

namespace amdrn::synth {

// SplitMix64 step: a good 64-bit mix, used to derive independent seeds.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Seed of stream `stream` derived from `seed`, e.g. one stream per case and purpose.
inline uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
  SplitMix64(&state);
  return SplitMix64(&state);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t state = seed;
    for (uint64_t& word : s_) word = SplitMix64(&state);
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Standard normal (Box-Muller, both values used).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = Uniform();
    while (u1 <= 1e-300) u1 = Uniform();
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  double Normal(double mean, double sd) { return mean + sd * Normal(); }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Index drawn with probability proportional to `weights` (non-negative, not all zero).
  int Categorical(const std::vector<double>& weights) {
    double total = 0.0;
    for (double w : weights) total += w;
    double u = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (u < weights[i]) return static_cast<int>(i);
      u -= weights[i];
    }
    return static_cast<int>(weights.size()) - 1;
  }
  // Integer in [0, n).
  int UniformInt(int n) { return static_cast<int>(Uniform() * n); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

inline double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double Logit(double p) { return std::log(p / (1.0 - p)); }
// Standard normal CDF.
inline double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace amdrn::synth

#endif  // AMDRN_SYNTH_RANDOM_H_
