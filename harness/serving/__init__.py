"""Stage 9, the served model: guardrail and its proxy, the vLLM serving plan, the load
generator and latency statistics."""
