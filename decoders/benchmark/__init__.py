"""Offline benchmark: Dataset (raw recordings + events) → Paradigm (X, y, metadata) →
Evaluation (within-session, cross-session, cross-subject) → tidy results → report.

Modelled on MOABB's split, with information transfer rate and decision latency added.
"""
