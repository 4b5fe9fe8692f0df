# Generates the R reference tables that amdrn's evaluation and nomogram tests compare against.
# Run from the repository root:  Rscript testdata/stats/eval/make_reference.R [OUT_DIR]
# (OUT_DIR defaults to testdata/stats/eval; CTest's amdrn_stats_eval_r_reference writes to a
# temporary folder and checks the committed tables are reproduced byte for byte).
# Needs R >= 4.2 with rms and pROC (Debian: r-cran-rms r-cran-proc). Deterministic: rerunning
# reproduces every file byte for byte. Doubles are written with %.17g so C++ reads identical values.
suppressMessages({
  library(rms)
  library(pROC)
})
args <- commandArgs(trailingOnly = TRUE)
out_dir <- if (length(args)) args[1] else "testdata/stats/eval"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
g17 <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
write_table <- function(df, name) {
  for (j in seq_along(df)) if (is.numeric(df[[j]])) df[[j]] <- g17(df[[j]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE)
}
joined <- function(x) paste(g17(x), collapse = ";")

# ---- Cohort: 240 simulated patients, first 168 training, last 72 validation -------------------
set.seed(20261203)
n <- 240
ntr <- 168
age <- round(rnorm(n, 55, 11))
sex <- rbinom(n, 1, 0.45)
smoker <- rbinom(n, 1, 0.3)
crp <- round(rlnorm(n, 1.5, 0.6), 1)
rad_score <- rnorm(n, -0.4, 0.8)
dl_score <- rnorm(n, 0, 1)
lp_true <- -0.6 + 0.02 * (age - 55) + 0.5 * sex + 0.6 * smoker + 0.01 * crp +
  1.3 * (rad_score + 0.4) + 0.5 * dl_score
y <- rbinom(n, 1, plogis(lp_true))
set <- rep(c("train", "validation"), c(ntr, n - ntr))
d <- data.frame(id = sprintf("P%03d", 1:n), set, y, age, sex, smoker, crp, rad_score, dl_score)
# Exchange at 17 significant digits so both sides hold the same doubles.
for (v in c("rad_score", "dl_score")) d[[v]] <- as.numeric(g17(d[[v]]))
tr <- d[d$set == "train", ]

clin <- glm(y ~ age + sex + smoker + crp, family = binomial, data = tr)
# Rounded to 2 decimals on purpose: a score with many ties.
d$p_clin <- round(predict(clin, newdata = d, type = "response"), 2)
dd <- datadist(tr)
options(datadist = "dd")
fus <- lrm(y ~ age + sex + smoker + crp + rad_score + dl_score, data = tr, x = TRUE, y = TRUE)
d$p_nomo <- as.numeric(g17(predict(fus, newdata = d, type = "fitted")))
write_table(d, "cohort.csv")

# ---- ROC, AUC, DeLong (pROC, direction "<", levels 0/1) --------------------------------------
models <- c("p_clin", "rad_score", "dl_score", "p_nomo")
rocs <- list()
rows <- list()
for (s in c("train", "validation")) {
  ds <- d[d$set == s, ]
  for (m in models) {
    r <- roc(ds$y, ds[[m]], levels = c(0, 1), direction = "<", quiet = TRUE)
    rocs[[paste(s, m)]] <- r
    ci <- ci.auc(r, method = "delong")
    rows[[length(rows) + 1]] <- data.frame(set = s, model = m, auc = as.numeric(auc(r)),
      var = var(r, method = "delong"), ci_lo = ci[1], ci_hi = ci[3],
      n_cases = length(r$cases), n_controls = length(r$controls),
      n_thresholds = length(r$thresholds),
      sens = joined(r$sensitivities), spec = joined(r$specificities))
  }
}
write_table(do.call(rbind, rows), "roc_reference.csv")

rows <- list()
for (s in c("train", "validation")) {
  for (pair in list(c("p_nomo", "p_clin"), c("p_nomo", "rad_score"), c("rad_score", "dl_score"))) {
    t <- roc.test(rocs[[paste(s, pair[1])]], rocs[[paste(s, pair[2])]], method = "delong",
                  paired = TRUE)
    rows[[length(rows) + 1]] <- data.frame(set = s, model1 = pair[1], model2 = pair[2],
      auc1 = unname(t$estimate[1]), auc2 = unname(t$estimate[2]), z = unname(t$statistic),
      p = t$p.value, ci_lo = t$conf.int[1], ci_hi = t$conf.int[2])
  }
}
write_table(do.call(rbind, rows), "delong_paired.csv")

# Youden cut-offs (all tied optima, ascending thresholds) on training, plus a hand-made tie case.
rows <- list()
for (m in models) {
  cc <- coords(rocs[[paste("train", m)]], "best", best.method = "youden",
               ret = c("threshold", "sensitivity", "specificity"), transpose = FALSE)
  rows[[length(rows) + 1]] <- data.frame(case = m, threshold = cc$threshold,
                                         sensitivity = cc$sensitivity, specificity = cc$specificity)
}
tie <- roc(c(0, 1, 0, 1), c(1, 2, 3, 4), levels = c(0, 1), direction = "<", quiet = TRUE)
cc <- coords(tie, "best", best.method = "youden", ret = c("threshold", "sensitivity",
             "specificity"), transpose = FALSE)
rows[[length(rows) + 1]] <- data.frame(case = "tie_case", threshold = cc$threshold,
                                       sensitivity = cc$sensitivity, specificity = cc$specificity)
write_table(do.call(rbind, rows), "youden.csv")

# Metrics on validation at the training cut-off (first tied optimum), Wilson CIs (prop.test).
cut <- coords(rocs[["train p_nomo"]], "best", best.method = "youden", ret = "threshold",
              transpose = FALSE)$threshold[1]
va <- d[d$set == "validation", ]
pos <- va$p_nomo >= cut
tp <- sum(pos & va$y == 1); fp <- sum(pos & va$y == 0)
tn <- sum(!pos & va$y == 0); fn <- sum(!pos & va$y == 1)
wil <- function(x, n) as.numeric(prop.test(x, n, correct = FALSE)$conf.int)
mrows <- data.frame(
  metric = c("sensitivity", "specificity", "ppv", "npv", "accuracy"),
  estimate = c(tp / (tp + fn), tn / (tn + fp), tp / (tp + fp), tn / (tn + fn), (tp + tn) / nrow(va)),
  ci_lo = c(wil(tp, tp + fn)[1], wil(tn, tn + fp)[1], wil(tp, tp + fp)[1], wil(tn, tn + fn)[1],
            wil(tp + tn, nrow(va))[1]),
  ci_hi = c(wil(tp, tp + fn)[2], wil(tn, tn + fp)[2], wil(tp, tp + fp)[2], wil(tn, tn + fn)[2],
            wil(tp + tn, nrow(va))[2]))
mrows <- rbind(mrows, data.frame(metric = "cutoff", estimate = cut, ci_lo = NA, ci_hi = NA),
  data.frame(metric = c("tp", "fp", "tn", "fn"), estimate = c(tp, fp, tn, fn), ci_lo = NA,
             ci_hi = NA),
  data.frame(metric = "f1", estimate = 2 * tp / (2 * tp + fp + fn), ci_lo = NA, ci_hi = NA))
write_table(mrows, "metrics_validation.csv")

# ---- Calibration: val.prob, Hosmer-Lemeshow (hoslem.test algorithm), lowess, DCA -------------
hoslem <- function(y, p, g = 10) {
  br <- unique(quantile(p, probs = seq(0, 1, 1 / g)))
  cutp <- cut(p, breaks = br, include.lowest = TRUE)
  obs <- xtabs(cbind(1 - y, y) ~ cutp)
  expect <- xtabs(cbind(1 - p, p) ~ cutp)
  chisq <- sum((obs - expect)^2 / expect)
  c(chisq = chisq, groups = nrow(obs), df = g - 2, p = 1 - pchisq(chisq, g - 2))
}
rows <- list()
for (s in c("train", "validation")) {
  ds <- d[d$set == s, ]
  v <- val.prob(ds$p_nomo, ds$y, pl = FALSE)
  h <- hoslem(ds$y, ds$p_nomo)
  cil <- coef(glm(ds$y ~ offset(qlogis(ds$p_nomo)), family = binomial))[1]
  rows[[length(rows) + 1]] <- data.frame(set = s, stat = c(names(v), "HL:chisq", "HL:groups",
    "HL:df", "HL:p", "CITL"), value = c(unname(v), unname(h), unname(cil)))
}
write_table(do.call(rbind, rows), "valprob.csv")

ds <- d[d$set == "validation", ]
lw <- lowess(ds$p_nomo, ds$y, iter = 0)
write_table(data.frame(x = lw$x, y = lw$y), "lowess_validation.csv")
lw3 <- lowess(d$age, d$crp)  # default f = 2/3, iter = 3, with many ties in x
write_table(data.frame(x = lw3$x, y = lw3$y), "lowess_age_crp.csv")

pt <- seq(0.01, 0.99, by = 0.01)
prev <- mean(ds$y)
nb <- sapply(pt, function(t) {
  pos <- ds$p_nomo >= t
  sum(pos & ds$y == 1) / nrow(ds) - sum(pos & ds$y == 0) / nrow(ds) * t / (1 - t)
})
write_table(data.frame(threshold = pt, net_benefit = nb,
                       treat_all = prev - (1 - prev) * pt / (1 - pt)), "dca_validation.csv")

# ---- Nomogram (rms defaults, fun = plogis) ----------------------------------------------------
nm <- nomogram(fus, fun = plogis, funlabel = "Risk")
info <- attr(nm, "info")
rows <- list()
for (v in c("age", "sex", "smoker", "crp", "rad_score", "dl_score")) {
  rows[[length(rows) + 1]] <- data.frame(axis = v, values = joined(nm[[v]][[v]]),
                                         points = joined(nm[[v]]$points))
}
rows[[length(rows) + 1]] <- data.frame(axis = "total.points", values = joined(nm$total.points$x),
                                       points = joined(nm$total.points$x))
rows[[length(rows) + 1]] <- data.frame(axis = "lp", values = joined(nm$lp$x.real),
                                       points = joined(nm$lp$x))
rows[[length(rows) + 1]] <- data.frame(axis = "Risk", values = joined(nm$Risk$x.real),
                                       points = joined(nm$Risk$x))
nm2 <- nomogram(fus, fun = plogis, funlabel = "Risk",
                fun.at = c(0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.999))
rows[[length(rows) + 1]] <- data.frame(axis = "Risk_fun_at", values = joined(nm2$Risk$x.real),
                                       points = joined(nm2$Risk$x))
rows[[length(rows) + 1]] <- data.frame(axis = "scale", values = joined(c(info$sc,
  info$Intercept)), points = joined(info$lp.at))
write_table(do.call(rbind, rows), "nomogram.csv")
write_table(data.frame(term = names(coef(fus)), estimate = unname(coef(fus))), "fusion_coef.csv")

# ---- pretty() on a table of cases -------------------------------------------------------------
set.seed(7)
cases <- data.frame(
  lo = c(0, 0, 1, -1, 35.96, 0, 0.1, 1e-8, -3.2, 1e6, 0.000123, -1e-3, 5, 17, -7.77, 0, 2, 100,
         0.3, -0.5),
  hi = c(1, 0, 1, 1, 86.35, 100, 0.9, 3e-8, 4.1, 3e6, 0.000127, 1e-3, 5, 17.0000001, -7.7, 125.3,
         2.0000000001, 1e9, 0.30000000000000004, 0.5),
  n = c(10, 5, 5, 10, 10, 10, 10, 5, 10, 5, 5, 7, 10, 5, 10, 10, 5, 10, 10, 1))
rnd <- data.frame(lo = signif(rnorm(150) * 10^sample(-6:6, 150, replace = TRUE), 6),
                  n = sample(c(5, 10, 3, 20), 150, replace = TRUE))
rnd$hi <- rnd$lo + abs(signif(rnorm(150) * 10^sample(-6:6, 150, replace = TRUE), 6))
cases <- rbind(cases, rnd[, c("lo", "hi", "n")])
cases$ticks <- sapply(seq_len(nrow(cases)), function(i) joined(pretty(c(cases$lo[i], cases$hi[i]),
                                                                    n = cases$n[i])))
write_table(cases, "pretty_cases.csv")

# ---- Bootstrap validation (rms validate/calibrate, B = 200) over 10 seeds ---------------------
# The C++ RNG differs from R's; the spread over seeds gives the Monte-Carlo SD used as tolerance.
vals <- list()
cals <- list()
for (seed in 1:10) {
  set.seed(seed)
  v <- validate(fus, B = 200)
  vals[[seed]] <- data.frame(seed = seed, index = rownames(v), orig = v[, "index.orig"],
                             optimism = v[, "optimism"], corrected = v[, "index.corrected"])
  set.seed(seed)
  cl <- calibrate(fus, B = 200)
  predicted <- attr(cl, "predicted")
  s <- !is.na(cl[, "predy"] + cl[, "calibrated.corrected"])
  err <- predicted - approx(cl[s, "predy"], cl[s, "calibrated.corrected"], xout = predicted,
                            ties = mean)$y
  cals[[seed]] <- data.frame(seed = seed, predy = cl[, "predy"],
    apparent = cl[, "calibrated.orig"], corrected = cl[, "calibrated.corrected"],
    mean_abs_error = mean(abs(err), na.rm = TRUE), mean_sq_error = mean(err^2, na.rm = TRUE),
    q90_abs_error = unname(quantile(abs(err), 0.9, na.rm = TRUE)))
}
write_table(do.call(rbind, vals), "validate_seeds.csv")
write_table(do.call(rbind, cals), "calibrate_seeds.csv")
cat("R", R.version$major, R.version$minor, " rms", format(packageVersion("rms")), " pROC",
    format(packageVersion("pROC")), "\n", file = file.path(out_dir, "VERSIONS.txt"), sep = "")
