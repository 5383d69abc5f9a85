"""Coq backend: coqidetop over its XML protocol, theorem files, and the sound final check."""

from coq_env.env import CoqEnv, CoqEnvConfig

__all__ = ["CoqEnv", "CoqEnvConfig"]
