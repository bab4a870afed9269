"""The pure domain: no I/O, standard library only, `now` passed in."""
