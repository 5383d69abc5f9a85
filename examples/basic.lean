/-
qstar's bundled Lean 4 example: core Lean only (no Mathlib import), so it loads in a second.
Every proof is `sorry`: `qstar prove examples/basic.lean` replaces them where it finds proofs.
Needs a Lean toolchain (elan) and the built lean_project/ (see lean_project/README.md).
-/

theorem add_zero_example (n : Nat) : n + 0 = n := by sorry

theorem add_comm_example (a b : Nat) : a + b = b + a := by sorry

theorem lt_succ_example (n : Nat) : n < n + 1 := by sorry

theorem linear_example (x y : Nat) (h₁ : x + y = 10) (h₂ : x = y + 2) : x = 6 := by sorry

theorem and_swap_example (p q : Prop) (h : p ∧ q) : q ∧ p := by sorry

theorem decide_example : 2 ^ 10 = 1024 := by sorry

theorem list_length_example (l : List Nat) : (l ++ []).length = l.length := by sorry

theorem bool_example (b : Bool) : (b && true) = b := by sorry
