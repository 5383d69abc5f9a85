(* qstar's bundled example: a dozen small lemmas about nat, Z, lists and logic.
   Every proof is Admitted: `qstar prove examples/arith.v` replaces them with real proofs. *)
Require Import Arith.
Require Import Lia.
Require Import ZArith.
Require Import List.
Import ListNotations.

Lemma add_comm_example : forall n m : nat, n + m = m + n.
Proof.
Admitted.

Lemma min_le_example : forall n m : nat, Nat.min n m <= n.
Proof.
Admitted.

Lemma mul_distr_example : forall a b c : nat, a * (b + c) = a * b + a * c.
Proof.
Admitted.

Lemma le_plus_example : forall n m : nat, n <= n + m.
Proof.
Admitted.

Lemma lt_trans_example : forall a b c : nat, a < b -> b < c -> a < c.
Proof.
Admitted.

Lemma z_square_nonneg : forall x : Z, (0 <= x * x)%Z.
Proof.
Admitted.

Lemma z_linear : forall x y : Z, (x + 2 * y = 7)%Z -> (x - y = 1)%Z -> x = 3%Z.
Proof.
Admitted.

Lemma and_swap : forall P Q : Prop, P /\ Q -> Q /\ P.
Proof.
Admitted.

Lemma or_imp : forall P Q R : Prop, (P -> R) -> (Q -> R) -> P \/ Q -> R.
Proof.
Admitted.

Lemma app_nil_example : forall (A : Type) (l : list A), l ++ [] = l.
Proof.
Admitted.

Lemma length_app_example : forall (A : Type) (l1 l2 : list A),
  length (l1 ++ l2) = length l1 + length l2.
Proof.
Admitted.

Lemma unicode_λ_example : forall α β : nat, α = β -> β = α.
Proof.
Admitted.

Lemma succ_not_zero : forall n : nat, S n <> 0.
Proof.
Admitted.
