"""Built-in LLaVA: config, Llama decoder, the model and its adapter."""
