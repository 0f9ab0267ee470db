"""Helpers for tests of code built on mexc-futures (``ManualClock``). Nothing in the toolkit
imports this package."""
