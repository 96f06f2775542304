"""Reports: views of the outcomes (terminal, Markdown, HTML, JSON, JUnit), merges, diffs, baselines, certificates."""
