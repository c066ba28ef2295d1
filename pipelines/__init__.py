"""Item pipelines: clean, validate, then store articles."""
