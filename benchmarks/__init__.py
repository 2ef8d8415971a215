"""Performance measurements, each against a baseline run side by side in the same run."""
