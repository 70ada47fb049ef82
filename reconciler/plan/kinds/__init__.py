"""One module per family of action kinds; :mod:`reconciler.plan.registry` lists them."""
