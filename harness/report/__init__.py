"""Stage 11, what people and tools read: the HTML scorecard and its charts, JUnit, MLflow,
DataFrames, console tables."""
