"""Te starts from the textual vector of each training word: the word as written, else its
lower-case form. The rows loaded must be the ones that lookup can use."""
from __future__ import annotations

import numpy as np

from vgbench.grounding.inputs import load_textual, textual_lookup


def test_a_capitalised_textual_row_initialises_a_lower_case_training_word(tmp_path):
    path = tmp_path / "textual.txt"
    path.write_text("Paris 1 2 3\ncat 4 5 6\nDog 7 8 9\ndog 0.5 0.5 0.5\n", encoding="utf-8")
    training_words = {"paris", "cat", "dog", "zebra"}
    lookup = textual_lookup(load_textual(str(path), training_words))
    np.testing.assert_array_equal(lookup("paris"), [1, 2, 3])   # only the capitalised row exists
    np.testing.assert_array_equal(lookup("cat"), [4, 5, 6])
    np.testing.assert_array_equal(lookup("dog"), [0.5, 0.5, 0.5])  # the exact row wins
    assert lookup("zebra") is None
