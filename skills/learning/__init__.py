"""Intent learning: propose the next object, skill and point from a person's earlier choices.

- ``load_encoder`` / ``Encoder``: pluggable image encoders (registered names in ``ENCODERS``:
  the bundled small CNN, raw pixels; your own weights; or your own encoder object or class,
  from Python); ``encoder_from_option`` also imports ``"module:factory"`` typed by a person.
- ``IntentMemory``: few-shot (object, skill) retrieval with a triplet-trained head.
- ``PointMemory`` / ``point_from_views``: one-shot point prediction by dense-feature patch
  matching, with the height from the side view.
- ``skills.learning.dataset``: decision states (scene images and the choice made there) and
  their file format; ``sim.learning_data`` renders those of the tasks' reference plans.
"""

from skills.learning.encoder import (
    ENCODERS,
    CNNEncoder,
    Encoder,
    PixelEncoder,
    encoder_from_option,
    load_encoder,
)
from skills.learning.memory import (
    IntentMemory,
    PointMemory,
    PointPrediction,
    Proposal,
    point_from_views,
)

__all__ = [
    "ENCODERS",
    "CNNEncoder",
    "Encoder",
    "IntentMemory",
    "PixelEncoder",
    "PointMemory",
    "PointPrediction",
    "Proposal",
    "encoder_from_option",
    "load_encoder",
    "point_from_views",
]
