"""Measurement: per-batch timers, latency percentiles, tokens/s, TTFT/TPOT (:mod:`.timing`), FLOPs and
MFU (:mod:`.flops`, :mod:`.accelerators`), device choice (:mod:`.devices`) and start-up cost
(:mod:`.startup`)."""
