"""Optimisation formulations of reeplan: normalised tables in, Pyomo models and solutions out, no file I/O."""
