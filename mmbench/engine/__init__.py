"""The run engine: the one loop over batches (:mod:`.runner`, :mod:`.stage_runner`, :mod:`.execution`,
:mod:`.image_batches`), the prediction store and its keys (:mod:`.store`, :mod:`.store_context`),
sharding (:mod:`.distributed`), sweeps and task groups (:mod:`.sweep`, :mod:`.groups`) and the checks
that run before any model loads (:mod:`.preflight`)."""
