"""The object catalogue: which URDF, scale and colour make each known object."""

from __future__ import annotations

from dataclasses import dataclass

from skills.base import ObjectInfo


@dataclass(frozen=True)
class ObjectSpec:
    """How to build one catalogue object.

    Attributes
    ----------
    info : ObjectInfo
        Its static description (``info.size`` is the built size, in m).
    urdf : str
        URDF path relative to ``pybullet_data``.
    scale : float
        Global scaling applied when loading.
    rgba : tuple of float, shape (4,)
        Colour applied to every visual shape, in [0, 1].
    """

    info: ObjectInfo
    urdf: str
    scale: float
    rgba: tuple[float, float, float, float]


CATALOGUE: dict[str, ObjectSpec] = {
    "cube": ObjectSpec(
        ObjectInfo("cube", "block", True, False, (0.04, 0.04, 0.04), "red"),
        "cube_small.urdf", 0.8, (0.85, 0.1, 0.1, 1.0),
    ),
    "tray": ObjectSpec(
        ObjectInfo("tray", "container", False, True, (0.3, 0.3, 0.069), "grey"),
        "tray/traybox.urdf", 0.5, (0.6, 0.6, 0.6, 1.0),
    ),
    "lego": ObjectSpec(
        ObjectInfo("lego", "block", True, False, (0.034, 0.034, 0.025), "yellow"),
        "lego/lego.urdf", 1.0, (0.95, 0.8, 0.1, 1.0),
    ),
    "ball": ObjectSpec(
        ObjectInfo("ball", "ball", True, False, (0.04, 0.04, 0.04), "blue"),
        "sphere_small.urdf", 2 / 3, (0.1, 0.3, 0.9, 1.0),
    ),
}
"""Every object a tabletop world can hold, by name."""
