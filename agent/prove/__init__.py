"""``qstar prove FILE``: the open theorems of one file, searched, checked and written back."""
