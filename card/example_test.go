package card_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/medbert/medbert/card"
)

// Build a card for a binary triage model evaluated on six notes: the
// Markdown opens with the intended use, and the charts come with it.
func ExampleBuild() {
	c, err := card.Build(card.Input{
		Name: "triage", Task: "sequence classification", Labels: []string{"routine", "urgent"},
		Eval: &card.Eval{
			YTrue:         []int{0, 0, 0, 1, 1, 1},
			Probs:         [][]float64{{0.9, 0.1}, {0.8, 0.2}, {0.4, 0.6}, {0.3, 0.7}, {0.2, 0.8}, {0.6, 0.4}},
			BootstrapReps: 100,
		},
		Date: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		panic(err)
	}
	lines := strings.Split(string(c.Markdown), "\n")
	fmt.Println(lines[0])
	fmt.Printf("accuracy %.3f, %d charts\n", c.Report.Accuracy, len(c.Figures))
	// Output:
	// # Model card: triage
	// accuracy 0.667, 4 charts
}
