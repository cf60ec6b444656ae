"""From evidence to answers: the LLM client, grounded synthesis, the grounding check, conversations."""
