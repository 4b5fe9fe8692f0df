// Distribution functions needed by the statistics module (normal, chi-square, Student t,
// F via the incomplete beta), written to match R's pnorm/qnorm/pchisq/pt to ~1e-14
// relative in the ranges used for p-values and confidence intervals. Pure functions,
// thread-safe.
#ifndef AMDRN_STATS_DISTRIBUTIONS_H_
#define AMDRN_STATS_DISTRIBUTIONS_H_

namespace amdrn::stats {

// Standard normal CDF Phi(x) (R: pnorm(x)).
double NormalCdf(double x);
// Upper tail 1 - Phi(x), accurate far in the tail (R: pnorm(x, lower.tail = FALSE)).
double NormalUpperTail(double x);
// Quantile Phi^-1(p) for p in (0, 1) (R: qnorm): a rational first guess refined by Halley
// steps on erfc, so it agrees with R to rounding; -Inf at 0, +Inf at 1, NaN outside.
double NormalQuantile(double p);
// Two-sided p-value of a z statistic: 2 * Phi(-|z|).
double TwoSidedNormalP(double z);
// Regularised lower incomplete gamma P(a, x).
double RegularizedGammaP(double a, double x);
// Upper tail of chi-square(df) at x (R: pchisq(x, df, lower.tail = FALSE)); 1 for x <= 0.
double ChiSquareUpperTail(double x, double df);
// Regularised incomplete beta I_x(a, b).
double RegularizedBeta(double x, double a, double b);
// Student t CDF with `df` (possibly fractional, as Welch) degrees of freedom (R: pt).
double StudentTCdf(double t, double df);
// Two-sided p of a t statistic: 2 * pt(-|t|, df).
double TwoSidedStudentP(double t, double df);

}  // namespace amdrn::stats

#endif  // AMDRN_STATS_DISTRIBUTIONS_H_
