"""The decision engine: pure Python over an immutable snapshot, no SQL and no HTTP.

`engine.decide` takes a snapshot (what may serve), a request, and the real-time state
behind the `Counters` protocol (spend, pacing, caps), and returns winners and reasons.
"""
