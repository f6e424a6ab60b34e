"""Loss landscapes: directions, planes and lines through trained weights, evaluated as batches."""
