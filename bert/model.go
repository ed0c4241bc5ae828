package bert

import (
	"math"

	"github.com/medbert/medbert/nn"
	"github.com/medbert/medbert/tensor"
)

// This file holds the trunk: one struct per module of HF's BertModel
// (transformers/src/transformers/models/bert/modeling_bert.py), each with the
// formula its forward computes. Activations are (B, S, H) tensors; Linear
// works on the last dimension, so no reshapes are needed between modules.

// maskMin is torch.finfo(torch.float32).min, the value HF adds to the
// attention scores of padded keys (get_extended_attention_mask).
const maskMin = -math.MaxFloat32

// BertEmbeddings: LayerNorm((word[ids] + token_type[tt]) + position[pos]),
// then dropout. position ids are arange(S) for every row; word embeddings
// use padding_idx = pad_token_id (no gradient to that row).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L157
type BertEmbeddings struct {
	WordEmbeddings      *nn.Embedding
	PositionEmbeddings  *nn.Embedding
	TokenTypeEmbeddings *nn.Embedding
	LayerNorm           *nn.LayerNorm
	Dropout             float32
}

func (e *BertEmbeddings) forward(r *run, in *Input) *tensor.Tensor {
	b, s, h := in.Batch, in.Seq, e.WordEmbeddings.Weight.Shape[1]
	var x *tensor.Tensor
	if in.InputsEmbeds != nil {
		x = tensor.Reshape(in.InputsEmbeds, b*s, h)
	} else {
		x = r.embed(e.WordEmbeddings, in.InputIDs)
	}
	x = tensor.Add(x, r.embed(e.TokenTypeEmbeddings, r.tokenTypes))
	x = tensor.Reshape(x, b, s, h)
	// position[0..S) is one (S, H) block broadcast over the batch; its
	// gradient is the sum over rows, as the lookup's scatter-add would be.
	x = tensor.AddBias(x, r.embed(e.PositionEmbeddings, r.positions))
	x = r.norm(e.LayerNorm, x)
	return r.dropout(x, e.Dropout)
}

func (e *BertEmbeddings) Params(prefix string) []Param {
	return concat(
		e.WordEmbeddings.Params(prefix+"word_embeddings."),
		e.PositionEmbeddings.Params(prefix+"position_embeddings."),
		e.TokenTypeEmbeddings.Params(prefix+"token_type_embeddings."),
		e.LayerNorm.Params(prefix+"LayerNorm."),
	)
}

// BertSelfAttention: q,k,v = Linear(x); per head h (columns [h·hd, (h+1)·hd)),
// probs = softmax(q·kᵀ/√hd + ext_mask), ctx = dropout(probs)·v, heads merged.
// ext_mask = (1 - attention_mask)·finfo(float32).min, added per key; padded
// query rows are still computed.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L230
type BertSelfAttention struct {
	Query, Key, Value *nn.Linear
	NumHeads          int
	Dropout           float32 // attention_probs_dropout_prob
}

func (a *BertSelfAttention) forward(r *run, x *tensor.Tensor) (ctx, probs *tensor.Tensor) {
	q, k, v := r.linear3(a.Query, a.Key, a.Value, x)
	ctx, probs = r.attention(q, k, v, a.NumHeads, a.Dropout)
	r.release(q, k, v)
	return ctx, probs
}

func (a *BertSelfAttention) Params(prefix string) []Param {
	return concat(a.Query.Params(prefix+"query."), a.Key.Params(prefix+"key."), a.Value.Params(prefix+"value."))
}

// BertSelfOutput: LayerNorm(dropout(dense(ctx)) + input) (post-LN).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L375
type BertSelfOutput struct {
	Dense     *nn.Linear
	LayerNorm *nn.LayerNorm
	Dropout   float32
}

func (o *BertSelfOutput) forward(r *run, ctx, input *tensor.Tensor) *tensor.Tensor {
	sum := r.linearAdd(o.Dense, ctx, input, o.Dropout)
	y := r.norm(o.LayerNorm, sum)
	r.release(sum)
	return y
}

func (o *BertSelfOutput) Params(prefix string) []Param {
	return concat(o.Dense.Params(prefix+"dense."), o.LayerNorm.Params(prefix+"LayerNorm."))
}

// BertAttention groups self-attention and its output projection
// ("attention.self" and "attention.output" in key names).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L395
type BertAttention struct {
	Self   *BertSelfAttention
	Output *BertSelfOutput
}

func (a *BertAttention) Params(prefix string) []Param {
	return concat(a.Self.Params(prefix+"self."), a.Output.Params(prefix+"output."))
}

// BertIntermediate: act(dense(x)), act = hidden_act (erf GELU for "gelu").
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L456
type BertIntermediate struct {
	Dense *nn.Linear
	Act   string
}

func (m *BertIntermediate) forward(r *run, x *tensor.Tensor) *tensor.Tensor {
	if m.Act == ActGELU {
		// GELU in the GEMM's epilogue when the layer has a fused kernel.
		return m.Dense.ForwardAct(x, r.grad, true, nil)
	}
	return activate(m.Act, r.linear(m.Dense, x))
}

// BertOutput: LayerNorm(dropout(dense(intermediate)) + attention_output).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L471
type BertOutput struct {
	Dense     *nn.Linear
	LayerNorm *nn.LayerNorm
	Dropout   float32
}

func (o *BertOutput) forward(r *run, inter, input *tensor.Tensor) *tensor.Tensor {
	sum := r.linearAdd(o.Dense, inter, input, o.Dropout)
	y := r.norm(o.LayerNorm, sum)
	r.release(sum)
	return y
}

// BertLayer: attention block then feed-forward block, both post-LN.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L486
type BertLayer struct {
	Attention    *BertAttention
	Intermediate *BertIntermediate
	Output       *BertOutput
}

func (l *BertLayer) forward(r *run, x *tensor.Tensor) (y, probs *tensor.Tensor) {
	var att *tensor.Tensor
	if s, o := l.Attention.Self, l.Attention.Output; r.training() && s.Dropout > 0 && o.Dropout > 0 && !r.attentions {
		// One op up to the LayerNorm: the context is rebuilt in the
		// backward instead of kept.
		q, k, v := r.linear3(s.Query, s.Key, s.Value, x)
		sum := tensor.AttentionLinearDropoutAdd(q, k, v, r.batch, r.seq, s.NumHeads, r.maskAdd, s.Dropout,
			r.param(o.Dense.Weight), r.bias(o.Dense), x, o.Dropout, r.rng)
		att = r.norm(o.LayerNorm, sum)
	} else {
		var ctx *tensor.Tensor
		ctx, probs = l.Attention.Self.forward(r, x)
		att = l.Attention.Output.forward(r, ctx, x)
		r.release(ctx)
	}
	if o := l.Output; r.training() && o.Dropout > 0 && l.Intermediate.Act == ActGELU {
		// One op keeps only the pre-activation: GELU's output is recomputed
		// in the backward.
		h := r.linear(l.Intermediate.Dense, att)
		return r.norm(o.LayerNorm, r.geluLinearAdd(o.Dense, h, att, o.Dropout)), probs
	}
	inter := l.Intermediate.forward(r, att)
	y = l.Output.forward(r, inter, att)
	r.release(inter, att)
	return y, probs
}

// forwardFirst is forward for the first ([CLS]) row of every sequence only:
// the query, attention output and feed-forward of that row, against keys
// and values of every token. It returns (B, 1, H). No graph, no dropout.
func (l *BertLayer) forwardFirst(r *run, x *tensor.Tensor) *tensor.Tensor {
	rows := make([]int, r.batch)
	for i := range rows {
		rows[i] = i * r.seq
	}
	first := tensor.SelectRows(x, rows)
	a := l.Attention.Self
	q := r.linear(a.Query, first)
	kv := nn.ForwardShared(x, a.Key, a.Value)
	k, v := kv[0], kv[1]
	ctx := tensor.AttentionQueries(q, k, v, r.batch, r.seq, a.NumHeads, r.maskAdd)
	r.release(q, k, v)
	att := l.Attention.Output.forward(r, ctx, first)
	r.release(ctx, first)
	inter := l.Intermediate.forward(r, att)
	y := l.Output.forward(r, inter, att)
	r.release(inter, att)
	return tensor.Reshape(y, r.batch, 1, y.Shape[len(y.Shape)-1])
}

func (l *BertLayer) Params(prefix string) []Param {
	return concat(
		l.Attention.Params(prefix+"attention."),
		l.Intermediate.Dense.Params(prefix+"intermediate.dense."),
		l.Output.Dense.Params(prefix+"output.dense."),
		l.Output.LayerNorm.Params(prefix+"output.LayerNorm."),
	)
}

// BertEncoder: the stack of layers; hidden_states[i+1] = layer[i](hidden_states[i]).
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L572
type BertEncoder struct {
	Layers []*BertLayer
}

func (e *BertEncoder) Params(prefix string) []Param {
	var ps []Param
	for i, l := range e.Layers {
		ps = append(ps, l.Params(prefix+"layer."+itoa(i)+".")...)
	}
	return ps
}

// BertPooler: tanh(dense(h[:, 0])), the [CLS] row of every sequence.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L670
type BertPooler struct {
	Dense *nn.Linear
}

func (p *BertPooler) forward(r *run, seq *tensor.Tensor, batch, s int) *tensor.Tensor {
	rows := make([]int, batch)
	for i := range rows {
		rows[i] = i * s
	}
	return tensor.Tanh(r.linear(p.Dense, tensor.SelectRows(seq, rows)))
}

// BertModel: embeddings, encoder and (for base and sequence classification)
// the pooler.
// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/modeling_bert.py#L960
type BertModel struct {
	Embeddings *BertEmbeddings
	Encoder    *BertEncoder
	Pooler     *BertPooler // nil when built with add_pooling_layer=False
}

// trunkOut is what BertModel.forward returns.
type trunkOut struct {
	last, pooled *tensor.Tensor
	hidden       []*tensor.Tensor
	attentions   []*tensor.Tensor
}

func (m *BertModel) forward(r *run, in *Input, opt Options) trunkOut {
	var out trunkOut
	h := m.Embeddings.forward(r, in)
	if opt.HiddenStates {
		out.hidden = append(out.hidden, h)
	}
	layers := m.Encoder.Layers
	if opt.PooledOnly {
		layers = layers[:len(layers)-1]
	}
	for _, l := range layers {
		prev := h
		var probs *tensor.Tensor
		h, probs = l.forward(r, h)
		if opt.HiddenStates {
			out.hidden = append(out.hidden, h)
		} else {
			r.release(prev)
		}
		if opt.Attentions {
			out.attentions = append(out.attentions, probs)
		}
	}
	seq := in.Seq
	if opt.PooledOnly {
		prev := h
		h = m.Encoder.Layers[len(m.Encoder.Layers)-1].forwardFirst(r, h)
		r.release(prev)
		seq = 1
	}
	out.last = h
	if m.Pooler != nil {
		out.pooled = m.Pooler.forward(r, h, in.Batch, seq)
	}
	return out
}

func (m *BertModel) Params(prefix string) []Param {
	ps := concat(m.Embeddings.Params(prefix+"embeddings."), m.Encoder.Params(prefix+"encoder."))
	if m.Pooler != nil {
		ps = append(ps, m.Pooler.Dense.Params(prefix+"pooler.dense.")...)
	}
	return ps
}

func concat(lists ...[]Param) []Param {
	var n int
	for _, l := range lists {
		n += len(l)
	}
	out := make([]Param, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
