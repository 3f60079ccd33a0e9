"""sim: PyBullet worlds, robots, objects, tasks, and the synthetic EEG subject."""

