# Generates the R reference tables that src/stats tests compare against (R 4.2.2, stats,
# glmnet 4.1-6). Run from the repository root:  Rscript testdata/stats/make_reference.R
# Every number is written with 17 significant digits so C++ reads the same doubles.
suppressMessages(library(glmnet))
out <- "testdata/stats"
w17 <- function(df, file) {
  df[] <- lapply(df, function(v) if (is.numeric(v)) sprintf("%.17g", v) else v)
  write.csv(df, file.path(out, file), row.names = FALSE, quote = FALSE)
}

## 1. Clinical cohort: logistic regression (glm), factors, step().
set.seed(20261203)
n <- 240
age <- round(rnorm(n, 55, 11))
sex <- rbinom(n, 1, 0.45)
smoker <- rbinom(n, 1, 0.3)
crp <- round(rlnorm(n, 1.5, 0.8), 2)
site <- factor(sample(c("anterior", "molar", "premolar"), n, replace = TRUE))
height <- round(rnorm(n, 6, 2), 1)
noise <- round(rnorm(n), 3)
lp <- -3 + 0.03 * age + 0.5 * sex + 0.7 * smoker + 0.02 * crp + 0.6 * (site == "molar") -
  0.15 * height
y <- rbinom(n, 1, plogis(lp))
wts <- sample(1:3, n, replace = TRUE)
off <- round(rnorm(n, 0, 0.3), 3)
clin <- data.frame(age, sex, smoker, crp, site = as.character(site), height, noise, y, wts, off)
w17(clin, "clinical.csv")

coef_table <- function(fit, model) {
  s <- summary(fit)$coefficients
  data.frame(model = model, term = rownames(s), estimate = s[, 1], se = s[, 2], z = s[, 3],
             p = s[, 4], deviance = deviance(fit), null_deviance = fit$null.deviance,
             aic = AIC(fit), iterations = fit$iter, df_residual = fit$df.residual)
}
f1 <- glm(y ~ age + sex + smoker + crp, binomial, clin)
f2 <- glm(y ~ age + sex + smoker + crp + height + noise, binomial, clin, weights = wts)
f3 <- glm(y ~ age + sex + crp + offset(off), binomial, clin)
f4 <- glm(y ~ age + site + height, binomial, clin)
f5 <- glm(y ~ age + sex + smoker, binomial, clin, offset = off, weights = wts)
w17(rbind(coef_table(f1, "basic"), coef_table(f2, "weighted"), coef_table(f3, "offset"),
          coef_table(f4, "factor"), coef_table(f5, "offset_weighted")), "glm_reference.csv")
ci <- exp(confint.default(f1))
w17(data.frame(term = rownames(ci), or = exp(coef(f1)), lower = ci[, 1], upper = ci[, 2]),
    "glm_or_ci.csv")
a <- anova(glm(y ~ age + sex, binomial, clin), f1, test = "Chisq")
w17(data.frame(chisq = a$Deviance[2], df = a$Df[2], p = a[["Pr(>Chi)"]][2]), "glm_lrt.csv")
full <- glm(y ~ age + sex + smoker + crp + site + height + noise, binomial, clin)
st <- step(full, direction = "backward", trace = 0)
w17(data.frame(term = names(coef(st)), estimate = coef(st), aic = AIC(st)), "glm_step.csv")
uni <- do.call(rbind, lapply(c("age", "sex", "smoker", "crp", "site", "height", "noise"), function(v) {
  f <- glm(as.formula(paste("y ~", v)), binomial, clin)
  s <- summary(f)$coefficients[-1, , drop = FALSE]
  data.frame(variable = v, term = rownames(s), estimate = s[, 1], se = s[, 2], p = s[, 4])
}))
w17(uni, "glm_univariate.csv")

## 2. Screening tests: wilcox.test (exact and normal approximation with ties), t.test, Spearman.
set.seed(7)
a1 <- round(rnorm(30), 1); b1 <- round(rnorm(25, 0.5), 1)     # ties -> normal approximation
a2 <- rnorm(12); b2 <- rnorm(9, 1)                              # n < 50, no ties -> exact
a3 <- rnorm(60); b3 <- rnorm(55, 0.3)                           # n >= 50 -> normal approximation
tests <- list(list("ties", a1, b1), list("exact", a2, b2), list("large", a3, b3))
wt <- do.call(rbind, lapply(tests, function(t) {
  w <- suppressWarnings(wilcox.test(t[[2]], t[[3]]))
  tt <- t.test(t[[2]], t[[3]])
  data.frame(case = t[[1]], w = unname(w$statistic), p_wilcox = w$p.value,
             t = unname(tt$statistic), df = unname(tt$parameter), p_t = tt$p.value)
}))
w17(wt, "screening_tests.csv")
sample_rows <- do.call(rbind, lapply(tests, function(t)
  data.frame(case = t[[1]], group = c(rep(0, length(t[[2]])), rep(1, length(t[[3]]))),
             value = c(t[[2]], t[[3]]))))
w17(sample_rows, "screening_samples.csv")

## 3. LASSO: glmnet path and cv.glmnet with a fixed foldid, n >= p and n < p.
lasso_case <- function(name, n, p, seed) {
  set.seed(seed)
  x <- matrix(rnorm(n * p), n, p)
  x[, 2] <- x[, 2] * 5 + 3
  x[, 3] <- round(x[, 3], 1)
  colnames(x) <- sprintf("f%03d", seq_len(p))
  yy <- rbinom(n, 1, plogis(-0.3 + x[, 1] - 0.16 * x[, 2] + 0.5 * x[, 3] - 0.4 * x[, 4]))
  d <- data.frame(x, y = yy)
  w17(d, paste0("lasso_", name, "_data.csv"))
  foldid <- rep(1:10, length.out = n)
  fit <- glmnet(x, yy, family = "binomial")
  b <- as.matrix(coef(fit))
  path <- data.frame(lambda = fit$lambda, df = fit$df, dev_ratio = fit$dev.ratio, t(b),
                     check.names = FALSE)
  names(path)[4] <- "intercept"
  w17(path, paste0("lasso_", name, "_path.csv"))
  cv <- cv.glmnet(x, yy, family = "binomial", foldid = foldid)
  w17(data.frame(lambda = cv$lambda, cvm = cv$cvm, cvsd = cv$cvsd, nzero = cv$nzero,
                 is_min = cv$lambda == cv$lambda.min, is_1se = cv$lambda == cv$lambda.1se),
      paste0("lasso_", name, "_cv.csv"))
}
lasso_case("tall", 150, 30, 11)
lasso_case("wide", 60, 120, 12)
