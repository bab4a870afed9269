"""The pure domain: no I/O, `now` passed in (standard library, plus the Snowball stemmer)."""
