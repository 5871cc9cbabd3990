"""Masked-language-model pretraining, one concept per module.

corpus.py  the documents to learn from (a built-in corpus, a dataset's tokens, a plain-text file)
vocab.py   a WordPiece vocabulary trained on a corpus, wrapped as a BERT tokenizer
masking.py documents -> fixed-length examples; BERT masking (80/10/10), whole-word option
model.py   the masked-LM model: continued from a backbone or a new small BERT
loop.py    the training loop with held-out perplexity
"""
