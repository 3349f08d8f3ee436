"""Stage 6, judging: one prediction against its gold on every instance (`scorer`), a whole eval
set (`run`), result comparison, gold cache, summary and text metrics, the typed results.json."""
