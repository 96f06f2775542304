"""The self-test: the suite run against broken and hostile servers, to show every check can fail and none can hang."""
