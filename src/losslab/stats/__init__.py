"""Statistics on score tables: pure functions, no training, no storage.

``tests`` holds each hypothesis test and effect size once, ``within`` compares losses on one
data set (tests corrected for overlapping trials), ``across`` compares them over several data
sets (Demsar), ``wording`` turns results into reasons and verdicts.
"""
