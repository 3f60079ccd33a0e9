"""Intent learning: propose the next object, skill and point from a person's earlier choices.

- ``load_encoder`` / ``Encoder``: pluggable image encoders (bundled small CNN, your own
  weights, or your own encoder class as ``"module:factory"``).
- ``IntentMemory``: few-shot (object, skill) retrieval with a triplet-trained head.
- ``PointMemory`` / ``point_from_views``: one-shot point prediction by dense-feature patch
  matching, with the height from the side view.
- ``skills.learning.dataset``: decision states of the tasks' reference plans (imports ``sim``,
  so it is not imported here).
"""

from skills.learning.encoder import CNNEncoder, Encoder, PixelEncoder, load_encoder
from skills.learning.memory import (
    IntentMemory,
    PointMemory,
    PointPrediction,
    Proposal,
    point_from_views,
)

__all__ = [
    "CNNEncoder",
    "Encoder",
    "IntentMemory",
    "PixelEncoder",
    "PointMemory",
    "PointPrediction",
    "Proposal",
    "load_encoder",
    "point_from_views",
]
