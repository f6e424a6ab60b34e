"""Statistics on score tables: pure functions, no training, no storage (docs/statistics.md).

``tests`` holds each hypothesis test and effect size once and ``bayes`` the two Bayesian tests;
``validate`` is the one argument checker and ``design`` says how trials were resampled;
``within`` compares losses on one data set (tests corrected for overlapping trials), ``across``
over several data sets (Demšar); ``wording`` turns both results into reasons and verdicts.
"""
