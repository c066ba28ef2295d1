"""Benchmarks that print numbers (extraction quality, crawl speed), and what they share with the tests: the replica
server, the hostile page shapes, throwaway nx-27017 and redis-server processes (scripts never import ``tests``)."""
