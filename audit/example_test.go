package audit_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/audit"
)

func Example() {
	dir, _ := os.MkdirTemp("", "audit-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "decisions.log")

	// In production: audit.GenerateKeyFiles once, then audit.LoadPrivateKey.
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	w, err := audit.Open(path, audit.Options{Sync: audit.SyncStrict, SigningKey: priv})
	if err != nil {
		fmt.Println(err)
		return
	}
	note := "58 y/o with chest pain radiating to the left arm"
	seq, _ := w.Append(audit.Record{
		RequestID:   "req-1",
		Model:       "icd",
		InputSHA256: audit.HashText(note), // the note itself stays out of the log
		Labels:      []audit.Label{{Label: "I21", Score: 0.91}},
		LatencyMS:   14.2,
	})
	w.Close() // appends a final signed checkpoint

	f, _ := os.Open(path)
	defer f.Close()
	rep, err := audit.Verify(f, priv.Public().(ed25519.PublicKey))
	fmt.Println(seq, rep.Records, rep.Checkpoints, rep.Unprotected, err)
	// Output: 0 2 1 0 <nil>
}
