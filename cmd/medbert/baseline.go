package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/medbert/medbert/baseline"
	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/datasets/medabstracts"
	"github.com/medbert/medbert/metrics"
	"github.com/medbert/medbert/train"
)

func init() {
	register(&command{
		name:    "baseline",
		summary: "bag-of-words logistic regression baseline (embedded Medical Abstracts split, or your files)",
		run:     runBaseline,
	})
}

const baselineHelp = `Trains a TF-IDF bag-of-words (lowercased word unigrams + bigrams) multinomial
logistic regression with an L2 penalty (full-batch L-BFGS, deterministic) and
reports it next to a majority-class predictor: the numbers a fine-tuned BERT
has to beat. Without --train-file it uses the embedded Medical Abstracts
corpus with the same seeded 70/10/20 split as medbert quickstart.

`

func runBaseline(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("baseline", "baseline [--train-file FILE (--test-file FILE | --validation-file FILE)] [--json OUT] [flags]", stderr)
	usage := fs.Usage
	fs.Usage = func() { fmt.Fprint(stderr, baselineHelp); usage() }
	var df dataFlags
	df.bind(fs)
	var trainFile, valFile, testFile, jsonOut, evalSplit string
	var opts baseline.Options
	var seed uint64
	fs.StringVar(&trainFile, "train-file", "", "training data (.jsonl, .csv, .tsv, PubMedQA .json); default: embedded Medical Abstracts")
	fs.StringVar(&valFile, "validation-file", "", "validation data (evaluated when no --test-file is given)")
	fs.StringVar(&testFile, "test-file", "", "test data to report on")
	fs.StringVar(&evalSplit, "eval-split", "test", "embedded dataset: evaluate on 'test' or 'validation'")
	fs.Uint64Var(&seed, "split-seed", medabstracts.DefaultSeed, "embedded dataset: split seed")
	fs.StringVar(&jsonOut, "json", "", "also write the baseline's report as JSON to this file")
	fs.IntVar(&opts.MaxNGram, "ngram", 2, "longest word n-gram")
	fs.IntVar(&opts.MinDF, "min-df", 2, "keep n-grams found in at least this many training texts")
	fs.Float64Var(&opts.C, "c", 30, "inverse L2 strength, as scikit-learn's LogisticRegression C")
	fs.IntVar(&opts.MaxIter, "max-iter", 500, "L-BFGS iterations")
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if opts.MaxNGram < 1 || opts.MinDF < 1 || opts.C <= 0 || opts.MaxIter < 1 {
		return errors.New("--ngram, --min-df, --max-iter must be >= 1 and --c > 0")
	}
	if err := checkBaselineFlags(&df, trainFile, valFile, testFile, evalSplit, jsonOut); err != nil {
		return err
	}

	bd, err := loadBaselineData(stdout, stderr, &df, trainFile, valFile, testFile, evalSplit, seed)
	if err != nil {
		return err
	}
	trainEx, evalEx, labels := bd.train, bd.eval, bd.labels
	start := time.Now()
	res, err := baseline.Evaluate(trainEx, evalEx, labels, opts)
	if err != nil {
		return err
	}
	maj, err := baseline.MajorityReport(trainEx, evalEx, labels)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bag-of-words logistic regression: %d features, C=%g, %d L-BFGS iterations, %s\n",
		res.Model.Features(), opts.C, res.Model.Iterations, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "\n== %s: bag-of-words logistic regression (%d examples) ==\n", bd.name, len(evalEx))
	if err := res.Report.WriteText(stdout); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%-34s %9s %9s %9s\n", "", "accuracy", "f1_macro", "f1_weighted")
	for _, r := range []struct {
		name string
		rep  *metrics.Report
	}{{"bag-of-words logistic regression", res.Report}, {"majority class", maj}} {
		fmt.Fprintf(stdout, "%-34s %9.4f %9.4f %9.4f\n", r.name, r.rep.Accuracy, r.rep.F1Macro, r.rep.F1Weighted)
	}
	if jsonOut == "" {
		return nil
	}
	return writeBaselineJSON(jsonOut, res, maj, opts)
}

// baselineData is what the baseline trains and evaluates on.
type baselineData struct {
	train, eval []data.Example
	labels      []string
	name        string // of the evaluation split, for the report title
}

// loadBaselineData reads the files, or splits the embedded corpus when no
// --train-file is given.
func loadBaselineData(stdout, stderr io.Writer, df *dataFlags, trainFile, valFile, testFile, evalSplit string, seed uint64) (*baselineData, error) {
	bd := &baselineData{}
	if trainFile == "" {
		if valFile != "" || testFile != "" {
			return nil, errors.New("--validation-file/--test-file need --train-file")
		}
		sp, err := medabstracts.Split(seed)
		if err != nil {
			return nil, err
		}
		bd.train, bd.labels = sp.Train, sp.Labels
		switch evalSplit {
		case "test":
			bd.eval = sp.Test
		case "validation":
			bd.eval = sp.Validation
		default:
			return nil, fmt.Errorf("--eval-split %q: want test or validation", evalSplit)
		}
		bd.name = "Medical Abstracts " + evalSplit + " split"
		fmt.Fprintf(stdout, "Medical Abstracts (CC BY-SA 3.0): %d train / %d validation / %d test abstracts (seeded stratified 70/10/20 split, seed %d)\n",
			len(sp.Train), len(sp.Validation), len(sp.Test), seed)
	} else {
		var err error
		if bd.train, err = df.read(trainFile, stderr); err != nil {
			return nil, err
		}
		evalFile := testFile
		if evalFile == "" {
			evalFile = valFile
		}
		if evalFile == "" {
			return nil, errors.New("give --test-file or --validation-file to evaluate on")
		}
		if bd.eval, err = df.read(evalFile, stderr); err != nil {
			return nil, err
		}
		vocab, err := data.BuildLabels(bd.train)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", trainFile, err)
		}
		bd.labels = vocab.Names()
		bd.name = evalFile
		fmt.Fprintf(stdout, "%d training and %d evaluation examples, %d labels\n", len(bd.train), len(bd.eval), len(bd.labels))
	}
	return bd, nil
}

func writeBaselineJSON(path string, res *baseline.Result, maj *metrics.Report, opts baseline.Options) error {
	b, err := reportJSON(res.Report, map[string]any{
		"model":                "tfidf-logreg",
		"features":             res.Model.Features(),
		"majority_accuracy":    maj.Accuracy,
		"majority_f1_macro":    maj.F1Macro,
		"baseline_c":           opts.C,
		"baseline_ngram":       opts.MaxNGram,
		"baseline_min_df":      opts.MinDF,
		"baseline_lbfgs_iters": res.Model.Iterations,
	})
	if err != nil {
		return err
	}
	return train.WriteFileAtomic(path, b)
}

// checkBaselineFlags checks the split and path flags before any data is
// read.
func checkBaselineFlags(df *dataFlags, trainFile, valFile, testFile, evalSplit, jsonOut string) error {
	if evalSplit != "test" && evalSplit != "validation" {
		return fmt.Errorf("--eval-split %q: want test or validation", evalSplit)
	}
	if trainFile == "" && (valFile != "" || testFile != "") {
		return errors.New("--validation-file/--test-file need --train-file")
	}
	if trainFile != "" && valFile == "" && testFile == "" {
		return errors.New("give --test-file or --validation-file to evaluate on")
	}
	if jsonOut != "" {
		if err := checkNewFile("json", jsonOut); err != nil {
			return err
		}
	}
	return df.check(map[string]string{"train-file": trainFile, "validation-file": valFile, "test-file": testFile})
}
