"""Lean 4 backend: the leanprover-community REPL over stdio, .lean files, and the final check."""

from lean_env.env import LeanEnv, LeanEnvConfig

__all__ = ["LeanEnv", "LeanEnvConfig"]
