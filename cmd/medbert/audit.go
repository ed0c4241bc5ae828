package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/medbert/medbert/audit"
	"github.com/medbert/medbert/seal"
)

func init() {
	register(&command{
		name:    "audit",
		summary: "verify a decision audit log (audit verify), or create its signing key pair (audit keygen)",
		run:     runAudit,
	})
}

const auditHelp = `Usage: medbert audit verify FILE [--pubkey F] [--key-file F] [--head F | --no-head]
       medbert audit keygen --out PREFIX

verify  checks every record's hash chain and every checkpoint's signature and
        exits 0 when the log is intact, or 1 naming the first broken or
        missing record (line and seq).
keygen  writes an Ed25519 signing key pair: PREFIX.key (private, 0600, for
        the server) and PREFIX.pub (for verifiers). PEM (PKCS #8 / PKIX).
`

func runAudit(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, auditHelp)
		if len(args) == 0 {
			return errors.New("want a subcommand: verify or keygen")
		}
		return nil
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(args[1:], stdout, stderr)
	case "keygen":
		return runAuditKeygen(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, auditHelp)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

const auditVerifyHelp = `Reads the whole log. Without --pubkey only the hash chain is checked (a
warning says so). The anchor FILE.head, which the writer keeps beside the log,
is checked when it exists (or name one with --head; --no-head skips it):
with it, a log cut before its last checkpoint is reported as a missing tail.
Records after the last checkpoint are reported as unprotected: deleting them
would go unnoticed unless an anchor newer than them is kept elsewhere.
`

func runAuditVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit verify", "audit verify FILE [--pubkey F] [--key-file F] [--head F | --no-head]", stderr)
	pubFile := fs.String("pubkey", "", "Ed25519 public key file (PEM) that signed the checkpoints")
	keyFile := fs.String("key-file", "", "AES-256 key file, for an encrypted log")
	head := fs.String("head", "", "anchor checkpoint file (default: FILE.head when it exists)")
	noHead := fs.Bool("no-head", false, "do not check an anchor file")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stderr, "\n"+auditVerifyHelp) }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("want exactly one log FILE")
	}
	path := pos[0]
	var opt audit.VerifyOptions
	if *pubFile != "" {
		if opt.PublicKey, err = audit.LoadPublicKey(*pubFile); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stderr, "WARNING: no --pubkey: checkpoint signatures are not checked, so a rewritten log would pass")
	}
	if *keyFile != "" {
		k, err := seal.LoadKey(*keyFile)
		if err != nil {
			return err
		}
		opt.SealKey = &k
	}
	if !*noHead {
		if opt.Anchor, err = readAnchor(path, *head, opt.PublicKey, stderr); err != nil {
			return err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := audit.VerifyWith(f, opt)
	if err != nil {
		return fmt.Errorf("%s: NOT INTACT: %w", path, err)
	}
	printReport(stdout, path, rep)
	return nil
}

// readAnchor loads the anchor checkpoint named by --head, or else
// FILE.head if it exists.
func readAnchor(path, name string, pub ed25519.PublicKey, stderr io.Writer) ([]byte, error) {
	if name == "" {
		name = path + ".head"
		if _, err := os.Stat(name); err != nil {
			return nil, nil
		}
	}
	if pub == nil {
		fmt.Fprintf(stderr, "WARNING: %s not checked: an anchor needs --pubkey\n", name)
		return nil, nil
	}
	return os.ReadFile(name)
}

func printReport(w io.Writer, path string, r audit.Report) {
	if r.Records == 0 {
		fmt.Fprintf(w, "%s: intact: no records yet\n", path)
		return
	}
	fmt.Fprintf(w, "%s: intact: %d records (seq 0..%d)", path, r.Records, r.LastSeq)
	if r.Sealed {
		fmt.Fprint(w, ", encrypted")
	}
	fmt.Fprintln(w)
	switch {
	case r.Checkpoints == 0:
		fmt.Fprintln(w, "no checkpoints: a cut tail would go unnoticed (was the log written without a signing key?)")
	case r.Signed:
		fmt.Fprintf(w, "%d checkpoints signed by key %s verified; last at seq %d\n", r.Checkpoints, r.KeyID, r.LastSigned)
	default:
		fmt.Fprintf(w, "%d checkpoints (signatures NOT checked: no --pubkey); last at seq %d\n", r.Checkpoints, r.LastSigned)
	}
	if r.AnchorSeq >= 0 {
		fmt.Fprintf(w, "anchor checkpoint seq %d found in the log\n", r.AnchorSeq)
	}
	if r.Unprotected > 0 {
		fmt.Fprintf(w, "%d records after the last checkpoint are unprotected (a crash, a running writer, or a cut tail)\n", r.Unprotected)
	}
}

func runAuditKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit keygen", "audit keygen --out PREFIX   (writes PREFIX.key, 0600, and PREFIX.pub)", stderr)
	out := fs.String("out", "", "path prefix of the key pair")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("want --out PREFIX")
	}
	privPath, pubPath, err := audit.GenerateKeyFiles(*out)
	if err != nil {
		return err
	}
	pub, err := audit.LoadPublicKey(pubPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (private, 0600: give it to the server only) and %s (public: for audit verify); key id %s\n",
		privPath, pubPath, audit.KeyID(pub))
	return nil
}
