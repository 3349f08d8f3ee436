"""Stage 2, SQL text before any database: strict parsing, Oracle 19c conformance, statement
safety, referenced tables/columns and MOAC, SQL extraction from a model's answer."""
