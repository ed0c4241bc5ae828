package tokencls

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/tokenize"
)

// handTokenizer is an uncased WordPiece tokenizer over a few clinical
// pieces, so alignments can be written out by hand.
func handTokenizer(t *testing.T) *tokenize.Tokenizer {
	t.Helper()
	v, err := tokenize.NewVocab("hand", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
		"ata", "##xia", "-", "tel", "##ang", "##iec", "##tasia", "is", "rare",
		"sj", "##ogren", "syndrome", ",", "sev", "##ere"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(true))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var handLabels = map[string]int{"B-Disease": 0, "I-Disease": 1, "O": 2}

func TestFeaturizeAlignment(t *testing.T) {
	tok := handTokenizer(t)
	s := data.Sentence{Tokens: []string{"Ataxia", "-", "telangiectasia", "is", "rare"},
		Tags: []string{"B-Disease", "I-Disease", "I-Disease", "O", "O"}}
	// [CLS] ata ##xia - tel ##ang ##iec ##tasia is rare [SEP]
	for _, c := range []struct {
		all    bool
		labels []int
	}{
		{false, []int{-100, 0, -100, 1, 1, -100, -100, -100, 2, 2, -100}},
		{true, []int{-100, 0, 1, 1, 1, 1, 1, 1, 2, 2, -100}}, // B- becomes I- on later pieces
	} {
		fs, err := Featurize(tok, []data.Sentence{s}, handLabels, Options{LabelAllTokens: c.all})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 {
			t.Fatalf("%d windows, want 1", len(fs))
		}
		if !slices.Equal(fs[0].Labels, c.labels) {
			t.Errorf("all=%v: labels %v, want %v", c.all, fs[0].Labels, c.labels)
		}
		if want := []int{-1, 0, 0, 1, 2, 2, 2, 2, 3, 4, -1}; !slices.Equal(fs[0].Words, want) {
			t.Errorf("words %v, want %v", fs[0].Words, want)
		}
	}
	if _, err := Featurize(tok, []data.Sentence{{Tokens: []string{"rare"}, Tags: []string{"B-Chemical"}, Pos: data.Pos{File: "x.tsv", Line: 7}}}, handLabels, Options{}); err == nil || err.Error() != `x.tsv:7: tag "B-Chemical" is not one of the model's labels` {
		t.Errorf("unknown tag: %v", err)
	}
}

// TestWindows cuts the 9 pieces into windows of 4 sharing 2 (max length
// 6, stride 2): pieces [0,4) [2,6) [4,8) [6,9). Each window's labels are the
// whole sequence's (a word's label only on its first piece, wherever the
// window starts), and merging reads each piece from the window where it
// has the most context.
func TestWindows(t *testing.T) {
	tok := handTokenizer(t)
	s := data.Sentence{Tokens: []string{"Ataxia", "-", "telangiectasia", "is", "rare"},
		Tags: []string{"B-Disease", "I-Disease", "I-Disease", "O", "O"}}
	fs, err := Featurize(tok, []data.Sentence{s}, handLabels, Options{MaxLength: 6, Stride: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{
		{-100, 0, -100, 1, 1, -100},
		{-100, 1, 1, -100, -100, -100},
		{-100, -100, -100, -100, 2, -100},
		{-100, -100, 2, 2, -100},
	}
	if len(fs) != len(want) {
		t.Fatalf("%d windows, want %d", len(fs), len(want))
	}
	for k, f := range fs {
		if !slices.Equal(f.Labels, want[k]) || f.First != 2*k {
			t.Errorf("window %d: first %d labels %v, want %d %v", k, f.First, f.Labels, 2*k, want[k])
		}
	}
	// One "logit" per position: the window's index.
	logits := make([][]float32, len(fs))
	for k, f := range fs {
		logits[k] = make([]float32, len(f.IDs))
		for j := range logits[k] {
			logits[k][j] = float32(k)
		}
	}
	toks := mergeWindows(fs, logits, 1)
	var got []int
	var pieces []string
	for _, tk := range toks {
		got = append(got, int(tk.logits[0]))
		pieces = append(pieces, tk.piece)
	}
	if want := []int{0, 0, 0, 1, 1, 2, 2, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("pieces read from windows %v, want %v", got, want)
	}
	if want := []string{"ata", "##xia", "-", "tel", "##ang", "##iec", "##tasia", "is", "rare"}; !slices.Equal(pieces, want) {
		t.Errorf("merged pieces %v, want %v", pieces, want)
	}
	if _, err := Featurize(tok, []data.Sentence{s}, handLabels, Options{MaxLength: 6, Stride: 4}); err == nil {
		t.Error("stride as long as the window: no error")
	}
}

func TestConvertScheme(t *testing.T) {
	bio := []string{"B-X", "I-X", "O", "I-Y", "B-X", "B-X", "I-X", "I-Y"}
	iobes := []string{"B-X", "E-X", "O", "S-Y", "S-X", "B-X", "E-X", "S-Y"}
	if got := Convert(bio, IOBES); !slices.Equal(got, iobes) {
		t.Errorf("to IOBES %v, want %v", got, iobes)
	}
	// I- without B- starts an entity, as seqeval reads it.
	if got, want := Convert(iobes, BIO), []string{"B-X", "I-X", "O", "B-Y", "B-X", "B-X", "I-X", "B-Y"}; !slices.Equal(got, want) {
		t.Errorf("to BIO %v, want %v", got, want)
	}
	if got, want := Convert([]string{"B-X", "L-X", "U-Y"}, IOBES), []string{"B-X", "E-X", "S-Y"}; !slices.Equal(got, want) {
		t.Errorf("BILOU to IOBES %v, want %v", got, want)
	}
	if s, err := ParseScheme("IOB2"); s != BIO || err != nil {
		t.Errorf("ParseScheme(IOB2) = %v, %v", s, err)
	}
}

// TestEntityScoresHand: gold D[0,2) C[3,4) C[4,5) (adjacent B-C B-C);
// predicted D[0,2) and C[3,5) (I-C after O starts an entity, I-C then
// continues it). Only D matches: P = 1/2, R = 1/3, F1 = 0.4; per type D is
// 1/1/1 and C 0/0/0 with support 2. IOBES spelling of the same chunks
// scores the same.
func TestEntityScoresHand(t *testing.T) {
	gold := [][]string{{"B-D", "I-D", "O", "B-C", "B-C"}}
	pred := [][]string{{"B-D", "I-D", "O", "I-C", "I-C"}}
	for _, s := range []Scheme{BIO, IOBES} {
		g, p := [][]string{Convert(gold[0], s)}, [][]string{Convert(pred[0], s)}
		r, err := entityScores(g, p)
		if err != nil {
			t.Fatal(err)
		}
		m := r.Micro
		if math.Abs(m.Precision-0.5) > 1e-12 || math.Abs(m.Recall-1.0/3) > 1e-12 || math.Abs(m.F1-0.4) > 1e-12 {
			t.Errorf("%s: micro %+v, want P 0.5 R 1/3 F1 0.4", s, m)
		}
		if !slices.Equal(r.Types, []string{"C", "D"}) || r.PerType[0].F1 != 0 || r.PerType[0].Support != 2 || r.PerType[1].F1 != 1 {
			t.Errorf("%s: per type %v %+v", s, r.Types, r.PerType)
		}
	}
}

// TestAggregate builds the pieces of a text with accents, a double space
// and a no-break space, gives them hand-chosen logits over (B-Disease,
// I-Disease, O) and checks the entities of each aggregation, with spans in
// code points that slice the original text.
func TestAggregate(t *testing.T) {
	tok := handTokenizer(t)
	text := "Sjögren  syndrome,\u00a0sévère"
	enc, err := encodeWindows(tok, text, Options{MaxLength: 64, Stride: 8})
	if err != nil {
		t.Fatal(err)
	}
	w := enc.windows[0]
	f := Feature{IDs: w.IDs, Offsets: w.Offsets, Tokens: w.Tokens, Words: make([]int, w.Len())}
	f.Words[0], f.Words[w.Len()-1] = -1, -1
	// [CLS] sj ##ogren syndrome , sev ##ere [SEP]
	rows := [][]float32{{0, 0, 0}, {2, 0, 0}, {0, 0, 5}, {0, 3, 0}, {0, 0, 3}, {3, 0, 0}, {0, 0, 0}, {0, 0, 0}}
	if len(rows) != w.Len() {
		t.Fatalf("tokens %v", w.Tokens)
	}
	var flat []float32
	for _, r := range rows {
		flat = append(flat, r...)
	}
	toks := mergeWindows([]Feature{f}, [][]float32{flat}, 3)
	names := []string{"B-Disease", "I-Disease", "O"}
	pB := math.E * math.E / (math.E*math.E + 2) // softmax(2, 0, 0)[0]
	p3 := math.Exp(3) / (math.Exp(3) + 2)       // softmax(3, 0, 0)[0]
	cases := map[Aggregation][]Entity{
		AggregateFirst: {
			{"Disease", 0, 17, "Sjögren  syndrome", (pB + p3) / 2},
			{"Disease", 19, 25, "sévère", p3},
		},
		AggregateAverage: {
			{"Disease", 9, 17, "syndrome", p3},
			{"Disease", 19, 25, "sévère", (p3 + 1.0/3) / 2},
		},
		AggregateMax: {
			{"Disease", 9, 17, "syndrome", p3},
			{"Disease", 19, 25, "sévère", p3},
		},
		AggregateNone: {
			{"B-Disease", 0, 2, "Sj", pB},
			{"I-Disease", 9, 17, "syndrome", p3},
			{"B-Disease", 19, 22, "sév", p3},
			{"B-Disease", 22, 25, "ère", 1.0 / 3},
		},
	}
	runes := []rune(text)
	for agg, want := range cases {
		got := aggregate(text, toks, names, "##", agg)
		if len(got) != len(want) {
			t.Errorf("%s: %+v, want %+v", agg, got, want)
			continue
		}
		for i := range got {
			g, e := got[i], want[i]
			if g.Type != e.Type || g.Start != e.Start || g.End != e.End || g.Text != e.Text || math.Abs(g.Score-e.Score) > 1e-6 {
				t.Errorf("%s entity %d: %+v, want %+v", agg, i, g, e)
			}
			if string(runes[g.Start:g.End]) != g.Text {
				t.Errorf("%s: runes[%d:%d] = %q, text %q", agg, g.Start, g.End, string(runes[g.Start:g.End]), g.Text)
			}
		}
	}
}

func TestLoadModelKeepsOrReplacesHead(t *testing.T) {
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 30, 8, 1, 2, 16
	labels := []string{"B-Disease", "I-Disease", "O"}
	m, err := NewModel(cfg, labels, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	same, rep, err := LoadModel(dir, []string{"O", "B-Disease", "I-Disease"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 0 || !slices.Equal(same.TokenCls.Classifier.Weight.Data, m.TokenCls.Classifier.Weight.Data) ||
		!slices.Equal(same.Config.Labels(), labels) {
		t.Errorf("same label set: missing %v, labels %v; want the saved head kept", rep.Missing, same.Config.Labels())
	}
	more := []string{"B-Chemical", "B-Disease", "I-Chemical", "I-Disease", "O"}
	other, rep, err := LoadModel(dir, more, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rep.Missing, "classifier.weight") || other.Config.NumLabels != 5 || !slices.Equal(other.Config.Labels(), more) ||
		!slices.Equal(other.Bert.Embeddings.WordEmbeddings.Weight.Data, m.Bert.Embeddings.WordEmbeddings.Weight.Data) {
		t.Errorf("new label set: missing %v, %d labels; want a fresh 5-label head on the saved encoder", rep.Missing, other.Config.NumLabels)
	}
}

// TestPredictEdgeTexts: empty and whitespace-only texts give no entities,
// a text longer than a window is read in windows, and every span slices
// its text, whatever the (random) model predicts.
func TestPredictEdgeTexts(t *testing.T) {
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 20, 8, 1, 2, 16
	m, err := NewModel(cfg, []string{"B-Disease", "I-Disease", "O"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Make the classifier favour B-Disease on every token.
	m.TokenCls.Classifier.Bias.Data[0] = 5
	long := strings.Repeat("Ataxia-telangiectasia is rare, Sjögren  sévère. ", 12)
	for _, agg := range []Aggregation{AggregateNone, AggregateFirst, AggregateAverage, AggregateMax} {
		p := &Predictor{Model: m, Tokenizer: handTokenizer(t), Options: Options{MaxLength: 16, Stride: 4}, Aggregation: agg}
		out, err := p.PredictBatch(context.Background(), []string{"", " \t\u00a0", long})
		if err != nil {
			t.Fatal(err)
		}
		if len(out[0]) != 0 || len(out[1]) != 0 {
			t.Errorf("%s: entities in empty texts: %v %v", agg, out[0], out[1])
		}
		rs := []rune(long)
		if len(out[2]) == 0 {
			t.Errorf("%s: no entity with a B-Disease bias", agg)
		}
		for _, e := range out[2] {
			if string(rs[e.Start:e.End]) != e.Text {
				t.Errorf("%s: %+v does not slice the text", agg, e)
			}
		}
		if agg != AggregateNone && len(out[2]) != 12*9 {
			// Every word is B-Disease: one entity per word (ata##xia - tel##ang##iec##tasia is rare , sj##ogren severe .).
			t.Errorf("%s: %d entities, want %d (one per word)", agg, len(out[2]), 12*9)
		}
	}
	if _, err := (&Predictor{Model: m, Tokenizer: handTokenizer(t), Aggregation: "mean"}).Predict(context.Background(), "x"); err == nil {
		t.Error("unknown aggregation: no error")
	}
}

// FuzzPredictSpans: any text (invalid UTF-8, control characters, special
// tokens) is tagged without error, and every entity slices the text at its
// code-point offsets.
func FuzzPredictSpans(f *testing.F) {
	for _, s := range []string{"", "Ataxia-telangiectasia", "Sjögren  sévère\u00a0.", "\xff\xfe rare [SEP] is", "\u200b\u0000 tel\tang"} {
		f.Add(s)
	}
	cfg := bert.DefaultConfig()
	cfg.VocabSize, cfg.HiddenSize, cfg.NumHiddenLayers, cfg.NumAttentionHeads, cfg.IntermediateSize = 20, 8, 1, 2, 16
	m, err := NewModel(cfg, []string{"B-Disease", "I-Disease", "O"}, 3)
	if err != nil {
		f.Fatal(err)
	}
	m.TokenCls.Classifier.Bias.Data[0] = 1
	f.Fuzz(func(t *testing.T, text string) {
		p := &Predictor{Model: m, Tokenizer: handTokenizer(t), Options: Options{MaxLength: 8, Stride: 2}, Aggregation: AggregateAverage}
		es, err := p.Predict(context.Background(), text)
		if err != nil {
			t.Fatal(err)
		}
		rs := []rune(text)
		for _, e := range es {
			if e.Start < 0 || e.End > len(rs) || e.Start >= e.End {
				t.Fatalf("span [%d,%d) outside a %d-code-point text", e.Start, e.End, len(rs))
			}
			if utf8.ValidString(text) && string(rs[e.Start:e.End]) != e.Text {
				t.Fatalf("%+v does not slice %q", e, text)
			}
		}
	})
}
