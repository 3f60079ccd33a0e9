"""The operator console: a local web app that shows a session as it runs, and replays records.

``noir console`` serves it (Starlette + uvicorn, bound to 127.0.0.1 unless told otherwise, when
a token in the URL is required); ``noir run --console`` starts it in the same process and the
session publishes to it (:class:`noir.console.feed.ConsoleFeed`). The console observes and
shows; it never steers the robot. Views (static files in ``noir/console/static``, no build step,
no CDN):

- ``/operator``: the robot's camera, live; during What each candidate object carries a patch
  flickering at its SSVEP frequency (a sinusoid sampled at the display's measured refresh
  rate, frame-locked with ``requestAnimationFrame``); during How the skill options with their
  motor-imagery class; during Where the cursor; after each decision the proposal and the
  clench countdown; "clench to stop" while the robot moves.
- ``/experimenter``: each window's EEG by channel group with flat / saturated / line-noise
  flags, decoder scores per stage, the event log, progress, pause / resume.
- ``/replay``: a session record (the shipped samples first), a timeline of stages and
  decisions to scrub or play at 1-10x, with the camera frames, the EEG of each decision's
  window, the scores and the outcome.

Only :mod:`noir.console.server` imports the web stack.
"""

from noir.console.feed import ConsoleFeed, refresh_warnings

__all__ = ["ConsoleFeed", "refresh_warnings"]
