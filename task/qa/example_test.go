package qa_test

import (
	"fmt"

	"github.com/medbert/medbert/task/qa"
	"github.com/medbert/medbert/tokenize"
)

// Postprocess turns a window's start and end logits into answers whose
// offsets are code points into the original context.
func ExamplePostprocess() {
	v, _ := tokenize.NewVocab("example", []string{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
		"what", "condition", "?", "chest", "x", "-", "ray", "revealed", "signs", "of", "pneumonia", "."})
	tok, _ := tokenize.New(v, tokenize.DefaultSettings(true))
	ex := qa.Example{Question: "What condition?", Context: "Chest X-ray revealed signs  of pneumonia."}
	fs, _ := qa.Featurize(tok, []qa.Example{ex}, qa.Options{})
	// [CLS] what condition ? [SEP] chest x - ray revealed signs of pneumonia . [SEP]
	n := len(fs[0].IDs)
	start, end := make([]float32, n), make([]float32, n)
	start[12], end[12] = 4, 4 // pneumonia
	start[10], end[12] = 3, 4 // signs (of pneumonia)
	nb := qa.Postprocess(ex.Context, fs, []qa.WindowLogits{{Start: start, End: end}}, qa.Options{NBest: 2})
	for _, p := range nb {
		fmt.Printf("%q [%d,%d) logit %g\n", p.Text, p.Start, p.End, p.Logit)
	}
	// Output:
	// "pneumonia" [31,40) logit 8
	// "signs  of pneumonia" [21,40) logit 7
}
