package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/data"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/tokenize"
)

// dataFlags are the run_glue.py data options shared by train and eval.
type dataFlags struct {
	textColumn, pairColumn, labelColumn string
	format, quoting                     string
	noHeader, skipBadRows               bool
	// keepFields keeps the rows' other fields (eval --group-field).
	keepFields bool
}

func (d *dataFlags) bind(fs *flag.FlagSet) {
	d.bindInput(fs)
	fs.StringVar(&d.labelColumn, "label-column", "label", "field/column with the label")
}

// bindInput binds the flags that read texts (not labels), for predict.
func (d *dataFlags) bindInput(fs *flag.FlagSet) {
	fs.StringVar(&d.textColumn, "text-column", "text", "JSON field or CSV/TSV column (name or 0-based index) with the text")
	fs.StringVar(&d.pairColumn, "text-pair-column", "", "field/column with the second text of pair tasks")
	fs.StringVar(&d.format, "format", "", "input format: jsonl, csv, tsv, json/pubmedqa (default: by extension)")
	fs.StringVar(&d.quoting, "quoting", "", "CSV/TSV quoting: csv (RFC 4180 quotes; default for .csv) or none (quotes are text, one row per line; default for .tsv)")
	fs.BoolVar(&d.noHeader, "no-header", false, "CSV/TSV files have no header line (give columns by index)")
	fs.BoolVar(&d.skipBadRows, "skip-bad-rows", false, "skip and count malformed rows instead of stopping at the first (prints lines read, rows kept, rows skipped)")
}

func (d *dataFlags) options() (data.Options, error) {
	f, err := data.ParseFormat(d.format)
	if err != nil {
		return data.Options{}, err
	}
	q, err := data.ParseQuoting(d.quoting)
	if err != nil {
		return data.Options{}, fmt.Errorf("--quoting: %w", err)
	}
	return data.Options{Format: f, TextField: d.textColumn, TextPairField: d.pairColumn, LabelField: d.labelColumn,
		NoHeader: d.noHeader, SkipBadRows: d.skipBadRows, Quoting: q, KeepFields: d.keepFields}, nil
}

// check validates the options and that each named file exists, before
// anything is read. files maps a flag name to its path ("" = not given).
func (d *dataFlags) check(files map[string]string) error {
	if _, err := d.options(); err != nil {
		return err
	}
	for flagName, path := range files {
		if path == "" {
			continue
		}
		if err := checkFile(flagName, path, "a data file (.jsonl, .csv, .tsv, PubMedQA .json)"); err != nil {
			return err
		}
	}
	return nil
}

// read reads one labelled file, reporting skipped rows on w.
func (d *dataFlags) read(path string, w io.Writer) ([]data.Example, error) {
	opt, err := d.options()
	if err != nil {
		return nil, err
	}
	exs, sk, err := data.ReadExamples(path, opt)
	if err != nil {
		return nil, err
	}
	d.report(w, filepath.Base(path), sk)
	if len(exs) == 0 {
		return nil, fmt.Errorf("%s: no examples", path)
	}
	return exs, nil
}

// report prints what a read skipped: with --skip-bad-rows always the line
// and row counts (so nothing is lost unseen), otherwise nothing.
func (d *dataFlags) report(w io.Writer, name string, sk data.Skipped) {
	if !d.skipBadRows {
		return
	}
	fmt.Fprintf(w, "%s: %s\n", name, sk.Summary())
	if sk.Count > 0 {
		fmt.Fprintf(w, "%s: %s\n", name, sk)
	}
}

// writeSummary prints the data.Summary of a split: rows, class balance,
// length percentiles in tokens (with [CLS]/[SEP], before truncation) and
// how many examples maxLen truncates, so a user sees imbalance or a too
// short --max-seq-length before spending hours on training. Texts are cut
// first (tokenize.CutForTokens) at 4 times maxLen tokens, so a huge row
// costs little; longer lengths show as about that.
func writeSummary(w io.Writer, tok *tokenize.Tokenizer, name string, exs []data.Example, maxLen int) error {
	var b strings.Builder
	if err := pipeline.Summarize(tok, exs, maxLen).WriteText(&b); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s", name, strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\n", "\n  ")+"\n")
	return err
}
