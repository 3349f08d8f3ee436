"""Stage 7, model input: the RAG context retriever and prompt rendering (templates/)."""
