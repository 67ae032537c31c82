"""Dialects: how each route family reads requests into the domain's words and renders the one world.

`/api/v1` speaks the guide dialect (`guide.GUIDE`), `/api` the reference dialect (`reference.REFERENCE`).
A dialect is a projection: it holds no state and never calls the domain's mutating operations.
"""
