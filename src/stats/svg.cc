#include "stats/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "stats/eval_pretty.h"

namespace amdrn::stats {
namespace {

const char* const kPalette[] = {"#1f4e79", "#c0392b", "#2e8b57", "#8e44ad", "#d68910", "#17a589"};
constexpr double kFigure = 560;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return std::string(buf) == "-0.00" ? "0.00" : buf;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A minimal SVG document builder.
class Svg {
 public:
  Svg(double width, double height) {
    out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << Num(width) << "\" height=\""
         << Num(height) << "\" viewBox=\"0 0 " << Num(width) << " " << Num(height)
         << "\" font-family=\"Helvetica, Arial, sans-serif\">\n"
         << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  }
  void Line(double x1, double y1, double x2, double y2, const std::string& stroke, double width,
            const std::string& dash = "") {
    out_ << "<line x1=\"" << Num(x1) << "\" y1=\"" << Num(y1) << "\" x2=\"" << Num(x2) << "\" y2=\""
         << Num(y2) << "\" stroke=\"" << stroke << "\" stroke-width=\"" << Num(width) << "\""
         << (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") << "/>\n";
  }
  void Polyline(const std::vector<std::pair<double, double>>& pts, const std::string& stroke,
                double width, const std::string& dash = "") {
    if (pts.size() < 2) return;
    out_ << "<polyline fill=\"none\" stroke=\"" << stroke << "\" stroke-width=\"" << Num(width)
         << "\"" << (dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"") << " points=\"";
    for (size_t i = 0; i < pts.size(); ++i) {
      out_ << (i ? " " : "") << Num(pts[i].first) << "," << Num(pts[i].second);
    }
    out_ << "\"/>\n";
  }
  void Circle(double x, double y, double r, const std::string& fill) {
    out_ << "<circle cx=\"" << Num(x) << "\" cy=\"" << Num(y) << "\" r=\"" << Num(r) << "\" fill=\""
         << fill << "\"/>\n";
  }
  void Text(double x, double y, const std::string& text, double size,
            const std::string& anchor = "middle", double rotate = 0, bool bold = false) {
    out_ << "<text x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" font-size=\"" << Num(size)
         << "\" text-anchor=\"" << anchor << "\"" << (bold ? " font-weight=\"bold\"" : "");
    if (rotate != 0) {
      out_ << " transform=\"rotate(" << Num(rotate) << " " << Num(x) << " " << Num(y) << ")\"";
    }
    out_ << ">" << Escape(text) << "</text>\n";
  }
  std::string Finish() { return out_.str() + "</svg>\n"; }

 private:
  std::ostringstream out_;
};

// A plotting frame mapping data to pixels.
struct Frame {
  double left = 70, top = 50, width = 430, height = 430;
  double xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  double X(double v) const { return left + (v - xmin) / (xmax - xmin) * width; }
  double Y(double v) const { return top + height - (v - ymin) / (ymax - ymin) * height; }
  double Right() const { return left + width; }
  double Bottom() const { return top + height; }
};

void DrawAxes(Svg* svg, const Frame& f, const std::vector<double>& xticks,
              const std::vector<double>& yticks, const std::string& xlabel,
              const std::string& ylabel, const std::string& title) {
  svg->Line(f.left, f.Bottom(), f.Right(), f.Bottom(), "black", 1);
  svg->Line(f.left, f.top, f.left, f.Bottom(), "black", 1);
  for (double t : xticks) {
    if (t < f.xmin - 1e-12 || t > f.xmax + 1e-12) continue;
    svg->Line(f.X(t), f.Bottom(), f.X(t), f.Bottom() + 5, "black", 1);
    svg->Text(f.X(t), f.Bottom() + 18, FormatTick(t), 11);
  }
  for (double t : yticks) {
    if (t < f.ymin - 1e-12 || t > f.ymax + 1e-12) continue;
    svg->Line(f.left - 5, f.Y(t), f.left, f.Y(t), "black", 1);
    svg->Text(f.left - 8, f.Y(t) + 4, FormatTick(t), 11, "end");
  }
  svg->Text(f.left + f.width / 2, f.Bottom() + 40, xlabel, 13);
  svg->Text(f.left - 48, f.top + f.height / 2, ylabel, 13, "middle", -90);
  svg->Text(f.left + f.width / 2, f.top - 20, title, 15, "middle", 0, true);
}

enum class Corner { kTopLeft, kTopRight, kBottomRight };

void Legend(Svg* svg, const Frame& f, const std::vector<std::string>& labels,
            const std::vector<std::string>& colors, const std::vector<std::string>& dashes,
            Corner corner) {
  const double x = corner == Corner::kTopLeft ? f.left + 12 : f.Right() - 250;
  double y =
      corner == Corner::kBottomRight ? f.Bottom() - 14 - 16.0 * (labels.size() - 1) : f.top + 14;
  for (size_t i = 0; i < labels.size(); ++i, y += 16) {
    svg->Line(x, y - 4, x + 22, y - 4, colors[i], 2, dashes[i]);
    svg->Text(x + 28, y, labels[i], 11, "start");
  }
}

std::string Color(size_t i) { return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))]; }

}  // namespace

std::string RocSvg(const std::vector<RocSeries>& series, const std::string& title) {
  Svg svg(kFigure, kFigure);
  Frame f;
  const std::vector<double> ticks = Pretty(0, 1);
  DrawAxes(&svg, f, ticks, ticks, "1 - Specificity", "Sensitivity", title);
  svg.Line(f.X(0), f.Y(0), f.X(1), f.Y(1), "#999999", 1, "4,4");
  std::vector<std::string> labels, colors, dashes;
  for (size_t s = 0; s < series.size(); ++s) {
    std::vector<std::pair<double, double>> pts;
    for (auto it = series[s].curve.points.rbegin(); it != series[s].curve.points.rend(); ++it) {
      pts.push_back({f.X(1 - it->specificity), f.Y(it->sensitivity)});
    }
    svg.Polyline(pts, Color(s), 2);
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s: AUC %.3f (%.3f-%.3f)", series[s].label.c_str(),
                  series[s].auc.auc, series[s].auc.ci_lower, series[s].auc.ci_upper);
    labels.push_back(buf);
    colors.push_back(Color(s));
    dashes.push_back("");
  }
  Legend(&svg, f, labels, colors, dashes, Corner::kBottomRight);
  return svg.Finish();
}

std::string CalibrationSvg(const CalibrationPlot& plot) {
  Svg svg(kFigure, kFigure);
  Frame f;
  const std::vector<double> ticks = Pretty(0, 1);
  DrawAxes(&svg, f, ticks, ticks, "Predicted probability", "Observed proportion", plot.title);
  svg.Line(f.X(0), f.Y(0), f.X(1), f.Y(1), "#999999", 1.5, "4,4");
  std::vector<std::string> labels{"Ideal"}, colors{"#999999"}, dashes{"4,4"};
  const auto draw = [&](const Curve& c, const std::string& label, const std::string& color,
                        const std::string& dash) {
    std::vector<std::pair<double, double>> pts;
    for (size_t i = 0; i < c.x.size(); ++i) {
      if (!std::isfinite(c.y[i])) continue;
      pts.push_back({f.X(c.x[i]), f.Y(std::clamp(c.y[i], 0.0, 1.0))});
    }
    svg.Polyline(pts, color, 2, dash);
    labels.push_back(label);
    colors.push_back(color);
    dashes.push_back(dash);
  };
  if (!plot.apparent.x.empty()) draw(plot.apparent, "Apparent", Color(0), "");
  if (!plot.corrected.x.empty()) draw(plot.corrected, "Bias-corrected", Color(1), "6,3");
  for (const CalibrationGroup& g : plot.groups) {
    svg.Line(f.X(g.mean_predicted), f.Y(g.observed_ci_lower), f.X(g.mean_predicted),
             f.Y(g.observed_ci_upper), "#555555", 1);
    svg.Circle(f.X(g.mean_predicted), f.Y(g.observed_rate), 3.5, "#555555");
  }
  for (double p : plot.predicted) {
    svg.Line(f.X(p), f.Bottom(), f.X(p), f.Bottom() - 6, "#777777", 0.6);
  }
  if (!plot.groups.empty()) {
    labels.push_back("Grouped observed (95% CI)");
    colors.push_back("#555555");
    dashes.push_back("1,2");
  }
  Legend(&svg, f, labels, colors, dashes, Corner::kTopLeft);
  return svg.Finish();
}

std::string DecisionCurveSvg(const std::vector<DecisionSeries>& series, const std::string& title) {
  Svg svg(kFigure, kFigure);
  Frame f;
  double ymax = 0.05;
  for (const DecisionSeries& s : series) {
    for (const DecisionCurvePoint& p : s.points)
      ymax = std::max({ymax, p.net_benefit, p.treat_all});
  }
  f.ymin = -0.05;
  f.ymax = ymax * 1.05;
  if (!series.empty() && !series[0].points.empty()) {
    f.xmin = 0;
    f.xmax = std::ceil(series[0].points.back().threshold * 10) / 10;
  }
  DrawAxes(&svg, f, Pretty(f.xmin, f.xmax), Pretty(f.ymin, f.ymax), "Threshold probability",
           "Net benefit", title);
  const auto clip = [&](double v) { return f.Y(std::clamp(v, f.ymin, f.ymax)); };
  std::vector<std::string> labels, colors, dashes;
  if (!series.empty()) {
    std::vector<std::pair<double, double>> all;
    for (const DecisionCurvePoint& p : series[0].points) {
      if (p.treat_all < f.ymin) break;
      all.push_back({f.X(p.threshold), clip(p.treat_all)});
    }
    svg.Polyline(all, "#888888", 1.5, "5,3");
    labels.push_back("Treat all");
    colors.push_back("#888888");
    dashes.push_back("5,3");
  }
  svg.Line(f.X(f.xmin), f.Y(0), f.X(f.xmax), f.Y(0), "black", 1.5);
  labels.push_back("Treat none");
  colors.push_back("black");
  dashes.push_back("");
  for (size_t s = 0; s < series.size(); ++s) {
    std::vector<std::pair<double, double>> pts;
    for (const DecisionCurvePoint& p : series[s].points)
      pts.push_back({f.X(p.threshold), clip(p.net_benefit)});
    svg.Polyline(pts, Color(s), 2);
    labels.push_back(series[s].label);
    colors.push_back(Color(s));
    dashes.push_back("");
  }
  Legend(&svg, f, labels, colors, dashes, Corner::kTopRight);
  return svg.Finish();
}

namespace {

// One nomogram row: a horizontal axis with ticks at pixel positions and labels.
void NomogramRow(Svg* svg, double y, const std::string& name, const std::vector<double>& x_px,
                 const std::vector<std::string>& labels) {
  svg->Text(150, y + 4, name, 12, "end", 0, true);
  if (x_px.empty()) return;
  const auto [lo, hi] = std::minmax_element(x_px.begin(), x_px.end());
  svg->Line(*lo, y, *hi, y, "black", 1);
  double last_label_x = -1e9;
  std::vector<size_t> order(x_px.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return x_px[a] < x_px[b]; });
  for (size_t k : order) {
    svg->Line(x_px[k], y, x_px[k], y - 6, "black", 1);
    if (x_px[k] - last_label_x < 24) continue;  // keep labels apart
    svg->Text(x_px[k], y - 9, labels[k], 10);
    last_label_x = x_px[k];
  }
}

}  // namespace

std::string NomogramSvg(const Nomogram& nom, const std::string& risk_label) {
  const double left = 170, width = 560, row = 42;
  const int rows = static_cast<int>(nom.predictors.size()) + 4;
  Svg svg(left + width + 40, 40 + row * rows);
  const double points_max = nom.max_scale;
  const double total_max = nom.total_points_ticks.empty() ? 100 : nom.total_points_ticks.back();
  const auto px_points = [&](double p) { return left + p / points_max * width; };
  const auto px_total = [&](double p) { return left + p / total_max * width; };
  double y = 40;
  std::vector<double> xs;
  std::vector<std::string> labels;
  for (double t : Pretty(0, points_max, {10})) {
    xs.push_back(px_points(t));
    labels.push_back(FormatTick(t));
  }
  NomogramRow(&svg, y, "Points", xs, labels);
  for (const NomogramAxis& axis : nom.predictors) {
    y += row;
    xs.clear();
    for (double p : axis.points) xs.push_back(px_points(p));
    NomogramRow(&svg, y, axis.name, xs, axis.labels);
  }
  const auto scaled_row = [&](const std::string& name, const std::vector<double>& at,
                              const std::vector<double>& values) {
    y += row;
    std::vector<double> px;
    std::vector<std::string> text;
    for (size_t k = 0; k < at.size(); ++k) {
      if (at[k] < -1e-9 || at[k] > total_max + 1e-9) continue;
      px.push_back(px_total(at[k]));
      text.push_back(FormatTick(values[k]));
    }
    NomogramRow(&svg, y, name, px, text);
  };
  scaled_row("Total Points", nom.total_points_ticks, nom.total_points_ticks);
  scaled_row("Linear Predictor", nom.lp_tick_points, nom.lp_ticks);
  scaled_row(risk_label, nom.risk_tick_points, nom.risk_ticks);
  return svg.Finish();
}

}  // namespace amdrn::stats
