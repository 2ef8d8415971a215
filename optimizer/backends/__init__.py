"""Routing backends: each turns a `Problem` into `Tour`s; none of their types leak out."""
