// Package qa is extractive question answering with a BERT
// question-answering model: a SQuAD v1.1/v2.0 reader, question + context
// encoding with only_second truncation and overlapping context windows,
// start/end labels per window, a train.Task, post-processing as Hugging
// Face's run_qa/question-answering pipeline (n-best start/end pairs, maximum
// answer length, answers only inside the context, the best span across
// windows, a null-score threshold for unanswerable questions), and SQuAD's
// exact-match and token-F1.
//
// Answer offsets are code points into the original context (Python
// string indexes, as SQuAD's answer_start), end exclusive, and the answer
// text is always the original substring of the context.
package qa
