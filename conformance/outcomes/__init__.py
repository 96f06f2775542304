"""Outcomes: what a check concluded, and the one verdict rule every front-end applies to them."""
