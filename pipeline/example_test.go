package pipeline_test

import (
	"context"
	"fmt"
	"github.com/medbert/medbert/internal/testmodel"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/safetensors"
	"github.com/medbert/medbert/tokenize"
)

// tinyModelFolder assembles a model folder from the repository's tiny
// test model (2 layers, hidden 64, three labels) and the first 512 entries
// of the bert-base-cased vocabulary, which its token ids index.
func tinyModelFolder() string {
	dir, err := os.MkdirTemp("", "medbert-example")
	if err != nil {
		log.Fatal(err)
	}
	if err := testmodel.WriteDir(dir); err != nil {
		log.Fatal(err)
	}
	return dir
}

// Load a model folder and classify texts and text pairs. Classify may be
// called from many goroutines at once.
func Example() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)

	p, err := pipeline.Load(dir, pipeline.Options{MaxLength: 32})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("task:", p.Task, "labels:", p.Labels.Names(), "max length:", p.MaxLength)
	out, err := p.Classify(context.Background(), []pipeline.Input{
		{Text: "chest pain"},
		{Text: "Is the pain cardiac?", TextPair: "Troponin was normal."},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range out {
		top := c.Top(2)
		fmt.Printf("%d tokens, truncated %v: %s %.2f, then %s %.2f\n", c.Tokens, c.Truncated,
			top[0].Label, top[0].Score, top[1].Label, top[1].Score)
	}
	// Output:
	// task: classification labels: [NEGATIVE NEUTRAL POSITIVE] max length: 32
	// 4 tokens, truncated false: NEGATIVE 0.35, then POSITIVE 0.33
	// 12 tokens, truncated false: NEGATIVE 0.35, then POSITIVE 0.33
}

// A pipeline's tokenizer gives token offsets into the input text, in
// code points as Hugging Face's offset_mapping.
func ExampleLoadTokenizer() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)

	cfg, err := bert.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := pipeline.LoadTokenizer(dir, cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	text := "Pain: 7/10"
	enc, err := tok.Encode(text, tokenize.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for i, off := range enc.CharOffsets(text, "") {
		fmt.Printf("%-6s %v %q\n", enc.Tokens[i], off, string([]rune(text)[off[0]:off[1]]))
	}
	// Output:
	// [CLS]  [0 0] ""
	// [UNK]  [0 4] "Pain"
	// :      [4 5] ":"
	// 7      [6 7] "7"
	// /      [7 8] "/"
	// [UNK]  [8 10] "10"
	// [SEP]  [0 0] ""
}

// Quantize a loaded model to int8 and compare it with the float32 one on
// the same inputs.
func Example_quantize() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)

	fp32, err := pipeline.Load(dir, pipeline.Options{})
	if err != nil {
		log.Fatal(err)
	}
	int8, err := pipeline.Load(dir, pipeline.Options{})
	if err != nil {
		log.Fatal(err)
	}
	before := int8.Model.WeightBytes()
	if err := int8.Model.Quantize(bert.QuantOptions{}); err != nil {
		log.Fatal(err)
	}
	in := []pipeline.Input{{Text: "chest pain"}, {Text: "feels well today"}, {Text: "fever and cough"}}
	a, _ := fp32.Classify(context.Background(), in)
	b, err := int8.Classify(context.Background(), in)
	if err != nil {
		log.Fatal(err)
	}
	var maxDiff float64
	agree := 0
	for i := range a {
		if a[i].Label == b[i].Label {
			agree++
		}
		for j := range a[i].Logits {
			maxDiff = math.Max(maxDiff, math.Abs(float64(a[i].Logits[j]-b[i].Logits[j])))
		}
	}
	fmt.Printf("labels agree: %d/%d\n", agree, len(a))
	fmt.Printf("max logit difference below 0.01: %v\n", maxDiff < 0.01)
	fmt.Printf("weights smaller: %v\n", int8.Model.WeightBytes() < before)
	// Output:
	// labels agree: 3/3
	// max logit difference below 0.01: true
	// weights smaller: true
}

// Read the tensors of a safetensors weight file (here a model folder's
// model.safetensors) by name, as float32.
func Example_readSafetensors() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)

	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fmt.Println(len(f.Names()), "tensors")
	info, _ := f.Info("bert.embeddings.word_embeddings.weight")
	fmt.Println(info.DType, info.Shape)
	data, shape, err := f.Float32("classifier.bias")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(shape, len(data))
	// Output:
	// 48 tensors
	// F32 [512 64]
	// [3] 3
}

// Save a binary classifier's decision threshold in its folder: every later
// Load (predict, serve, a Go program) decides by it, and says so in each
// Classification. ParseThreshold reads one given by hand.
func ExampleSaveThreshold() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)
	// The tiny model has three labels; a threshold needs two.
	th, err := pipeline.ParseThreshold("urgent:0.3", []string{"routine", "urgent"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("predict %s when P(%s) >= %g\n", th.Label, th.Label, th.Value)
	if err := pipeline.SaveThreshold(dir, *th); err != nil {
		log.Fatal(err)
	}
	back, err := pipeline.LoadThreshold(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loaded:", back.Label, back.Value)
	c := pipeline.Classification{Label: "routine", Score: 0.6, Scores: []float64{0.6, 0.4}, Labels: []string{"routine", "urgent"}}
	d := c.Decide(back)
	fmt.Printf("argmax %s, decided %s (%.1f)\n", c.Label, d.Label, d.Score)
	// Output:
	// predict urgent when P(urgent) >= 0.3
	// loaded: urgent 0.3
	// argmax routine, decided urgent (0.4)
}

// Read long notes whole: windows of MaxLength tokens sharing Stride
// tokens, their probabilities averaged.
func ExampleLongText() {
	dir := tinyModelFolder()
	defer os.RemoveAll(dir)
	p, err := pipeline.Load(dir, pipeline.Options{MaxLength: 16, LongText: pipeline.LongTextWindows, Stride: 4})
	if err != nil {
		log.Fatal(err)
	}
	out, err := p.Classify(context.Background(), []pipeline.Input{{Text: strings.Repeat("a b c d e f g h ", 6)}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tokens:", out[0].Tokens, "windows:", out[0].Windows, "truncated:", out[0].Truncated)
	// Output:
	// tokens: 50 windows: 5 truncated: false
}
