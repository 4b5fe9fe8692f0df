#include "synth/maxilla.h"

#include <algorithm>
#include <cmath>

namespace amdrn::synth::internal {
namespace {

double Clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
double Sq(double v) { return v * v; }
double Quad(double v) { return Sq(Sq(v)); }
double SmoothStep(double t) {
  t = Clamp01(t);
  return t * t * (3 - 2 * t);
}

// Maximum of a and b with the corner rounded over a band of width k (exact when |a - b| >= k).
double SmoothMax(double a, double b, double k) {
  const double h = std::max(k - std::abs(a - b), 0.0) / k;
  return std::max(a, b) + 0.25 * k * h * h;
}

// Raw arc length of Y = k X^2 from X = 0 (odd in X).
double ParabolaArc(double k, double gx) {
  const double t = 2 * k * gx;
  return (t * std::sqrt(1 + t * t) + std::asinh(t)) / (4 * k);
}

// Occlusal relief: 1 at a cusp tip, falling off around it (normalised crown coordinates).
double CuspRelief(const Tooth& t, double an, double bn) {
  const auto bump = [&](double ca, double cb) {
    return std::exp(-(Sq(an - ca) + Sq(bn - cb)) / (2 * 0.09));
  };
  if (t.digit >= 6) return std::max({bump(-0.45, 0.45), bump(0.45, 0.45), bump(-0.45, -0.45),
                                     bump(0.45, -0.45)});
  if (t.digit >= 4) return std::max(bump(0, 0.45), bump(0, -0.45));
  return bump(0, 0.1);
}

// Crown cross-section scale at height fraction h (0 at the CEJ, 1 at the occlusal fossa): a
// cervical constriction, the height of contour at a third, a narrower occlusal table, tapering
// cusps below it.
double CrownProfile(double h) {
  if (h < 0.35) return 0.80 + 0.20 * std::sin(0.5 * M_PI * h / 0.35);
  if (h <= 1.0) return 1.0 - 0.10 * Sq((h - 0.35) / 0.65);
  return std::max(0.05, 0.90 - 0.45 * (h - 1.0));
}

bool InSocket(const Tooth& t, double a, double b, double z) {
  if (t.implant) return z >= t.z_cej && z <= t.z_cej + 11.0 && std::hypot(a, b) < 3.2;
  for (const Root& r : t.roots) {
    if (z < r.z0 || z > r.z1 + 1.2) continue;
    const double f = Clamp01((z - r.z0) / (r.z1 - r.z0));
    const double d = std::hypot(a - (r.a0 + f * (r.a1 - r.a0)), b - (r.b0 + f * (r.b1 - r.b0)));
    if (d < r.r0 + f * (r.r1 - r.r0) + 1.4) return true;
  }
  return false;
}

}  // namespace

Tissue ToothTissue(const Tooth& t, double a, double b, double z) {
  if (!t.present || std::abs(a) > t.ra + 2.5 || std::abs(b) > t.rb + 3.5) return kAir;
  const double crown_h = t.z_cej - t.z_occ;
  if (z <= t.z_cej && z >= t.z_occ - t.cusp - 0.5) {
    const double h = (t.z_cej - z) / crown_h;
    const double p = CrownProfile(h);
    const double sa = t.ra * p, sb = t.rb * p;
    const double bottom = t.z_occ - t.cusp * CuspRelief(t, a / t.ra, b / t.rb);
    if (Quad(a / sa) + Quad(b / sb) < 1.0 && z >= bottom) {
      if (t.metal_crown) return kMetalCrown;
      const double te = 0.25 + 1.4 * Clamp01(h);
      if (sa <= te || sb <= te || z < bottom + 1.6 ||
          Quad(a / (sa - te)) + Quad(b / (sb - te)) >= 1.0)
        return kEnamel;
      if (h < 0.5 && Quad(a / (0.32 * sa)) + Quad(b / (0.32 * sb)) < 1.0) return kPulp;
      return kDentin;
    }
  }
  if (t.implant) {
    if (z >= t.z_cej && z < t.z_cej + 10.0 && std::hypot(a, b) < 2.0 - 0.4 * Clamp01(
                                                                 (z - t.z_cej - 8.5) / 1.5))
      return kTitanium;
    return kAir;
  }
  for (const Root& r : t.roots) {
    if (z < r.z0 - 0.3 || z > r.z1 + 0.3) continue;
    const double f = Clamp01((z - r.z0) / (r.z1 - r.z0));
    const double radius = r.r0 + f * (r.r1 - r.r0);
    const double d = std::hypot(a - (r.a0 + f * (r.a1 - r.a0)), b - (r.b0 + f * (r.b1 - r.b0)));
    // Rounded apex: the root ends in a half-sphere of the apical radius.
    const double apex =
        z > r.z1 - radius ? std::sqrt(std::max(0.0, Sq(radius) - Sq(z - (r.z1 - radius)))) : radius;
    if (z >= r.z0 && d < 0.28 * radius && z < r.z1 - 0.3) return kPulp;
    if (z >= r.z0 && d < apex) return kDentin;
    if (d < apex + 0.22 && z < r.z1 + 0.22) return kPdl;
  }
  return kAir;
}

double Maxilla::ArcLength(double gx) const { return ParabolaArc(arch_k, gx); }

void Maxilla::ArchPoint(double u, double* x, double* y) const {
  const double target = ArcLength(arch_x0) + u;
  double gx = arch_x0 + u;
  for (int it = 0; it < 30; ++it) {
    const double t = 2 * arch_k * gx;
    gx -= (ArcLength(gx) - target) / std::sqrt(1 + t * t);
  }
  *x = gx - arch_x0;
  *y = arch_k * (gx * gx - arch_x0 * arch_x0);
}

double Maxilla::ProcessHalfWidth(const Column& c, double z) const {
  return c.width0 + w_slope * std::max(0.0, z - c.ridge_z);
}

double Maxilla::RabHalfWidth(double u, double z) const {
  return w_res + w_slope * std::max(0.0, std::min(z, rbh + ky * u * u));
}

double Maxilla::BaseFloor(double u, double v) const {
  return rbh + kx * v * v / (1.0 + Sq(v / 10.0)) + ky * u * u +
         tilt * (u - std::clamp(u, -gap, gap));
}

double Maxilla::LateralWall(double u, double z) const {
  return lat0 + lat_slope * (z - rbh) +
         zyg * SmoothStep((z - rbh - 4.0) / 14.0) * std::exp(-Sq((u - u_zyg) / 10.0));
}

Column Maxilla::ColumnAt(double x, double y) const {
  Column c;
  c.x = x;
  c.y = y;
  c.gx = arch_x0 + x;
  const double gy = arch_k * arch_x0 * arch_x0 + y;
  // Nearest point of the arch on the column's side of the midline (bisection on the
  // derivative of the squared distance).
  const double ax = std::abs(c.gx);
  double lo = 0, hi = std::max(ax, std::sqrt(std::max(gy, 0.0) / arch_k)) + 1.0;
  for (int it = 0; it < 40; ++it) {
    const double m = 0.5 * (lo + hi);
    const double g = m - ax + 2 * arch_k * m * (arch_k * m * m - gy);
    (g < 0 ? lo : hi) = m;
  }
  const double px = 0.5 * (lo + hi);
  const double dist = std::hypot(px - ax, arch_k * px * px - gy);
  c.v = gy < arch_k * ax * ax ? dist : -dist;
  c.u = ArcLength(c.gx < 0 ? -px : px) - ArcLength(arch_x0);
  c.arch_x = px;

  // Dentate ridge around present teeth, continuous between teeth in contact; it starts at the
  // edge of the gap, so the gap itself is all resorbed ridge.
  for (const Tooth& t : teeth)
    if (t.present)
      c.dentate = std::max(c.dentate, SmoothStep((t.ra + 2.0 - std::abs(c.u - t.uc)) / 2.5));
  c.dentate *= SmoothStep((std::abs(c.u) - gap) / 1.5);
  c.ridge_z = -drop * c.dentate;
  c.width0 = w_res + (w_dent - w_res) * c.dentate;
  // A flat-topped crest with rounded edges (rising by crest_round at the plates).
  c.crest = c.ridge_z + crest_round * Quad(std::min(std::abs(c.v) / c.width0, 1.5));

  // Sinus floor: a trough along the arch, tilted outside the gap, raised over every root so
  // that bone of thickness `cover` separates the root from the sinus.
  c.floor = BaseFloor(c.u, c.v);
  for (const Tooth& t : teeth) {
    const double a = c.u - t.uc;
    if (!t.present || std::abs(a) > t.ra + 6.0) continue;
    for (const Root& r : t.roots) {
      for (int s = 0; s <= 6; ++s) {
        const double f = s / 6.0;
        const double d =
            std::hypot(a - (r.a0 + f * (r.a1 - r.a0)), c.v - (r.b0 + f * (r.b1 - r.b0)));
        const double reach = r.r0 + f * (r.r1 - r.r0) + 0.25 + r.cover;
        if (d < reach) {
          c.floor = std::max(c.floor, r.z0 + f * (r.z1 - r.z0) + std::sqrt(reach * reach - d * d));
        }
      }
    }
  }
  // Palatal vault rising from the ridge to the midline; medially of the residual bone the
  // sinus floor keeps at least 1.5 mm of bone above it (the floor under the site's residual
  // bone stays symmetric, so the label-3 footprint is centred on the implant axis).
  const double arch_here = std::sqrt(std::max(gy, 0.0) / arch_k);  // ridge at this depth
  const double t = Clamp01((arch_here - std::abs(c.gx)) / std::max(arch_here, 1.0));
  c.palate_oral = vault * (1.0 - std::pow(1.0 - t, 2.2));
  const double rab_edge = RabHalfWidth(gap, rbh + 1.0);  // beyond any label-3 column
  if (c.v < -rab_edge)
    c.floor += SmoothStep((-c.v - rab_edge) / 4.0) *
               std::max(0.0, c.palate_oral + wall + 1.5 - c.floor);
  return c;
}

double Maxilla::SinusLevel(const Column& c, double z) const {
  const double lateral = std::max(0.0, c.v);
  const double ant = AnteriorWall(lateral), post = PosteriorWall(lateral);
  double level = SmoothMax(c.floor - z, x_med - c.x, rounding);
  level = SmoothMax(level, c.v - LateralWall(c.u, z), rounding);
  level = SmoothMax(level, ant - c.u, rounding);
  level = SmoothMax(level, c.u - post, rounding);
  return SmoothMax(level, z - roof, rounding);
}

bool Maxilla::InCavity(const Column& c, double z, double inset) const {
  if (z <= c.floor + inset) return false;
  if (SinusLevel(c, z) >= -inset) return false;
  if (septum && std::abs(c.y - septum_y) < 0.5 * septum_t + inset &&
      z < c.floor + septum_h * (1.0 - 0.25 * Sq(c.x / 8.0)) + inset)
    return false;
  return true;
}

bool Maxilla::IsMembrane(const Column& c, double z) const {
  if (z < fluid_level) return true;
  for (const Polyp& p : polyps)
    if (Sq((c.x - p.x) / p.rh) + Sq((c.y - p.y) / p.rh) + Sq((z - p.z) / p.rv) < 1.0) return true;
  double t = lining;
  if (membrane == MembraneType::kFlatThickening)
    t *= (1.0 - 0.5 * Clamp01((z - rbh) / 25.0)) * (1.0 + 0.12 * std::sin(0.45 * c.y + 0.3 * c.x));
  return !InCavity(c, z, std::max(t, min_lining));
}

bool Maxilla::IsRab(const Column& c, double z) const {
  return std::abs(c.u) <= gap && z < c.floor && z >= c.crest &&
         std::abs(c.v) <= RabHalfWidth(c.u, z);
}

void Maxilla::Classify(const Column& c, double z, Tissue* tissue, uint8_t* label) const {
  *label = 0;
  bool socket = false;
  for (const Tooth& t : teeth) {
    const double a = c.u - t.uc;
    if (!t.present || std::abs(a) > t.ra + 3.5) continue;
    const Tissue tt = ToothTissue(t, a, c.v, z);
    if (tt != kAir) {
      *tissue = tt;
      return;
    }
    socket = socket || (z >= c.crest - 0.5 && InSocket(t, a, c.v, z));
  }
  if (InCavity(c, z, 0.0)) {
    const bool membrane = IsMembrane(c, z);
    *tissue = membrane ? (z < fluid_level ? kFluid : kMucosa) : kAir;
    *label = membrane ? 2 : 1;
    return;
  }
  const double ag = std::abs(c.gx);
  const double nasal_wall = arch_x0 + x_med - wall;  // lateral nasal wall, from the midline
  // The nasal floor is concave across each cavity, lowest half-way between septum and wall.
  const double nf = nasal_floor + nasal_dip * Sq((2 * ag - nasal_wall - septum_half) /
                                                 (nasal_wall - septum_half));
  const bool in_nose = ag < nasal_wall && z > nf;
  // The maxilla: everything inside its buccal surface and above the crest or the palate, up to
  // the nasal floor medially, with at least wall + 1 mm of bone under any part of the sinus
  // floor; above the alveolar process it ends a little in front of and behind the sinus. The
  // cavities are carved out of it.
  const double half_width = ProcessHalfWidth(c, z);
  const double lateral = std::max(0.0, c.v);
  const bool body =
      !in_nose && c.v <= half_width &&
      ((z >= c.crest && c.v >= -half_width) ||
       (c.v < 0 && z >= c.palate_oral && c.y <= palate_end) ||
       (z <= c.floor && z >= c.floor - wall - 1.0 &&
        (z >= c.crest || std::abs(c.v) > half_width + 0.5))) &&
      (z <= c.floor + 3.0 ||
       (c.u >= AnteriorWall(lateral) - wall - pillar &&
        c.u <= PosteriorWall(lateral) + wall + 1.0));
  // Turbinate: a curled bony plate inside a thick mucosal cushion, hanging from the lateral
  // wall by a thin lamina.
  const double tx = (ag - (nasal_wall - turb_dx)) / turb_a;
  const double tz = (z - nasal_floor - turb_dz) / turb_b;
  const double turb = tx * tx + tz * tz;
  const bool bone =
      body || SinusLevel(c, z) < wall || socket ||
      (c.x >= x_med - wall && c.x <= x_med && z >= nasal_floor - 1.0 && z >= c.crest) ||
      (ag <= septum_half && z >= nasal_floor - 0.5) ||
      (turb > 0.16 && turb < 0.30 && (tx < 0.1 || tz > 0.3)) ||
      (std::abs(z - nasal_floor - turb_dz - 0.48 * turb_b) < 0.45 && ag > nasal_wall - turb_dx &&
       ag < nasal_wall);
  if (bone) {
    *tissue = kBone;
    *label = IsRab(c, z) ? 3 : 0;
    return;
  }
  // Nasal cavity: air with a mucosal lining and the turbinate's soft tissue.
  if (in_nose) {
    const bool mucosa = z < nf + nasal_mucosa || ag > nasal_wall - nasal_mucosa ||
                        ag < septum_half + nasal_mucosa || turb < 1.0;
    *tissue = mucosa ? kSoft : kAir;
    return;
  }
  *tissue = kSoft;
  const double w = ProcessHalfWidth(c, std::min(z, c.floor + 3.0));
  // Gingiva and palatal mucosa over the bone; behind the hard palate, the soft palate.
  if (z >= c.crest - gum && std::abs(c.v) <= w + gum && z <= c.floor + 3.0 + gum) return;
  if (c.v < 0 && (z >= c.palate_oral - palatal_mucosa || c.y > palate_end)) return;
  // Oral air under the crest and between the crowns, closed by tongue and cheek with rounded
  // corners (mouth closed; the opposing teeth below the occlusal plane are soft tissue).
  const double mid = 0.5 * (c.crest - gum + occlusal), half_h = 0.5 * (c.crest - gum - occlusal);
  const double half_w = c.width0 + gum + (c.v < 0 ? air_gap : 0.6 * air_gap);
  if (half_h > 0 && Quad(c.v / half_w) + Quad((z - mid) / half_h) < 1.0) {
    *tissue = kAir;
    return;
  }
  if (c.v > 0) {
    // Cheek and lips: the buccal vestibule is a thin air cleft beside the gingiva, the face
    // ends `cheek` mm outside the ridge.
    const double cleft = vest_w * Clamp01((vest_top - z) / 3.0);
    if (c.v > w_dent + cheek + 0.15 * z ||
        (z < vest_top && z > occlusal && c.v < w + gum + cleft))
      *tissue = kAir;
    return;
  }
  // Oral cavity proper: the tongue fills the vault up to a thin air layer under the palate.
  if (z > c.palate_oral - palatal_mucosa - tongue_gap) *tissue = kAir;
}

double Maxilla::AnteriorWall(double lateral) const {
  return std::min(u_ant + ant_conv * lateral, -8.5);
}

double Maxilla::PosteriorWall(double lateral) const {
  return std::max(u_post - post_conv * lateral, 8.5);
}

namespace {

// A tooth of type `digit` centred at arch position uc, with crown, roots and bone cover drawn
// from `rng`; `present` and restorations are decided here too.
Tooth MakeTooth(int digit, double uc, double ra, double present_probability, double drop,
                Rng& rng) {
  Tooth t;
  t.digit = digit;
  t.uc = uc;
  t.ra = ra;
  const bool molar = digit >= 6, canine = digit == 3;
  t.rb = molar ? rng.Uniform(5.0, 5.7) : canine ? rng.Uniform(3.8, 4.2) : rng.Uniform(4.2, 4.7);
  t.z_cej = -drop - rng.Uniform(1.2, 2.0);
  t.cusp = rng.Uniform(1.2, 2.0);
  const double crown_h = molar ? rng.Uniform(6.0, 7.0) : canine ? rng.Uniform(8.5, 9.5)
                                                                : rng.Uniform(7.0, 8.0);
  t.z_occ = t.z_cej - (crown_h - t.cusp);
  const double cover = rng.Uniform(0.8, 2.0);
  const double m = std::min(t.ra, t.rb);
  if (molar) {
    // Root trunk, two buccal roots (mesio- and disto-buccal) and a palatal root that may reach
    // up into the sinus floor under a thin bony lamella.
    t.trunk = rng.Uniform(3.0, 4.2);
    const double z1 = t.z_cej + t.trunk;
    const double buccal = rng.Uniform(11.5, 13.0);
    double palatal = rng.Uniform(12.5, 14.5), palatal_cover = cover;
    if (rng.Bernoulli(0.3)) palatal += rng.Uniform(1.0, 2.5), palatal_cover = 0.35;
    t.roots.push_back({0, 0, t.z_cej, 0, 0, z1, 0.78 * m, 0.62 * m, cover});
    t.roots.push_back({-1.8, 2.0, z1 - 0.5, -2.2, 2.8, t.z_cej + buccal, 1.5, 0.55, cover});
    t.roots.push_back({1.8, 2.0, z1 - 0.5, 2.0, 2.6, t.z_cej + buccal - 0.7, 1.35, 0.5, cover});
    t.roots.push_back({0, -2.2, z1 - 0.5, 0, -3.4, t.z_cej + palatal, 1.8, 0.65, palatal_cover});
  } else {
    const double length = canine ? rng.Uniform(15.0, 17.0) : rng.Uniform(12.0, 14.0);
    const bool two_roots = !canine && rng.Bernoulli(digit == 4 ? 0.6 : 0.15);
    if (two_roots) {
      const double trunk = rng.Uniform(2.0, 4.0);
      t.roots.push_back({0, 0, t.z_cej, 0, 0, t.z_cej + trunk, 0.62 * t.ra, 0.55 * t.ra, cover});
      t.roots.push_back({0, 1.6, t.z_cej + trunk - 0.5, 0, 2.0, t.z_cej + length, 1.4, 0.5, cover});
      t.roots.push_back(
          {0, -1.6, t.z_cej + trunk - 0.5, 0, -2.0, t.z_cej + length - 0.5, 1.4, 0.5, cover});
    } else {
      t.roots.push_back({0, 0, t.z_cej, rng.Uniform(-0.5, 0.5), rng.Uniform(-0.3, 0.3),
                         t.z_cej + length, 0.62 * t.ra, 0.6, cover});
    }
  }
  t.present = rng.Bernoulli(present_probability);
  t.implant = rng.Bernoulli(0.08);
  t.metal_crown = t.implant || rng.Bernoulli(0.2);
  if (t.implant) {  // an implant stands in for the roots
    t.roots.assign(1, {0, 0, t.z_cej, 0, 0, t.z_cej + 10.0, 2.0, 2.0, cover});
  }
  return t;
}

double MesioDistalHalfWidth(int digit, Rng& rng) {
  if (digit >= 8) return rng.Uniform(4.2, 4.6);
  if (digit >= 6) return digit == 6 ? rng.Uniform(4.8, 5.2) : rng.Uniform(4.5, 4.9);
  if (digit >= 4) return rng.Uniform(3.3, 3.7);
  return rng.Uniform(3.7, 4.1);
}

// Neighbouring teeth: two mesial (down to the canine) and up to two distal (up to the third
// molar), each contacting the next; the first ones bound the edentulous gap.
void SampleTeeth(int site_digit, Rng& rng, Maxilla& m) {
  double edge = -m.gap;
  for (int d = site_digit - 1, n = 0; d >= 3 && n < 2; --d, ++n) {
    const double ra = MesioDistalHalfWidth(d, rng);
    m.teeth.push_back(MakeTooth(d, edge - ra, ra, n == 0 ? 0.92 : 0.88, m.drop, rng));
    edge -= 2 * ra + rng.Uniform(0.0, 0.3);
  }
  edge = m.gap;
  for (int d = site_digit + 1, n = 0; d <= 8 && n < 2; ++d, ++n) {
    const double ra = MesioDistalHalfWidth(d, rng);
    const double p = d == 8 ? 0.3 : n == 0 ? 0.7 : 0.6;
    m.teeth.push_back(MakeTooth(d, edge + ra, ra, p, m.drop, rng));
    edge += 2 * ra + rng.Uniform(0.0, 0.3);
  }
  for (Tooth& t : m.teeth) m.ArchPoint(t.uc, &t.x, &t.y);
}

// Membrane of the given type: lining thickness, polyps or a fluid level.
void SampleMembrane(const Anatomy& a, double spacing_mm, Rng& rng, Maxilla& m) {
  m.membrane = a.membrane_type;
  m.min_lining = 1.1 * spacing_mm;
  switch (a.membrane_type) {
    case MembraneType::kHealthy:
    case MembraneType::kFlatThickening:
      m.lining = a.membrane_thickness_mm;
      break;
    case MembraneType::kPolypoid: {
      m.lining = rng.Uniform(0.8, 2.0);
      const int count = 1 + rng.Bernoulli(0.4);
      for (int i = 0; i < count; ++i) {
        const bool near_site = i == 0 && rng.Bernoulli(0.6);
        Polyp p;
        p.x = near_site ? rng.Uniform(-3, 3) : rng.Uniform(-6, 6);
        p.y = near_site ? rng.Uniform(-3, 3) : rng.Uniform(-12, 12);
        p.z = m.ColumnAt(p.x, p.y).floor;
        p.rh = rng.Uniform(3.0, 7.0);
        p.rv = i == 0 ? a.membrane_thickness_mm : rng.Uniform(3.0, a.membrane_thickness_mm);
        m.polyps.push_back(p);
      }
      break;
    }
    case MembraneType::kOpacification:
      m.lining = rng.Uniform(1.5, 3.0);
      m.fluid_level = m.rbh + a.membrane_thickness_mm;
      break;
  }
}

// Cavity width along local x through the implant axis, 10 mm above the floor.
double CavityWidth(const Maxilla& m) {
  const double start[3] = {0, 0, m.rbh + 10.0};
  const double plus[3] = {1, 0, 0}, minus[3] = {-1, 0, 0};
  const auto cavity = [&](double x, double y, double z) {
    return m.InCavity(m.ColumnAt(x, y), z, 0.0);
  };
  return MarchWhile(start, plus, 60.0, cavity) + MarchWhile(start, minus, 60.0, cavity);
}

// Sinus walls: medial wall from the nasal cavity's width, anterior and posterior walls by
// site, then the lateral wall's slope solved so the width 10 mm above the floor is `width`.
void SampleSinus(const Anatomy& a, int site_digit, Rng& rng, Maxilla& m) {
  m.wall = rng.Uniform(1.0, 2.0);
  m.rounding = rng.Uniform(2.0, 3.0);
  const double ant[3][2] = {{8.5, 12}, {12, 19}, {20, 27}};
  const double post[3][2] = {{26, 33}, {17, 24}, {9, 15}};
  const int i = std::clamp(site_digit - 5, 0, 2);
  m.u_ant = -rng.Uniform(ant[i][0], ant[i][1]);
  m.u_post = rng.Uniform(post[i][0], post[i][1]);
  m.ant_conv = rng.Uniform(0.2, 0.7);
  m.post_conv = rng.Uniform(0.2, 0.7);
  // The zygomatic buttress stands above the first molar.
  m.u_zyg = site_digit == 6 ? rng.Uniform(-2.0, 2.0)
                            : (site_digit < 6 ? 1 : -1) * rng.Uniform(7.0, 11.0);
  m.zyg = rng.Uniform(1.0, 6.0);
  m.roof = m.rbh + rng.Uniform(28.0, 36.0);
  m.x_med = std::min(-4.0, rng.Uniform(11.0, 15.5) + m.wall - m.arch_x0);
  const double w_floor = m.w_res + m.w_slope * m.rbh;
  m.lat0 = w_floor + rng.Uniform(0.3, 2.5);
  if ((a.sinus_width_mm + m.x_med - m.lat0) / 10.0 < -0.2)
    m.x_med = std::min(-4.0, m.lat0 - 2.0 - a.sinus_width_mm);
  double lo = -1.5, hi = 6.0;
  for (int it = 0; it < 24; ++it) {
    m.lat_slope = 0.5 * (lo + hi);
    (CavityWidth(m) < a.sinus_width_mm ? lo : hi) = m.lat_slope;
  }
  m.lat_slope = 0.5 * (lo + hi);
}

}  // namespace

Maxilla SampleMaxilla(const Anatomy& a, int site_fdi, double spacing_mm, Rng& rng) {
  Maxilla m;
  const int digit = site_fdi % 10;
  const bool molar = digit != 5;
  m.rbh = a.residual_bone_height_mm;
  // Arch: ridge-centre distance from the midline and arch depth at the site.
  const double x0[3][2] = {{17, 20}, {20.5, 23.5}, {22.5, 25.5}},
               y0[3][2] = {{15, 19}, {23, 28}, {31, 37}};
  const int i = std::clamp(digit - 5, 0, 2);
  m.arch_x0 = rng.Uniform(x0[i][0], x0[i][1]);
  m.arch_k = rng.Uniform(y0[i][0], y0[i][1]) / (m.arch_x0 * m.arch_x0);
  m.crest_round = rng.Uniform(0.8, 2.0);
  m.w_res = rng.Uniform(2.8, 4.2);
  m.w_dent = rng.Uniform(5.0, 6.0);
  m.w_slope = rng.Uniform(0.25, 0.45);
  m.drop = rng.Uniform(0.8, 2.5);
  m.gap = molar ? rng.Uniform(4.5, 5.5) : rng.Uniform(3.4, 4.0);
  m.cortex_mm = rng.Uniform(0.6, 1.5);
  SampleTeeth(digit, rng, m);
  m.kx = rng.Uniform(0.02, 0.06);
  m.ky = rng.Uniform(0.008, 0.03);
  m.tilt = rng.Uniform(-0.25, 0.25);
  // Palate and nasal cavity; the nasal floor stays above the residual bone of the site.
  const double w_top = m.w_res + m.w_slope * m.rbh;
  m.nasal_floor = std::max({m.rbh + rng.Uniform(-1.0, 5.0), rng.Uniform(11.0, 14.0),
                            m.rbh + m.kx * w_top * w_top + m.ky * m.gap * m.gap + 1.0});
  m.vault = std::min(rng.Uniform(9.0, 14.0), m.nasal_floor - rng.Uniform(2.0, 4.0));
  m.palatal_mucosa = rng.Uniform(2.5, 4.0);
  m.septum_half = rng.Uniform(0.7, 1.4);
  m.nasal_mucosa = rng.Uniform(0.8, 1.8);
  m.nasal_dip = rng.Uniform(0.5, 2.0);
  m.turb_a = rng.Uniform(3.5, 5.0);
  m.turb_b = rng.Uniform(5.5, 7.5);
  m.turb_dx = m.turb_a + rng.Uniform(0.0, 1.0);
  m.turb_dz = m.turb_b + rng.Uniform(2.0, 4.0);
  m.pillar = rng.Uniform(2.0, 6.0);
  double y_last = 0, x_unused = 0;
  m.ArchPoint(m.gap + 2 * 4.8 * (8 - digit), &x_unused, &y_last);
  m.palate_end = y_last + rng.Uniform(2.0, 8.0);
  // Soft tissue and air.
  m.gum = rng.Uniform(1.5, 3.0);
  m.vest_top = rng.Uniform(2.0, 6.0);
  m.vest_w = rng.Uniform(0.5, 2.5);
  m.air_gap = rng.Uniform(1.0, 4.0);
  m.tongue_gap = rng.Uniform(0.0, 3.0);
  m.cheek = rng.Uniform(12.0, 20.0);
  m.occlusal = -m.drop - rng.Uniform(8.0, 9.5);
  SampleSinus(a, digit, rng, m);
  m.septum = a.septum;
  if (m.septum) {
    m.septum_y = (rng.Bernoulli(0.5) ? 1 : -1) * rng.Uniform(3.0, 10.0);
    m.septum_h = rng.Uniform(4.0, 12.0);
    m.septum_t = rng.Uniform(0.8, 1.5);
  }
  SampleMembrane(a, spacing_mm, rng, m);
  return m;
}

}  // namespace amdrn::synth::internal
