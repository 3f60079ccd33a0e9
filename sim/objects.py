"""The object catalogue: how to build each known object (a URDF or boxes) and what it is.

Procedural objects are compound bodies of boxes (``Box``) built with ``createMultiBody``; their
base frame sits at the centre of their bottom face. Openable objects get a lid link on a hinge
(``Lid``). ``ObjectInfo.abilities`` (BEHAVIOR-style: ``openable``, ``fillable``, ``pourable``,
``wipeable``, ``wiper``, ``sliceable``, ``slicer``, ``gratable``, ``grater``, ``stirrable``,
``stirrer``, ``sweeper``) decide which skills apply; ``ObjectInfo.parts`` name points such as a
handle, in the base frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from skills.base import ObjectInfo

Vec3 = tuple[float, float, float]
RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Box:
    """One box of a procedural body: half extents and centre in the body frame, in m."""

    half: Vec3
    centre: Vec3 = (0.0, 0.0, 0.0)
    rgba: RGBA | None = None  # None: the object's colour


@dataclass(frozen=True)
class Lid:
    """A lid on a revolute hinge along the body's x axis.

    Attributes
    ----------
    boxes : tuple of Box
        The lid's boxes, in the hinge frame (origin on the hinge axis).
    hinge : tuple of float, shape (3,)
        Hinge axis point in the body frame, in m.
    max_angle : float
        Upper joint limit (fully open), in rad; closed is 0 rad.
    """

    boxes: tuple[Box, ...]
    hinge: Vec3
    max_angle: float = 2.0


@dataclass(frozen=True)
class ObjectSpec:
    """How to build one catalogue object.

    Attributes
    ----------
    info : ObjectInfo
        Its static description (``info.size`` is the built size, in m).
    urdf : str
        URDF path relative to ``pybullet_data``; ``""`` for a procedural body.
    scale : float
        Global scaling applied when loading a URDF.
    rgba : tuple of float, shape (4,)
        Colour applied to every visual shape without its own colour, in [0, 1].
    boxes : tuple of Box
        Shapes of a procedural body.
    mass : float
        Mass of a procedural body, in kg; 0 makes it static (furniture-like).
    lid : Lid or None
        Hinged lid of an openable object.
    collides : bool
        False for flat marks (a spill, a cloth, a goal area) that nothing bumps into.
    yaw_range : float
        Random yaw at layout is drawn in [-yaw_range, yaw_range], in rad.
    """

    info: ObjectInfo
    urdf: str = ""
    scale: float = 1.0
    rgba: RGBA = (0.7, 0.7, 0.7, 1.0)
    boxes: tuple[Box, ...] = field(default=())
    mass: float = 0.1
    lid: Lid | None = None
    collides: bool = True
    yaw_range: float = math.pi


def open_box(outer: Vec3, wall: float) -> tuple[Box, ...]:
    """A bottom and four walls: an open-topped box of outer size ``outer`` (m), base at z=0."""
    x, y, z = (v / 2 for v in outer)
    w = wall / 2
    return (
        Box((x, y, w), (0.0, 0.0, w)),
        Box((w, y, z), (x - w, 0.0, z)),
        Box((w, y, z), (-x + w, 0.0, z)),
        Box((x - wall, w, z), (0.0, y - w, z)),
        Box((x - wall, w, z), (0.0, -y + w, z)),
    )


def block(size: Vec3) -> tuple[Box, ...]:
    """One box of size ``size`` (m) standing on z=0."""
    return (Box(tuple(v / 2 for v in size), (0.0, 0.0, size[2] / 2)),)


def _info(name: str, category: str, size: Vec3, color: str, *, graspable: bool = False,
          container: bool = False, abilities: tuple[str, ...] = (),
          parts: tuple[tuple[str, Vec3], ...] = (), grasp_yaw: float = 0.0) -> ObjectInfo:
    return ObjectInfo(name, category, graspable, container, size, color, abilities=abilities,
                      parts=parts, grasp_yaw=grasp_yaw)


def _hinged_box(name: str, category: str, outer: Vec3, color: str, rgba: RGBA,
                lid_rgba: RGBA) -> ObjectSpec:
    """An open box with a lid hinged along its +y top edge and a knob at its -y edge."""
    x, y, z = outer
    knob = (0.0, -y + 0.005, 0.025)  # in the hinge frame, which sits on the +y top edge
    lid = Lid(
        (Box((x / 2, y / 2, 0.005), (0.0, -y / 2, 0.005), lid_rgba),
         Box((0.02, 0.006, 0.01), (knob[0], knob[1], 0.02), (0.2, 0.2, 0.2, 1.0))),
        (0.0, y / 2, z),
    )
    return ObjectSpec(
        _info(name, category, (x, y, z + 0.03), color, container=True, abilities=("openable",),
              parts=(("hinge", (0.0, y / 2, z)), ("knob", (knob[0], knob[1] + y / 2,
                                                          z + 0.02)))),
        rgba=rgba, boxes=open_box(outer, 0.008), mass=0.0, lid=lid, yaw_range=0.3,
    )


def _mark(name: str, category: str, size: tuple[float, float], color: str, rgba: RGBA,
          abilities: tuple[str, ...] = ()) -> ObjectSpec:
    """A flat, collision-free patch on the table (a spill, a cloth, a target area)."""
    return ObjectSpec(_info(name, category, (*size, 0.002), color, abilities=abilities),
                      rgba=rgba, boxes=block((*size, 0.002)), mass=0.0, collides=False)


def _tool(name: str, category: str, handle: Vec3, head: Vec3, color: str, rgba: RGBA,
          ability: str, tip: str) -> ObjectSpec:
    """A handle along -x and a head along +x of the origin, lying on the table."""
    hx, hy, hz = handle
    ex, ey, ez = head
    boxes = (Box((hx / 2, hy / 2, hz / 2), (-hx / 2, 0.0, hz / 2), (0.35, 0.2, 0.1, 1.0)),
             Box((ex / 2, ey / 2, ez / 2), (ex / 2, 0.0, ez / 2)))
    size = (hx + ex, max(hy, ey), max(hz, ez))
    parts = (("handle", (-hx / 2, 0.0, hz / 2)), (tip, (ex / 2, 0.0, 0.0)))
    return ObjectSpec(_info(name, category, size, color, graspable=True, abilities=(ability,),
                            parts=parts), rgba=rgba, boxes=boxes, mass=0.15)


HALF_PI = math.pi / 2

CATALOGUE: dict[str, ObjectSpec] = {
    # -- from pybullet_data ---------------------------------------------------------------
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
    "robot_dog": ObjectSpec(
        ObjectInfo("robot_dog", "pet", False, False, (0.66, 0.36, 0.47), "black"),
        "laikago/laikago_toes.urdf", 1.0, (0.2, 0.2, 0.2, 1.0),
    ),
    # -- kitchen --------------------------------------------------------------------------
    "cup": ObjectSpec(
        _info("cup", "cup", (0.06, 0.06, 0.07), "white", graspable=True, container=True,
              abilities=("fillable",)),
        rgba=(0.95, 0.95, 0.95, 1.0), boxes=open_box((0.06, 0.06, 0.07), 0.006), mass=0.1,
    ),
    "mug": ObjectSpec(
        _info("mug", "cup", (0.07, 0.1, 0.08), "blue", graspable=True, container=True,
              abilities=("fillable",), parts=(("handle", (0.0, 0.05, 0.05)),),
              grasp_yaw=HALF_PI),
        rgba=(0.2, 0.35, 0.8, 1.0), mass=0.12,
        boxes=open_box((0.07, 0.07, 0.08), 0.006) + (Box((0.008, 0.015, 0.03), (0.0, 0.05,
                                                                                   0.045)),),
    ),
    "bowl": ObjectSpec(
        _info("bowl", "bowl", (0.12, 0.12, 0.05), "green", graspable=True, container=True,
              parts=(("rim", (0.057, 0.0, 0.035)),), grasp_yaw=HALF_PI),
        rgba=(0.3, 0.7, 0.4, 1.0), boxes=open_box((0.12, 0.12, 0.05), 0.006), mass=0.12,
    ),
    "plate": ObjectSpec(
        _info("plate", "plate", (0.16, 0.16, 0.012), "white", container=True),
        rgba=(0.92, 0.92, 0.88, 1.0), boxes=block((0.16, 0.16, 0.012)), mass=0.0,
    ),
    "teapot": ObjectSpec(
        _info("teapot", "teapot", (0.14, 0.09, 0.124), "brown", graspable=True,
              abilities=("pourable",), parts=(("handle", (0.0, 0.0, 0.112)),
                                               ("spout", (0.095, 0.0, 0.09))),
              grasp_yaw=HALF_PI),
        rgba=(0.55, 0.3, 0.15, 1.0), mass=0.2,
        boxes=(Box((0.045, 0.045, 0.05), (0.0, 0.0, 0.05)),
               Box((0.025, 0.01, 0.008), (0.07, 0.0, 0.09)),
               Box((0.01, 0.03, 0.012), (0.0, 0.0, 0.112), (0.2, 0.2, 0.2, 1.0))),
    ),
    "pot": ObjectSpec(
        _info("pot", "pot", (0.15, 0.15, 0.06), "silver", container=True,
              abilities=("stirrable", "fillable")),
        rgba=(0.75, 0.75, 0.78, 1.0), boxes=open_box((0.15, 0.15, 0.06), 0.008), mass=0.0,
    ),
    "pasta": ObjectSpec(
        _info("pasta", "food", (0.06, 0.03, 0.03), "yellow", graspable=True),
        rgba=(0.95, 0.85, 0.4, 1.0), boxes=block((0.06, 0.03, 0.03)), mass=0.05,
    ),
    "ladle": ObjectSpec(
        _info("ladle", "utensil", (0.05, 0.04, 0.13), "grey", graspable=True,
              abilities=("stirrer",), parts=(("handle", (0.0, 0.0, 0.115)),
                                             ("tip", (0.0, 0.0, 0.0)))),
        rgba=(0.5, 0.5, 0.55, 1.0), mass=0.1,
        boxes=(Box((0.02, 0.02, 0.006), (0.0, 0.0, 0.006)),
               Box((0.005, 0.005, 0.05), (0.0, 0.0, 0.062)),
               Box((0.025, 0.01, 0.015), (0.0, 0.0, 0.115))),
    ),
    "knife": _tool("knife", "knife", (0.08, 0.02, 0.025), (0.10, 0.004, 0.03), "silver",
                   (0.8, 0.8, 0.85, 1.0), "slicer", "blade"),
    "banana": ObjectSpec(
        _info("banana", "fruit", (0.14, 0.03, 0.03), "yellow", graspable=True,
              abilities=("sliceable",)),
        rgba=(0.95, 0.85, 0.2, 1.0), boxes=block((0.14, 0.03, 0.03)), mass=0.1,
    ),
    "cutting_board": ObjectSpec(
        _info("cutting_board", "board", (0.24, 0.16, 0.015), "brown", container=True),
        rgba=(0.7, 0.5, 0.3, 1.0), boxes=block((0.24, 0.16, 0.015)), mass=0.0,
    ),
    "cheese": ObjectSpec(
        _info("cheese", "food", (0.05, 0.04, 0.04), "yellow", graspable=True,
              abilities=("gratable",)),
        rgba=(1.0, 0.8, 0.2, 1.0), boxes=block((0.05, 0.04, 0.04)), mass=0.08,
    ),
    "grater": ObjectSpec(
        _info("grater", "grater", (0.14, 0.09, 0.03), "silver", abilities=("grater",)),
        rgba=(0.7, 0.7, 0.75, 1.0), boxes=block((0.14, 0.09, 0.03)), mass=0.0,
    ),
    # -- sukiyaki -------------------------------------------------------------------------
    "sukiyaki_pan": ObjectSpec(
        _info("sukiyaki_pan", "pot", (0.2, 0.2, 0.05), "black", container=True,
              abilities=("stirrable", "fillable")),
        rgba=(0.2, 0.2, 0.22, 1.0), boxes=open_box((0.2, 0.2, 0.05), 0.008), mass=0.0,
    ),
    "beef": ObjectSpec(
        _info("beef", "food", (0.05, 0.035, 0.015), "red", graspable=True),
        rgba=(0.75, 0.25, 0.25, 1.0), boxes=block((0.05, 0.035, 0.015)), mass=0.04,
    ),
    "tofu": ObjectSpec(
        _info("tofu", "food", (0.035, 0.035, 0.03), "white", graspable=True),
        rgba=(0.97, 0.96, 0.9, 1.0), boxes=block((0.035, 0.035, 0.03)), mass=0.04,
    ),
    "mushroom": ObjectSpec(
        _info("mushroom", "food", (0.03, 0.03, 0.03), "brown", graspable=True),
        rgba=(0.5, 0.35, 0.2, 1.0), boxes=block((0.03, 0.03, 0.03)), mass=0.03,
    ),
    "noodles": ObjectSpec(
        _info("noodles", "food", (0.05, 0.03, 0.02), "cream", graspable=True),
        rgba=(0.95, 0.92, 0.8, 1.0), boxes=block((0.05, 0.03, 0.02)), mass=0.04,
    ),
    "sauce_jug": ObjectSpec(
        _info("sauce_jug", "jug", (0.11, 0.07, 0.104), "dark red", graspable=True,
              abilities=("pourable",), parts=(("handle", (0.0, 0.0, 0.092)),
                                               ("spout", (0.075, 0.0, 0.07))),
              grasp_yaw=HALF_PI),
        rgba=(0.45, 0.1, 0.1, 1.0), mass=0.15,
        boxes=(Box((0.035, 0.035, 0.04), (0.0, 0.0, 0.04)),
               Box((0.02, 0.01, 0.008), (0.055, 0.0, 0.07)),
               Box((0.01, 0.03, 0.012), (0.0, 0.0, 0.092), (0.2, 0.2, 0.2, 1.0))),
    ),
    # -- cleaning -------------------------------------------------------------------------
    "sponge": ObjectSpec(
        _info("sponge", "sponge", (0.07, 0.045, 0.03), "green", graspable=True,
              abilities=("wiper",)),
        rgba=(0.3, 0.8, 0.3, 1.0), boxes=block((0.07, 0.045, 0.03)), mass=0.03,
    ),
    "spill": _mark("spill", "stain", (0.14, 0.10), "brown", (0.45, 0.25, 0.05, 1.0),
                   ("wipeable",)),
    "cloth": _mark("cloth", "cloth", (0.16, 0.12), "pink", (0.95, 0.6, 0.7, 1.0),
                   ("wipeable",)),
    "iron": ObjectSpec(
        _info("iron", "iron", (0.10, 0.06, 0.07), "white", graspable=True,
              abilities=("wiper",), parts=(("handle", (0.0, 0.0, 0.062)),)),
        rgba=(0.9, 0.9, 0.95, 1.0), mass=0.2,
        boxes=(Box((0.05, 0.03, 0.015), (0.0, 0.0, 0.015)),
               Box((0.005, 0.01, 0.015), (0.025, 0.0, 0.045), (0.2, 0.2, 0.2, 1.0)),
               Box((0.03, 0.01, 0.008), (0.0, 0.0, 0.062), (0.2, 0.2, 0.2, 1.0))),
    ),
    "broom": _tool("broom", "broom", (0.14, 0.02, 0.02), (0.03, 0.12, 0.03), "red",
                   (0.8, 0.2, 0.2, 1.0), "sweeper", "head"),
    "hockey_stick": _tool("hockey_stick", "stick", (0.14, 0.02, 0.02), (0.025, 0.09, 0.025),
                          "black", (0.15, 0.15, 0.15, 1.0), "sweeper", "head"),
    "wrapper": ObjectSpec(
        _info("wrapper", "trash", (0.025, 0.025, 0.02), "white", graspable=True),
        rgba=(0.9, 0.9, 0.9, 1.0), boxes=block((0.025, 0.025, 0.02)), mass=0.02,
    ),
    "can": ObjectSpec(
        _info("can", "trash", (0.03, 0.03, 0.03), "red", graspable=True),
        rgba=(0.8, 0.1, 0.1, 1.0), boxes=block((0.03, 0.03, 0.03)), mass=0.02,
    ),
    "dustpan": _mark("dustpan", "area", (0.14, 0.14), "grey", (0.4, 0.4, 0.4, 1.0)),
    "trash_bin": ObjectSpec(
        _info("trash_bin", "bin", (0.16, 0.16, 0.1), "grey", container=True),
        rgba=(0.35, 0.35, 0.35, 1.0), boxes=open_box((0.16, 0.16, 0.1), 0.008), mass=0.0,
    ),
    # -- toys, games, gifts ---------------------------------------------------------------
    "toy_car": ObjectSpec(
        _info("toy_car", "toy", (0.05, 0.03, 0.03), "red", graspable=True),
        rgba=(0.9, 0.15, 0.1, 1.0), boxes=block((0.05, 0.03, 0.03)), mass=0.05,
    ),
    "toy_block": ObjectSpec(
        _info("toy_block", "toy", (0.035, 0.035, 0.035), "orange", graspable=True),
        rgba=(1.0, 0.55, 0.1, 1.0), boxes=block((0.035, 0.035, 0.035)), mass=0.05,
    ),
    "puck": ObjectSpec(
        _info("puck", "puck", (0.05, 0.05, 0.02), "black", graspable=True),
        rgba=(0.05, 0.05, 0.05, 1.0), boxes=block((0.05, 0.05, 0.02)), mass=0.08,
    ),
    "goal": _mark("goal", "area", (0.12, 0.2), "white", (0.95, 0.95, 0.95, 1.0)),
    "book": ObjectSpec(
        _info("book", "book", (0.15, 0.07, 0.03), "blue", graspable=True),
        rgba=(0.2, 0.3, 0.7, 1.0), boxes=block((0.15, 0.07, 0.03)), mass=0.15,
    ),
    "dust": _mark("dust", "stain", (0.12, 0.05), "grey", (0.55, 0.55, 0.5, 1.0), ("wipeable",)),
    "bread": ObjectSpec(
        _info("bread", "food", (0.09, 0.06, 0.025), "tan", graspable=True),
        rgba=(0.85, 0.65, 0.35, 1.0), boxes=block((0.09, 0.06, 0.025)), mass=0.04,
    ),
    "cheese_slice": ObjectSpec(
        _info("cheese_slice", "food", (0.07, 0.05, 0.02), "yellow", graspable=True),
        rgba=(1.0, 0.85, 0.25, 1.0), boxes=block((0.07, 0.05, 0.02)), mass=0.03,
    ),
    "bread_top": ObjectSpec(
        _info("bread_top", "food", (0.09, 0.06, 0.025), "tan", graspable=True),
        rgba=(0.8, 0.6, 0.3, 1.0), boxes=block((0.09, 0.06, 0.025)), mass=0.04,
    ),
    # -- games ----------------------------------------------------------------------------
    "board": replace(_mark("board", "game board", (0.24, 0.24), "white",
                           (0.95, 0.95, 0.9, 1.0)), yaw_range=0.0),
    **{f"x_piece_{k}": ObjectSpec(
        _info(f"x_piece_{k}", "game piece", (0.035, 0.035, 0.035), "red", graspable=True),
        rgba=(0.85, 0.15, 0.15, 1.0), boxes=block((0.035, 0.035, 0.035)), mass=0.05,
    ) for k in (1, 2, 3, 4)},
    **{f"o_piece_{k}": ObjectSpec(
        _info(f"o_piece_{k}", "game piece", (0.035, 0.035, 0.035), "blue", graspable=True),
        rgba=(0.15, 0.3, 0.85, 1.0), boxes=block((0.035, 0.035, 0.035)), mass=0.05,
    ) for k in (1, 2, 3)},
    "basket": _hinged_box("basket", "basket", (0.16, 0.16, 0.08), "brown",
                          (0.6, 0.45, 0.25, 1.0), (0.5, 0.35, 0.2, 1.0)),
    "gift": _hinged_box("gift", "gift box", (0.14, 0.14, 0.06), "red", (0.85, 0.1, 0.15, 1.0),
                        (0.95, 0.8, 0.1, 1.0)),
    # -- plants ---------------------------------------------------------------------------
    "plant_pot": ObjectSpec(
        _info("plant_pot", "plant pot", (0.12, 0.12, 0.1), "terracotta", container=True,
              abilities=("fillable",)),
        rgba=(0.75, 0.4, 0.25, 1.0), boxes=open_box((0.12, 0.12, 0.1), 0.01), mass=0.0,
    ),
    "watering_can": ObjectSpec(
        _info("watering_can", "watering can", (0.19, 0.1, 0.154), "green", graspable=True,
              abilities=("pourable",), parts=(("handle", (0.0, 0.0, 0.142)),
                                               ("spout", (0.14, 0.0, 0.11))),
              grasp_yaw=HALF_PI),
        rgba=(0.2, 0.6, 0.3, 1.0), mass=0.25,
        boxes=(Box((0.05, 0.05, 0.065), (0.0, 0.0, 0.065)),
               Box((0.045, 0.01, 0.008), (0.095, 0.0, 0.11)),
               Box((0.01, 0.03, 0.012), (0.0, 0.0, 0.142), (0.2, 0.2, 0.2, 1.0))),
    ),
}
"""Every object a tabletop world can hold, by name."""
