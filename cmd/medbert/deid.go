package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medbert/medbert/deid"
	"github.com/medbert/medbert/safetensors"
)

func init() {
	register(&command{
		name:    "deid",
		summary: "remove PHI (names, dates, phones, IDs, places, ...) from clinical text",
		run:     runDeid,
	})
}

const deidSynopsis = `deid [--in FILE] [--out FILE] [flags]

De-identifies clinical text: finds the HIPAA Safe Harbor identifiers that
occur in notes (names, dates, ages over 89, phone/fax numbers, e-mail,
URLs, IPs, SSNs, record/account/licence/device numbers, addresses, cities,
facilities) and replaces them. Clinical content is kept: doses, vitals,
lab values, ages up to 89, ICD codes, drug names, eponyms, bare years.

Reads standard input and writes standard output unless --in/--out are
given; rows are streamed one at a time. JSONL rows keep every other field
in order; CSV needs a header row; txt treats each line as a document.

--spans adds "phi": [{"start","end","type"}] to each row (code points of
the original text, end-exclusive; an object keyed by field when several
--field are given). --report writes counts by type, never values.
--review writes an HTML page with the original text and the spans
highlighted (mode 0600: it contains PHI).`

type deidFlags struct {
	in, out, fields, format, policy, keyFile, patient, report, review string
	spans, redactYears                                                bool
	reviewLimit                                                       int
}

func runDeid(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("deid", deidSynopsis, stderr)
	var f deidFlags
	fs.StringVar(&f.in, "in", "", "input `FILE` (default standard input)")
	fs.StringVar(&f.out, "out", "", "output `FILE`, written atomically (default standard output)")
	fs.StringVar(&f.fields, "field", "text", "JSONL keys or CSV columns to de-identify, comma-separated")
	fs.StringVar(&f.format, "format", "", "jsonl | csv | txt (default: from the --in extension, else jsonl)")
	fs.StringVar(&f.policy, "policy", "placeholder", "placeholder ([NAME], [DATE], ...) | surrogate (consistent fake values, shifted dates)")
	fs.StringVar(&f.keyFile, "shift-key-file", "", "secret `FILE` whose bytes key the per-patient date shift and surrogates (default: a random key per run)")
	fs.StringVar(&f.patient, "patient-field", "", "`FIELD` whose value groups rows into patients for date shifting")
	fs.BoolVar(&f.spans, "spans", false, "add the detected spans to each row (\"phi\")")
	fs.StringVar(&f.report, "report", "", "write counts by PHI type as JSON to `FILE`")
	fs.BoolVar(&f.redactYears, "redact-years", false, "also replace bare years (kept by default, as Safe Harbor allows)")
	fs.StringVar(&f.review, "review", "", "write an HTML audit page to `OUT.html` (contains the original text)")
	fs.IntVar(&f.reviewLimit, "review-limit", 500, "documents shown on the --review page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (input comes from --in or standard input)", fs.Arg(0))
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	in := io.Reader(os.Stdin)
	if f.in != "" {
		file, err := os.Open(f.in)
		if err != nil {
			return err
		}
		defer file.Close()
		in = file
	}
	cfg.Progress = progressFunc(stderr)
	var rev *reviewFile
	if f.review != "" {
		if rev, err = createReview(f.review, f.reviewLimit); err != nil {
			return err
		}
		defer rev.abort()
		cfg.Review = rev.page
	}
	rep, err := runStream(in, stdout, f.out, cfg)
	if cfg.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	if rev != nil {
		if err := rev.commit(); err != nil {
			return err
		}
	}
	if f.report != "" {
		return safetensors.WriteAtomic(f.report, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		})
	}
	return nil
}

// config checks the flags and builds the stream configuration.
func (f *deidFlags) config() (deid.StreamConfig, error) {
	var cfg deid.StreamConfig
	policy, ok := deid.ParsePolicy(f.policy)
	if !ok {
		return cfg, fmt.Errorf("--policy %q: want placeholder or surrogate", f.policy)
	}
	format := f.format
	if format == "" {
		switch strings.ToLower(filepath.Ext(f.in)) {
		case ".csv":
			format = "csv"
		case ".txt":
			format = "txt"
		default:
			format = "jsonl"
		}
	}
	if format != "jsonl" && format != "csv" && format != "txt" {
		return cfg, fmt.Errorf("--format %q: want jsonl, csv or txt", format)
	}
	if format == "txt" && f.spans {
		return cfg, errors.New("--spans needs --format jsonl or csv (txt rows have no place for them)")
	}
	var key []byte
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return cfg, fmt.Errorf("--shift-key-file: %w", err)
		}
		if len(strings.TrimSpace(string(b))) < 16 {
			return cfg, fmt.Errorf("--shift-key-file %s: want at least 16 bytes of secret", f.keyFile)
		}
		key = b
	}
	var fields []string
	for _, x := range strings.Split(f.fields, ",") {
		if x = strings.TrimSpace(x); x != "" {
			fields = append(fields, x)
		}
	}
	if len(fields) == 0 {
		return cfg, errors.New("--field: give at least one field name")
	}
	det := deid.New(deid.Options{RedactYears: f.redactYears})
	return deid.StreamConfig{
		Format:       format,
		Fields:       fields,
		PatientField: f.patient,
		Spans:        f.spans,
		Replacer:     deid.NewReplacer(det, policy, key),
	}, nil
}

func runStream(in io.Reader, stdout io.Writer, out string, cfg deid.StreamConfig) (deid.Report, error) {
	var rep deid.Report
	if out == "" {
		var err error
		rep, err = deid.Stream(in, stdout, cfg)
		return rep, err
	}
	err := safetensors.WriteAtomic(out, func(w io.Writer) error {
		var err error
		rep, err = deid.Stream(in, w, cfg)
		return err
	})
	return rep, err
}

// progressFunc prints rows and megabytes on a terminal, at most once a second.
func progressFunc(stderr io.Writer) func(int, int64) {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start, last := time.Now(), time.Time{}
	return func(rows int, n int64) {
		if time.Since(last) < time.Second {
			return
		}
		last = time.Now()
		mb := float64(n) / 1e6
		fmt.Fprintf(stderr, "\r%d rows, %.1f MB, %.1f MB/s", rows, mb, mb/time.Since(start).Seconds())
	}
}

// reviewFile writes the review page to a private temporary file and
// renames it into place when the run succeeds.
type reviewFile struct {
	path string
	tmp  *os.File
	page *deid.Review
	done bool
}

func createReview(path string, limit int) (*reviewFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("--review: %w", err)
	}
	// CreateTemp makes the file 0600: the page holds PHI.
	return &reviewFile{path: path, tmp: tmp, page: deid.NewReview(tmp, limit)}, nil
}

func (r *reviewFile) commit() error {
	if err := r.page.Close(); err != nil {
		return fmt.Errorf("--review %s: %w", r.path, err)
	}
	if err := r.tmp.Sync(); err != nil {
		return fmt.Errorf("--review %s: %w", r.path, err)
	}
	if err := r.tmp.Close(); err != nil {
		return fmt.Errorf("--review %s: %w", r.path, err)
	}
	if err := os.Rename(r.tmp.Name(), r.path); err != nil {
		return fmt.Errorf("--review %s: %w", r.path, err)
	}
	r.done = true
	return nil
}

func (r *reviewFile) abort() {
	if !r.done {
		r.tmp.Close()
		os.Remove(r.tmp.Name())
	}
}
