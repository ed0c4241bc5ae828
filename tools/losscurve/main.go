// Command losscurve draws the loss curve of a `medbert train` or
// `medbert pretrain` run from its metrics.jsonl (one JSON object per
// logging or evaluation step) as an SVG: training loss as a line,
// evaluation loss as markers. The shipped model's loss.svg was made
// with it:
//
//	go run ./tools/losscurve --title "..." RUN/metrics.jsonl > loss.svg
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/medbert/medbert/plot"
)

func main() {
	title := flag.String("title", "Loss", "chart title")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: losscurve [--title T] metrics.jsonl > loss.svg")
		os.Exit(2)
	}
	svg, err := draw(flag.Arg(0), *title)
	if err != nil {
		fmt.Fprintln(os.Stderr, "losscurve:", err)
		os.Exit(1)
	}
	os.Stdout.Write(svg)
}

func draw(path, title string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	train := plot.Line{Name: "training loss"}
	eval := plot.Line{Name: "held-out loss", Markers: true}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		var r struct {
			Step     float64  `json:"step"`
			Loss     *float64 `json:"loss"`
			EvalLoss *float64 `json:"eval_loss"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if r.Loss != nil {
			train.X, train.Y = append(train.X, r.Step), append(train.Y, *r.Loss)
		}
		if r.EvalLoss != nil {
			eval.X, eval.Y = append(eval.X, r.Step), append(eval.Y, *r.EvalLoss)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(train.X) < 2 {
		return nil, fmt.Errorf("%s: fewer than two training-loss points", path)
	}
	ls := plot.Lines{Title: title, XLabel: "optimizer step", YLabel: "masked-LM loss", Series: []plot.Line{train}}
	if len(eval.X) > 0 {
		ls.Series = append(ls.Series, eval)
	}
	return ls.SVG()
}
