"""Served and hosted models: ``openai:<served model name>`` for any OpenAI-compatible chat-completions endpoint.

- :mod:`.options`: the ``--model-arg`` options (torch-free; checked before the first request);
- :mod:`.images`: images as data URLs, encoded in DataLoader workers;
- :mod:`.http`: one request over the standard library's ``http.client``, errors sorted into retryable causes;
- :mod:`.client`: chat-completions requests with retries, backoff and per-run statistics;
- :mod:`.pool`: a bounded number of requests in flight, answers yielded as they arrive;
- :mod:`.adapter`: the ``openai:`` model adapter;
- :mod:`.testserver`: an OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.
"""
