"""sim: PyBullet worlds, robots, objects, tasks, and the synthetic EEG subject."""

from sim._quiet import quiet_native_output

with quiet_native_output():  # PyBullet's C code prints its build time on import
    import pybullet  # noqa: F401
