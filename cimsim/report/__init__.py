"""Reports: summaries, tables and files written from results (never physics)."""
