"""Studies: algorithms that run the one compiled model many times (sweeps, stockpile sizing, sampling)."""
