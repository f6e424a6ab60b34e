"""Fixed inputs the metrics tests score: binary, multiclass and regression rows."""

import numpy as np

# Fixed inputs. Binary: 8 rows, labels {0, 1}; P(class 1) and the matching logits.
Y_BIN = np.array([0, 0, 1, 1, 0, 1, 1, 0])
P_BIN = np.array([0.1, 0.4, 0.35, 0.8, 0.3, 0.9, 0.6, 0.7])
S_BIN = np.log(P_BIN / (1 - P_BIN))
L_BIN = (P_BIN > 0.5).astype(int)  # [0, 0, 0, 1, 0, 1, 1, 1]
# Multiclass: 6 rows, 3 classes; probability rows sum to 1.
Y_MC = np.array([0, 1, 2, 2, 1, 0])
P_MC = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3], [0.25, 0.5, 0.25], [0.2, 0.2, 0.6]])
L_MC = P_MC.argmax(axis=1)  # [0, 1, 2, 1, 1, 2]
# Regression: one target column, and two.
Y_REG = np.array([3.0, -0.5, 2.0, 7.0])
P_REG = np.array([2.5, 0.0, 2.0, 8.0])
Y_REG2 = np.array([[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]])
P_REG2 = np.array([[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]])
