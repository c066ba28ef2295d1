"""Replica news sites: recorded-shape fixture pages served on 127.0.0.1."""
