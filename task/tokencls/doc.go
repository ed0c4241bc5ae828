// Package tokencls is token classification (clinical named-entity
// recognition) with a BERT token-classification model: tag schemes (BIO /
// IOB2 and IOBES), alignment of word tags to WordPiece tokens, a train.Task,
// entity-level evaluation with seqeval semantics, and prediction on raw
// text that merges pieces back to words and entities with code-point spans
// into the original text.
//
// Words are the unit of labels and of evaluation, as in CoNLL files and
// seqeval: a word's tag is trained on its first piece (the other pieces are
// ignored, or labelled too with Options.LabelAllTokens), and read back from
// that piece. Sentences longer than a window are cut into overlapping
// windows (Options.MaxLength, Options.Stride); every token is read from the
// window where it has the most context on both sides.
package tokencls
