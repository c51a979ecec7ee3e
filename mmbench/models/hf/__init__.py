"""The ``hf:`` adapter: a transformers checkpoint (local directory or hub id), family from config.json.

``FAMILIES`` (in :mod:`mmbench.models.hf.families`) is the table: each row names the adapter class
(lazily, as ``"module:Class"``) and the config.json ``architectures`` or ``model_type`` values it
serves. Architectures are tried first (the three BLIP heads share ``model_type: blip``), then the
model type, then any model type transformers can load with ``AutoModelForImageTextToText``
(generic chat-template generation). ``--model-arg family=NAME`` overrides the choice.
"""

from mmbench.models.hf.common import FAMILIES, GENERIC, Family, HFAdapter, HFOptions, by_name, choose_family

create = HFAdapter.create

__all__ = ["FAMILIES", "GENERIC", "Family", "HFAdapter", "HFOptions", "by_name", "choose_family", "create"]
