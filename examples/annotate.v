(* qstar's example for `qstar annotate examples/annotate.v`: three proofs as a person writes them.
   The first is right; the second has a wrong step (reflexivity cannot see a ring identity);
   the third stops with a goal left. *)
Require Import Arith Lia.

Lemma double_le : forall n : nat, n <= 2 * n.
Proof.
  intros n.
  simpl.
  lia.
Qed.

Lemma square_sum : forall a b : nat, (a + b) * (a + b) = a * a + 2 * a * b + b * b.
Proof.
  intros a b.
  reflexivity.
Qed.

Lemma le_add_both : forall a b c : nat, a <= b -> a + c <= b + c.
Proof.
  intros a b c H.
  induction c.
  rewrite !Nat.add_0_r.
  exact H.
Admitted.
