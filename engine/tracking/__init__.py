"""The one object a strategy talks to the outside world through: tracker.py holds the Tracker
protocol and MemoryTracker (tests, benchmarks); db_tracker.py writes to storage in batches.
Strategies import tracker.py only; db_tracker.py alone imports storage.
"""
