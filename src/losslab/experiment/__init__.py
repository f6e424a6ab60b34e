"""What a trial is and how it runs: spec, data preparation, runner, executors, store, results."""
