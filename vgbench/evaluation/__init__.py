"""Evaluation: word similarity, SimLex sections, STS (SentEval-faithful) and statistics."""
