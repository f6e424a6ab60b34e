"""The tutorial's experiments (data, model, settings) and their reproduction."""
