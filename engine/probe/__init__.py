"""Probing the mapping f(x; θ): capture.py takes token representations of a fixed probe set at
each stage (torch); report.py projects them and logs points and statistics; stats.py holds the
statistics (silhouette, CKA, centroid shift; numpy and scikit-learn only).
Imports run one way: capture -> report -> stats; none imports storage.
"""
