// Command pretraincorpus gathers the openly licensed medical corpora of a
// shared data folder into the two JSONL files `medbert pretrain` reads:
// train.jsonl.gz and validation.jsonl.gz, one document per line as
// {"text": ..., "source": ...}. It is how the shipped model in
// pretrained/ was made (see pretrained/README.md for the full recipe).
//
// A document goes to validation when the FNV-1a hash of its source and
// key falls in the --validation-permille slice, so the split does not
// depend on file order and never changes between runs.
//
//	go run ./tools/pretraincorpus --data SHARED_DATA_DIR --out /path/corpus
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// doc is one pre-training document.
type doc struct {
	Text   string `json:"text"`
	Source string `json:"source"`
	key    string
}

func main() {
	data := flag.String("data", "", "the shared data folder (pmc-oa-rct-fulltext/, medquad/, ... with their READMEs)")
	out := flag.String("out", "", "output folder for train.jsonl.gz and validation.jsonl.gz")
	permille := flag.Uint("validation-permille", 5, "documents per thousand held out for validation")
	attribution := flag.String("attribution", "", "also write the per-article attribution records (CC BY) into this folder")
	flag.Parse()
	if *out == "" || *data == "" {
		fmt.Fprintln(os.Stderr, "pretraincorpus: --data and --out are required")
		os.Exit(2)
	}
	if err := run(*data, *out, uint32(*permille)); err != nil {
		fmt.Fprintln(os.Stderr, "pretraincorpus:", err)
		os.Exit(1)
	}
	if *attribution != "" {
		if err := writeAttribution(*data, *attribution); err != nil {
			fmt.Fprintln(os.Stderr, "pretraincorpus:", err)
			os.Exit(1)
		}
	}
}

// writeAttribution writes what CC BY asks to travel with a model built
// from the articles: PMC's manifest (copyright statement and licence per
// article) and CRAFT's per-article notices, gzipped.
func writeAttribution(data, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	manifest, err := os.ReadFile(filepath.Join(data, "pmc-oa-rct-fulltext", "manifest.tsv"))
	if err != nil {
		return err
	}
	if err := writeGz(filepath.Join(dir, "pmc-oa-rct-manifest.tsv.gz"), manifest); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("pmid\tlicense\tcopyright_notice\n")
	err = jsonlGz(filepath.Join(data, "craft-fulltext", "craft-articles.jsonl.gz"), func(m map[string]any) error {
		notice := strings.Join(strings.Fields(str(m, "copyright")), " ")
		fmt.Fprintf(&b, "%s\t%s\t%s\n", str(m, "pmid"), str(m, "license"), notice)
		return nil
	})
	if err != nil {
		return err
	}
	return writeGz(filepath.Join(dir, "craft-notices.tsv.gz"), []byte(b.String()))
}

func writeGz(path string, b []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func run(data, out string, permille uint32) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	readers := []func(string) ([]doc, error){pmcRCT, medquad, craft, mtsDialog, aciBench, medec, diseaseOntology}
	var docs []doc
	for _, r := range readers {
		d, err := r(data)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
	}
	var train, val []doc
	for _, d := range docs {
		h := fnv.New32a()
		io.WriteString(h, d.Source+"\x00"+d.key)
		if h.Sum32()%1000 < permille {
			val = append(val, d)
		} else {
			train = append(train, d)
		}
	}
	if err := write(filepath.Join(out, "train.jsonl.gz"), train); err != nil {
		return err
	}
	if err := write(filepath.Join(out, "validation.jsonl.gz"), val); err != nil {
		return err
	}
	counts := map[string][2]int{}
	for _, d := range train {
		c := counts[d.Source]
		c[0] += len(strings.Fields(d.Text))
		counts[d.Source] = c
	}
	for _, d := range val {
		c := counts[d.Source]
		c[1] += len(strings.Fields(d.Text))
		counts[d.Source] = c
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Printf("%-20s %12s %12s\n", "source", "train words", "valid words")
	for _, n := range names {
		fmt.Printf("%-20s %12d %12d\n", n, counts[n][0], counts[n][1])
	}
	fmt.Printf("%d train documents, %d validation documents\n", len(train), len(val))
	return nil
}

func write(path string, docs []doc) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	bw := bufio.NewWriter(zw)
	enc := json.NewEncoder(bw)
	for _, d := range docs {
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// jsonlGz calls fn with each object of a gzipped JSONL file.
func jsonlGz(path string, fn func(map[string]any) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(zr)
	for line := 1; ; line++ {
		var m map[string]any
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: record %d: %w", path, line, err)
		}
		if err := fn(m); err != nil {
			return fmt.Errorf("%s: record %d: %w", path, line, err)
		}
	}
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return strings.TrimSpace(s)
}

func pmcRCT(data string) ([]doc, error) {
	paths, err := filepath.Glob(filepath.Join(data, "pmc-oa-rct-fulltext", "articles-*.jsonl.gz"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("pmc-oa-rct-fulltext: no articles-*.jsonl.gz under %s", data)
	}
	sort.Strings(paths)
	var docs []doc
	for _, p := range paths {
		err := jsonlGz(p, func(m map[string]any) error {
			if t := str(m, "text"); t != "" {
				docs = append(docs, doc{Text: t, Source: "pmc-oa-rct", key: str(m, "pmcid")})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

func medquad(data string) ([]doc, error) {
	var docs []doc
	err := jsonlGz(filepath.Join(data, "medquad", "medquad-qa.jsonl.gz"), func(m map[string]any) error {
		q, a := str(m, "question"), str(m, "answer")
		if a != "" {
			docs = append(docs, doc{Text: q + "\n" + a, Source: "medquad", key: str(m, "qid")})
		}
		return nil
	})
	return docs, err
}

func craft(data string) ([]doc, error) {
	var docs []doc
	err := jsonlGz(filepath.Join(data, "craft-fulltext", "craft-articles.jsonl.gz"), func(m map[string]any) error {
		if t := str(m, "text"); t != "" {
			docs = append(docs, doc{Text: t, Source: "craft", key: str(m, "pmid")})
		}
		return nil
	})
	return docs, err
}

// csvRows calls fn with each row of a CSV file as a header → value map.
func csvRows(path string, fn func(map[string]string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		m := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				m[strings.TrimPrefix(h, "\ufeff")] = strings.TrimSpace(rec[i])
			}
		}
		fn(m)
	}
}

func mtsDialog(data string) ([]doc, error) {
	paths, _ := filepath.Glob(filepath.Join(data, "mts-dialog", "*.csv"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("mts-dialog: no CSV under %s", data)
	}
	sort.Strings(paths)
	var docs []doc
	for _, p := range paths {
		base := filepath.Base(p)
		err := csvRows(p, func(m map[string]string) {
			if t := m["section_text"]; t != "" {
				docs = append(docs, doc{Text: t, Source: "mts-dialog", key: base + "/note/" + m["ID"]})
			}
			if t := m["dialogue"]; t != "" {
				docs = append(docs, doc{Text: t, Source: "mts-dialog", key: base + "/dialogue/" + m["ID"]})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

func aciBench(data string) ([]doc, error) {
	paths, _ := filepath.Glob(filepath.Join(data, "aci-bench", "*.csv"))
	var docs []doc
	for _, p := range paths {
		if strings.HasSuffix(p, "_metadata.csv") {
			continue
		}
		base := filepath.Base(p)
		err := csvRows(p, func(m map[string]string) {
			if t := m["note"]; t != "" {
				docs = append(docs, doc{Text: t, Source: "aci-bench", key: base + "/note/" + m["encounter_id"]})
			}
			if t := m["dialogue"]; t != "" {
				docs = append(docs, doc{Text: t, Source: "aci-bench", key: base + "/dialogue/" + m["encounter_id"]})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("aci-bench: no notes under %s", data)
	}
	return docs, nil
}

// medec keeps the corrected text of vignettes that carry an injected
// error, so the model never learns the wrong fact.
func medec(data string) ([]doc, error) {
	paths, _ := filepath.Glob(filepath.Join(data, "medec-ms", "*.csv"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("medec-ms: no CSV under %s", data)
	}
	sort.Strings(paths)
	var docs []doc
	for _, p := range paths {
		err := csvRows(p, func(m map[string]string) {
			t := m["Text"]
			if m["Error Flag"] == "1" {
				t = m["Corrected Text"]
				if t == "" || t == "NA" {
					return
				}
			}
			if t != "" {
				docs = append(docs, doc{Text: t, Source: "medec-ms", key: m["Text ID"]})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// diseaseOntology makes one document per definition: "NAME: definition".
func diseaseOntology(data string) ([]doc, error) {
	dir := filepath.Join(data, "disease-ontology")
	names := map[string]string{}
	if err := tsvRows(filepath.Join(dir, "HumanDO.tsv"), func(r []string) {
		if len(r) >= 2 {
			names[r[0]] = r[1]
		}
	}); err != nil {
		return nil, err
	}
	var docs []doc
	err := tsvRows(filepath.Join(dir, "doid-definitions-2018.tsv"), func(r []string) {
		if len(r) < 2 || r[1] == "" {
			return
		}
		t := r[1]
		if n := names[r[0]]; n != "" {
			t = n + ": " + t
		}
		docs = append(docs, doc{Text: t, Source: "disease-ontology", key: r[0]})
	})
	return docs, err
}

func tsvRows(path string, fn func([]string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		fs := strings.Split(sc.Text(), "\t")
		for i := range fs {
			fs[i] = strings.Trim(fs[i], `"`)
		}
		fn(fs)
	}
	return sc.Err()
}
