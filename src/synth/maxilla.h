// The continuous anatomical model behind the phantom (internal to amdrn_synth): a posterior
// maxilla with a parabolic dental arch, resorbed edentulous ridge, hard palate, a pyramid-like
// maxillary sinus with walls, floor recesses over the roots, septum and membrane, the nasal
// cavity with inferior turbinate and septum, teeth with crowns, roots, pulp and PDL, and the
// soft tissue and air spaces around them. Coordinates are local millimetres: x buccal (global
// lateral), y distal (posterior), z superior, origin at the crest point of the implant site.
// Arch coordinates: u is the arc length along the ridge centre line (distal positive), v the
// signed distance from it (buccal positive). Immutable after SampleMaxilla; thread-safe.
#ifndef AMDRN_SYNTH_MAXILLA_H_
#define AMDRN_SYNTH_MAXILLA_H_

#include <cstdint>
#include <vector>

#include "synth/outcome_model.h"
#include "synth/random.h"

namespace amdrn::synth::internal {

// Tissue classes, turned into HU-like values after the bone texture is drawn.
enum Tissue : uint8_t {
  kAir,
  kSoft,
  kMucosa,
  kFluid,
  kBone,
  kEnamel,
  kDentin,
  kPulp,
  kPdl,
  kTitanium,
  kMetalCrown
};

// A root as a tapered cone from (a0, b0, z0) to its apex (a1, b1, z1) in tooth coordinates
// (a along the arch from the tooth centre, b buccal); radii r0 at the base, r1 at the apex.
struct Root {
  double a0, b0, z0, a1, b1, z1, r0, r1;
  double cover = 1.0;  // bone over the root where the sinus floor rises around it
};

struct Tooth {
  int digit = 6;  // FDI tooth number within the quadrant (3 canine ... 8 third molar)
  bool present = false, implant = false, metal_crown = false;
  double uc = 0;          // arch position of the centre
  double x = 0, y = 0;    // local position of the centre
  double rb = 4.5;        // crown half-width bucco-palatally at the height of contour
  double ra = 4;          // crown half-width mesio-distally
  double z_cej = -2.5;    // cemento-enamel junction
  double z_occ = -9.5;    // occlusal fossa level (cusp tips lie below it)
  double cusp = 1.5;      // cusp height
  double trunk = 3.5;     // root trunk length above the CEJ (molars)
  std::vector<Root> roots;
};

struct Polyp {
  double x, y, z, rh, rv;
};

// Quantities of one (x, y) column, computed once and shared by every voxel of the column.
struct Column {
  double x = 0, y = 0;     // local
  double u = 0, v = 0;     // arch coordinates
  double gx = 0;           // global lateral distance from the midline (signed)
  double arch_x = 0;       // lateral distance of the arch point from the midline
  double dentate = 0;      // 0 edentulous ridge .. 1 next to a present tooth
  double ridge_z = 0;      // crest level on the ridge centre line
  double crest = 0;        // crest z at this column (rounded ridge)
  double width0 = 4;       // process half-width at the crest level
  double floor = 5;        // sinus floor z (with the bone over the roots)
  double palate_oral = 0;  // oral surface of the palate (meaningful for v < 0)
};

struct Maxilla {
  // Arch: Y = k X^2 in a global frame with X lateral from the midline, Y posterior from the
  // incisal point; the site lies at (x0, k x0^2).
  double arch_k = 0.06, arch_x0 = 22;
  // Ridge: resorbed width and crest rounding at the site, dentate width and crest drop.
  double rbh = 5, crest_round = 1.2, w_res = 3.5, w_dent = 5.3, w_slope = 0.35, drop = 1.5;
  double gap = 4.5;  // half length of the edentulous gap along the arch
  // Sinus floor trough and walls.
  double kx = 0.04, ky = 0.02, tilt = 0, cover = 1.0;
  double x_med = -7, lat0 = 6, lat_slope = 0.3, zyg = 4, u_zyg = 0;
  double u_ant = -15, u_post = 18, ant_conv = 0.4, post_conv = 0.4, roof = 30, wall = 1.5;
  double rounding = 2.5;  // corner rounding of the cavity
  double pillar = 4;      // bone in front of the anterior wall (canine pillar)
  // Palate and nasal cavity.
  double vault = 11, nasal_floor = 13, nasal_dip = 1, palatal_mucosa = 3;
  double septum_half = 1.0, nasal_mucosa = 1.2, turb_dx = 4, turb_dz = 8, turb_a = 4,
         turb_b = 5.5;
  // Soft tissue and air.
  double gum = 2, vest_top = 4, vest_w = 1.5, air_gap = 2, tongue_gap = 1.5, cheek = 16;
  double occlusal = -10;    // occlusal plane; opposing structures below it are soft tissue
  double palate_end = 40;   // local y of the posterior border of the hard palate
  double cortex_mm = 1.0;
  bool septum = false;
  double septum_y = 5, septum_h = 8, septum_t = 1;  // a bucco-palatal wall at local y
  MembraneType membrane = MembraneType::kHealthy;
  double lining = 1, fluid_level = -1e9, min_lining = 0.5;
  std::vector<Polyp> polyps;
  std::vector<Tooth> teeth;

  Column ColumnAt(double x, double y) const;
  // Signed, distance-like level of the sinus cavity (negative inside), ignoring septa.
  double SinusLevel(const Column& c, double z) const;
  bool InCavity(const Column& c, double z, double inset) const;
  // Requires InCavity(c, z, 0). True for membrane (lining, polyp or fluid).
  bool IsMembrane(const Column& c, double z) const;
  bool IsRab(const Column& c, double z) const;  // requires bone at (c, z)
  // Tissue and label at a point.
  void Classify(const Column& c, double z, Tissue* tissue, uint8_t* label) const;

  // Arch helpers: the local point of arch position u, and the arc length at global X.
  double ArcLength(double gx) const;
  void ArchPoint(double u, double* x, double* y) const;
  double ProcessHalfWidth(const Column& c, double z) const;
  double RabHalfWidth(double u, double z) const;
  // Sinus floor trough before the bone over the roots and the palate is added: RBH at the
  // axis, rising bucco-palatally (levelling off beyond 10 mm) and along the arch.
  double BaseFloor(double u, double v) const;
  double LateralWall(double u, double z) const;  // sinus lateral boundary (v)
  double AnteriorWall(double lateral) const;     // sinus anterior boundary (u)
  double PosteriorWall(double lateral) const;    // sinus posterior boundary (u)
};

// Draws the anatomy of a case: `a` fixes the measured quantities (bone height, membrane,
// sinus width, septum); everything else comes from `rng`.
Maxilla SampleMaxilla(const Anatomy& a, int site_fdi, double spacing_mm, Rng& rng);

// Tooth tissue at tooth coordinates (a, b, z), or kAir outside the tooth.
Tissue ToothTissue(const Tooth& t, double a, double b, double z);

// Ray-marches `inside` from `start` along `dir` (local mm): coarse 0.05 mm steps, then the
// exit is refined by bisection to 1e-4 mm. Returns the distance to the first exit (<= max_mm).
template <typename Pred>
double MarchWhile(const double start[3], const double dir[3], double max_mm, Pred inside) {
  const auto at = [&](double t) {
    return inside(start[0] + t * dir[0], start[1] + t * dir[1], start[2] + t * dir[2]);
  };
  if (!at(0.0)) return 0.0;
  double t = 0;
  while (t < max_mm && at(t + 0.05)) t += 0.05;
  if (t >= max_mm) return max_mm;
  double lo = t, hi = t + 0.05;
  while (hi - lo > 1e-4) {
    const double mid = 0.5 * (lo + hi);
    (at(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace amdrn::synth::internal

#endif  // AMDRN_SYNTH_MAXILLA_H_
