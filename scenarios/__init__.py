"""The products built on answers: the credit report writer and research (the office assistant is answer/)."""
