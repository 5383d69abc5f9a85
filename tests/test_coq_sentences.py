import pytest

from coq_env.sentences import SentenceError, normalize, split_sentences


def texts(src):
    return [s.text for s in split_sentences(src)]


def test_plain_sentences_and_qualified_names():
    assert texts("intros. apply Nat.add_comm.") == ["intros.", "apply Nat.add_comm."]


def test_bullets_and_braces_are_their_own_sentences():
    src = "split.\n- lia.\n- { simpl. auto. }\n++ easy."
    assert texts(src) == ["split.", "-", "lia.", "-", "{", "simpl.", "auto.", "}", "++", "easy."]


def test_focusing_selectors_are_their_own_sentences():
    # coqidetop would run "2:{" of "2:{ simpl." and drop the rest (seen in PeanoNat.v).
    src = "2:{ simpl. }\n[b]: { exact I. }\n2: exact I.\n1 : {\n easy. }"
    assert texts(src) == ["2:{", "simpl.", "}", "[b]: {", "exact I.", "}", "2: exact I.", "1 : {", "easy.", "}"]


def test_nested_comments_and_strings_hide_dots():
    src = '(* a. (* b. *) c. *) idtac "x. ""y"". z". exact I.'
    assert texts(src) == ['idtac "x. ""y"". z".', "exact I."]


def test_two_dot_ellipsis_is_not_an_end():
    assert texts("Check [1 ; .. ; 3]. done.") == ["Check [1 ; .. ; 3].", "done."]


def test_unicode_passes_through():
    assert texts("intros α β. exact (eq_sym (α := β)).") == ["intros α β.", "exact (eq_sym (α := β))."]


@pytest.mark.parametrize("bad", ["intros", "intros. lia", "(* open comment. ", 'idtac "open.'])
def test_unterminated_input_is_rejected(bad):
    with pytest.raises(SentenceError):
        split_sentences(bad)


def test_offsets_point_into_the_source():
    src = "  Lemma x : True.\nProof. exact I. Qed."
    for s in split_sentences(src):
        assert src[s.start:s.end] == s.text


def test_normalize_drops_comments_and_folds_space():
    assert normalize("Lemma  x (* c *) :\n True.") == "Lemma x : True."
