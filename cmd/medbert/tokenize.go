package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/medbert/medbert/tokenize"
)

func init() {
	register(&command{
		name:    "tokenize",
		summary: "WordPiece-tokenize text like HF BertTokenizer (JSON lines out)",
		run:     runTokenize,
	})
}

const tokenizeSynopsis = `tokenize (--model DIR | --vocab FILE) [flags] [--] [TEXT...]

Prints one JSON object per input text:
  {"tokens":[...],"ids":[...],"offsets":[[start,end],...]}
with "type_ids" for pairs, "attention_mask" when padding, and "overflowing"
(a list of further windows of the same shape) when --stride is given.
Inputs are the TEXT arguments, or the lines of standard input when there
are none. Flags may come before or after the texts; put -- before texts
that start with "-".

Offsets are [start, end) in Unicode code points of the input (HF's
offset_mapping unit); --offsets=bytes gives UTF-8 byte offsets instead.
Added [CLS]/[SEP]/[PAD] have [0,0].

Casing: the folder's tokenizer_config.json decides, else tokenizer.json,
else the vocabulary (cased word tokens mean a cased model; the decision is
printed on stderr). --lower / --no-lower override it.`

type tokenizeOutput struct {
	Tokens        []string         `json:"tokens"`
	IDs           []int            `json:"ids"`
	Offsets       [][2]int         `json:"offsets"`
	TypeIDs       []int            `json:"type_ids,omitempty"`
	AttentionMask []int            `json:"attention_mask,omitempty"`
	Overflowing   []tokenizeOutput `json:"overflowing,omitempty"`
}

func runTokenize(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize", tokenizeSynopsis, stderr)
	model := fs.String("model", "", "model `DIR` (vocab.txt or tokenizer.json, tokenizer_config.json, config.json)")
	vocab := fs.String("vocab", "", "vocab.txt `FILE` (casing inferred from it unless --lower/--no-lower)")
	lower := fs.Bool("lower", false, "lower-case and strip accents (override the folder's casing)")
	noLower := fs.Bool("no-lower", false, "keep case (override the folder's casing)")
	pair := fs.String("pair", "", "second sequence `TEXT` for every input: [CLS] TEXT_in [SEP] pair [SEP]")
	maxLen := fs.Int("max-length", 0, "truncate to `N` tokens including specials (0: no truncation)")
	trunc := fs.String("truncation", "", "longest_first | only_first | only_second (default longest_first when --max-length is set)")
	stride := fs.Int("stride", -1, "with --max-length: also emit overflow windows sharing `N` tokens (-1: no windows)")
	padding := fs.String("padding", "none", "none | max_length | longest (over the inputs)")
	noSpecial := fs.Bool("no-special", false, "do not add [CLS]/[SEP]")
	offsets := fs.String("offsets", "chars", "offset unit: chars (code points, like HF) | bytes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*model == "") == (*vocab == "") {
		fs.Usage()
		return errors.New("give exactly one of --model and --vocab")
	}
	if *lower && *noLower {
		return errors.New("--lower and --no-lower contradict each other")
	}
	if *maxLen < 0 {
		return fmt.Errorf("--max-length %d: want N >= 0 (0: no truncation)", *maxLen)
	}
	if *offsets != "chars" && *offsets != "bytes" {
		return fmt.Errorf("--offsets %q: want chars or bytes", *offsets)
	}
	if _, err := tokenize.ParsePadding(*padding); err != nil {
		return err
	}
	if _, err := tokenize.ParseTruncation(*trunc); err != nil {
		return err
	}
	var override *bool
	if *lower || *noLower {
		override = lower
	}
	tok, err := loadCLITokenizer(*model, *vocab, override)
	if err != nil {
		return err
	}
	if override == nil && strings.HasPrefix(tok.Settings().LowerCaseReason, "no tokenizer_config.json") {
		fmt.Fprintf(stderr, "medbert tokenize: casing: %s\n", tok.Settings().LowerCaseReason)
	}

	opts, err := tokenizeOptions(tok, *noSpecial, *maxLen, *stride, *padding, *trunc)
	if err != nil {
		return err
	}
	texts := fs.Args()
	if len(texts) == 0 {
		if texts, err = readLines(os.Stdin); err != nil {
			return fmt.Errorf("read stdin: %w", err)
		}
	}
	isPair := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "pair" {
			isPair = true
		}
	})
	var encs []tokenize.Encoding
	if isPair {
		pairs := make([]string, len(texts))
		for i := range pairs {
			pairs[i] = *pair
		}
		encs, err = tok.EncodePairBatch(texts, pairs, opts)
	} else {
		encs, err = tok.EncodeBatch(texts, opts)
	}
	if err != nil {
		return err
	}
	return writeEncodings(stdout, encs, texts, *pair, isPair, opts.Padding != tokenize.PadNone, *offsets == "chars")
}

func loadCLITokenizer(model, vocab string, override *bool) (*tokenize.Tokenizer, error) {
	if model != "" {
		return tokenize.LoadDirWith(model, override)
	}
	v, err := tokenize.LoadVocab(vocab)
	if err != nil {
		return nil, err
	}
	return tokenize.New(v, tokenize.VocabSettings(v, override))
}

func toOutput(e *tokenize.Encoding, a, b string, pair, padded, chars bool) tokenizeOutput {
	out := tokenizeOutput{Tokens: e.Tokens, IDs: e.IDs, Offsets: e.Offsets}
	if chars {
		out.Offsets = e.CharOffsets(a, b)
	}
	if pair {
		out.TypeIDs = e.TypeIDs
	}
	if padded {
		out.AttentionMask = e.AttentionMask
	}
	return out
}

// readLines returns the lines of r without their "\n" or "\r\n" ends.
func readLines(r io.Reader) ([]string, error) {
	br := bufio.NewReader(r)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			lines = append(lines, line)
		}
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// tokenizeOptions turns the flags into encoding options.
func tokenizeOptions(tok *tokenize.Tokenizer, noSpecial bool, maxLen, stride int, padding, trunc string) (tokenize.Options, error) {
	opts := tokenize.Options{NoSpecialTokens: noSpecial, MaxLength: maxLen}
	var err error
	if opts.Padding, err = tokenize.ParsePadding(padding); err != nil {
		return opts, err
	}
	if trunc == "" && maxLen > 0 {
		trunc = "longest_first"
	}
	if opts.Truncation, err = tokenize.ParseTruncation(trunc); err != nil {
		return opts, err
	}
	if stride >= 0 {
		if maxLen <= 0 {
			return opts, errors.New("--stride needs --max-length")
		}
		opts.Stride, opts.ReturnOverflowing = stride, true
	}
	if opts.Padding == tokenize.PadMaxLength && maxLen <= 0 && tok.Settings().ModelMaxLength <= 0 {
		return opts, errors.New("--padding max_length needs --max-length (the model declares no maximum)")
	}
	return opts, nil
}

// writeEncodings prints one JSON object per encoding, its overflow
// windows nested.
func writeEncodings(stdout io.Writer, encs []tokenize.Encoding, texts []string, pair string, isPair, padded, chars bool) error {
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range encs {
		out := toOutput(&encs[i], texts[i], pair, isPair, padded, chars)
		for j := range encs[i].Overflowing {
			out.Overflowing = append(out.Overflowing, toOutput(&encs[i].Overflowing[j], texts[i], pair, isPair, padded, chars))
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	return w.Flush()
}
