"""qstar: tactic-level theorem proving with a real kernel in the loop."""
