package bert

import (
	"fmt"

	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/tensor"
)

// The task heads. Each struct is the head part of the HF class it is named
// after; the class's ".bert" trunk is Model.Bert.

// BertForSequenceClassification: logits = classifier(dropout(pooled));
// loss by problem_type: regression = MSE (squeezed when num_labels == 1),
// single_label = CrossEntropy (ignore_index -100), multi_label =
// BCEWithLogits. An empty problem_type is inferred as HF does: num_labels == 1
// gives regression, integer labels single_label, float labels multi_label.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L1621
type BertForSequenceClassification struct {
	Classifier  *nn.Linear
	Dropout     float32 // classifier_dropout, else hidden_dropout_prob
	NumLabels   int
	ProblemType string
}

func (h *BertForSequenceClassification) forward(r *run, t trunkOut, lb *Labels, out *Output) error {
	out.Logits = r.linear(h.Classifier, r.dropout(t.pooled, h.Dropout))
	if lb == nil || (lb.Class == nil && lb.Float == nil) {
		return nil
	}
	b := r.batch
	pt := h.ProblemType
	if pt == "" {
		switch {
		case h.NumLabels == 1:
			pt = ProblemRegression
		case lb.Class != nil:
			pt = ProblemSingleLabel
		default:
			pt = ProblemMultiLabel
		}
	}
	switch pt {
	case ProblemRegression:
		targets := lb.Float
		if targets == nil {
			targets = make([]float32, len(lb.Class))
			for i, c := range lb.Class {
				targets[i] = float32(c)
			}
		}
		if len(targets) != b*h.NumLabels {
			return fmt.Errorf("regression labels: got %d values, want batch %d × num_labels %d", len(targets), b, h.NumLabels)
		}
		out.Loss = tensor.MSE(out.Logits, targets)
	case ProblemSingleLabel:
		if len(lb.Class) != b {
			return fmt.Errorf("sequence labels: got %d, want one per sequence (%d)", len(lb.Class), b)
		}
		if err := checkClassLabels(lb.Class, h.NumLabels, "sequence label"); err != nil {
			return err
		}
		out.Loss = tensor.CrossEntropy(out.Logits, lb.Class, IgnoreIndex, nil)
	case ProblemMultiLabel:
		if len(lb.Float) != b*h.NumLabels {
			return fmt.Errorf("multi-label targets: got %d values, want batch %d × num_labels %d", len(lb.Float), b, h.NumLabels)
		}
		out.Loss = tensor.BCEWithLogits(out.Logits, lb.Float)
	}
	return nil
}

func (h *BertForSequenceClassification) params() []Param { return h.Classifier.Params("classifier.") }

// BertForTokenClassification: logits = classifier(dropout(sequence_output))
// per token; loss = CrossEntropy over all B·S positions with ignore_index
// -100 (the attention mask is not used).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L1826
type BertForTokenClassification struct {
	Classifier *nn.Linear
	Dropout    float32
	NumLabels  int
}

func (h *BertForTokenClassification) forward(r *run, t trunkOut, lb *Labels, out *Output) error {
	out.Logits = r.linear(h.Classifier, r.dropout(t.last, h.Dropout))
	if lb == nil || lb.Class == nil {
		return nil
	}
	if len(lb.Class) != r.batch*r.seq {
		return fmt.Errorf("token labels: got %d, want batch×seq = %d", len(lb.Class), r.batch*r.seq)
	}
	if err := checkClassLabels(lb.Class, h.NumLabels, "token label"); err != nil {
		return err
	}
	out.Loss = tensor.CrossEntropy(out.Logits, lb.Class, IgnoreIndex, nil)
	return nil
}

func (h *BertForTokenClassification) params() []Param { return h.Classifier.Params("classifier.") }

// BertForQuestionAnswering: (start, end) = split(qa_outputs(sequence_output))
// with qa_outputs Linear(hidden, 2) and no masking of padded positions; loss =
// (CE(start, clamp(start_pos, 0, S)) + CE(end, clamp(end_pos, 0, S))) / 2 with
// ignore_index = S, so positions outside the sequence are ignored.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L1906
type BertForQuestionAnswering struct {
	QAOutputs *nn.Linear
}

func (h *BertForQuestionAnswering) forward(r *run, t trunkOut, lb *Labels, out *Output) error {
	logits := r.linear(h.QAOutputs, t.last) // (B, S, 2)
	out.StartLogits = tensor.Reshape(tensor.SliceLast(logits, 0, 1), r.batch, r.seq)
	out.EndLogits = tensor.Reshape(tensor.SliceLast(logits, 1, 2), r.batch, r.seq)
	if lb == nil || (lb.Start == nil && lb.End == nil) {
		return nil
	}
	if len(lb.Start) != r.batch || len(lb.End) != r.batch {
		return fmt.Errorf("QA positions: got %d start and %d end, want %d each", len(lb.Start), len(lb.End), r.batch)
	}
	ignored := r.seq
	clamp := func(ps []int) []int {
		c := make([]int, len(ps))
		for i, p := range ps {
			c[i] = min(max(p, 0), ignored)
		}
		return c
	}
	ls := tensor.CrossEntropy(out.StartLogits, clamp(lb.Start), ignored, nil)
	le := tensor.CrossEntropy(out.EndLogits, clamp(lb.End), ignored, nil)
	out.Loss = tensor.Scale(tensor.Add(ls, le), 0.5)
	return nil
}

func (h *BertForQuestionAnswering) params() []Param { return h.QAOutputs.Params("qa_outputs.") }

// BertPredictionHeadTransform: LayerNorm(act(dense(h))), act = hidden_act.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L683
type BertPredictionHeadTransform struct {
	Dense     *nn.Linear
	Act       string
	LayerNorm *nn.LayerNorm
}

// BertForMaskedLM (cls.predictions = BertLMPredictionHead): logits =
// transform(sequence_output)·Wᵀ + bias, where the decoder weight W IS
// bert.embeddings.word_embeddings.weight (tied) and the decoder bias IS
// cls.predictions.bias; gradients of both uses of W add up in one tensor.
// loss = CrossEntropy over the vocabulary, ignore_index -100. In training
// mode (Options.Dropout set) with labels, only the labelled positions are
// decoded (Output.Logits
// is then (labelled positions, V)), which gives the same loss and gradients.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L700
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L1337
type BertForMaskedLM struct {
	Transform *BertPredictionHeadTransform
	Bias      *tensor.Tensor // cls.predictions.bias, (V)
	Decoder   *tensor.Tensor // == Model.Bert.Embeddings.WordEmbeddings.Weight
	VocabSize int
}

func (h *BertForMaskedLM) forward(r *run, t trunkOut, lb *Labels, out *Output) error {
	hasLabels := lb != nil && lb.Class != nil
	if hasLabels {
		if len(lb.Class) != r.batch*r.seq {
			return fmt.Errorf("masked-LM labels: got %d, want batch×seq = %d", len(lb.Class), r.batch*r.seq)
		}
		if err := checkClassLabels(lb.Class, h.VocabSize, "masked-LM label"); err != nil {
			return err
		}
	}
	x, labels := t.last, []int(nil)
	if hasLabels {
		labels = lb.Class
		if r.training() {
			// Positions labelled -100 add nothing to the loss or to any
			// gradient, and the transform and decoder work row by row, so
			// in training only the labelled rows (15% in BERT
			// pre-training) go through them: the (S·B, V) decoder GEMM is
			// the largest of the step. Loss and gradients are HF's.
			x, labels = labelledRows(t.last, lb.Class)
		}
	}
	x = r.norm(h.Transform.LayerNorm, activate(h.Transform.Act, r.linear(h.Transform.Dense, x)))
	out.Logits = tensor.Linear(x, r.param(h.Decoder), r.param(h.Bias)) // (B, S, V), or (labelled, V)
	if hasLabels {
		out.Loss = tensor.CrossEntropy(out.Logits, labels, IgnoreIndex, nil)
	}
	return nil
}

// labelledRows selects the rows of last (B, S, H) whose label is not
// IgnoreIndex, as (n, H), and their labels.
func labelledRows(last *tensor.Tensor, labels []int) (*tensor.Tensor, []int) {
	var rows, sel []int
	for i, l := range labels {
		if l != IgnoreIndex {
			rows = append(rows, i)
			sel = append(sel, l)
		}
	}
	return tensor.SelectRows(last, rows), sel
}

func (h *BertForMaskedLM) params() []Param {
	// Same order as HF named_parameters(): the module's own bias first.
	return concat(
		[]Param{{Name: keyMLMBias, T: h.Bias}},
		h.Transform.Dense.Params("cls.predictions.transform.dense."),
		h.Transform.LayerNorm.Params("cls.predictions.transform.LayerNorm."),
	)
}

// IgnoreIndex is the label value losses skip (torch CrossEntropyLoss default).
const IgnoreIndex = -100

func checkClassLabels(labels []int, n int, what string) error {
	for i, l := range labels {
		if l != IgnoreIndex && (l < 0 || l >= n) {
			return fmt.Errorf("%s %d at index %d is outside [0, %d) (use %d to ignore a position)", what, l, i, n, IgnoreIndex)
		}
	}
	return nil
}
