"""Studies: a spec, a grid of trials, a runner, a store and the statistics."""
