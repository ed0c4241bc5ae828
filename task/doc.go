// Package task holds one subpackage per task a BERT model is trained and
// run for: seqcls (sequence classification, single texts or pairs), and
// token classification and extractive QA as they arrive. A task package
// turns data.Example-like rows into feature rows (one example may give
// several, e.g. QA windows), collates them into bert.Input batches,
// implements train.Task (loss through the head's own loss, evaluation
// metrics) and post-processes logits into answers; pipeline uses the same
// code for inference, so training and prediction featurize alike.
package task
