"""Plan and run: which cases and models, scheduled concurrently, judged as they finish."""
