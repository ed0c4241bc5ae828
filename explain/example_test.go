package explain_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/explain"
	"github.com/medbert/medbert/tokenize"
)

// Explain a prediction of the tiny test classifier with integrated
// gradients: the word scores add up to the logit's distance from the
// baseline's.
func ExampleExplain() {
	m, _, err := bert.Load("../testdata/golden/tiny", bert.LoadOptions{Head: bert.HeadSeqCls})
	if err != nil {
		panic(err)
	}
	// The tiny model's 512 ids are the first 512 bert-base-cased tokens.
	data, err := os.ReadFile("../testdata/vocab/bert-base-cased-vocab.txt")
	if err != nil {
		panic(err)
	}
	v, err := tokenize.NewVocab("vocab.txt", strings.Split(string(data), "\n")[:512])
	if err != nil {
		panic(err)
	}
	tok, err := tokenize.New(v, tokenize.DefaultSettings(false))
	if err != nil {
		panic(err)
	}
	e, err := explain.Explain(context.Background(), m, tok, "a b c ! d", explain.Options{Steps: 64})
	if err != nil {
		panic(err)
	}
	var sum float64
	for _, w := range e.Words {
		sum += w.Score
	}
	fmt.Printf("%s by %s over %d words; completeness error %.1f%%\n",
		e.Label, e.Method, len(e.Words), 100*math.Abs(sum-(e.Logit-e.BaselineLogit))/math.Abs(e.Logit-e.BaselineLogit))
	// Output:
	// NEGATIVE by ig over 5 words; completeness error 0.0%
}
