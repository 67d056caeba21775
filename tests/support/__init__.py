"""Helpers shared by the test suite: real servers and fresh databases."""
