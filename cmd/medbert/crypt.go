package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/seal"
)

func init() {
	register(&command{
		name:    "keygen",
		summary: "create an AES-256 key file for encrypt/decrypt and encrypted audit logs",
		run:     runKeygen,
	})
	register(&command{
		name:    "encrypt",
		summary: "encrypt a file or a model folder at rest (AES-256-GCM, --key-file)",
		run:     func(args []string, stdout, stderr io.Writer) error { return runCrypt(true, args, stdout, stderr) },
	})
	register(&command{
		name:    "decrypt",
		summary: "decrypt a file or folder made by medbert encrypt (--key-file)",
		run:     func(args []string, stdout, stderr io.Writer) error { return runCrypt(false, args, stdout, stderr) },
	})
}

const keygenHelp = `Creates a new random 256-bit key as 64 hex digits in a new file (mode 0600).
It never overwrites a file: replacing a key makes everything sealed with it
unreadable. Keep a copy of the key somewhere safe and apart from the data.
Use it with: medbert encrypt/decrypt --key-file F, and encrypted audit logs.
(Audit-log signing keys are Ed25519 pairs: medbert audit keygen.)
`

func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keygen", "keygen --out FILE", stderr)
	out := fs.String("out", "", "key file to create (must not exist)")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stderr, "\n"+keygenHelp) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("want --out FILE and no other arguments")
	}
	k, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	if err := seal.WriteKeyFile(*out, k); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote AES-256 key %s (mode 0600); back it up: data sealed with it cannot be recovered without it\n", *out)
	return nil
}

const cryptHelp = `IN is a file or a folder. A folder (e.g. a model folder) becomes a new folder
holding every file as NAME.sealed; decrypt turns it back. OUT must not exist;
it appears complete or not at all. Sealed files are mode 0644 and decrypted
files 0600 (before the umask). Every chunk is authenticated: a wrong key, a
changed byte, a cut or reordered file is an error and writes nothing.
Encrypted model folders can be served without decrypting them to disk.
`

// runCrypt is encrypt (enc) or decrypt.
func runCrypt(enc bool, args []string, stdout, stderr io.Writer) error {
	name := map[bool]string{true: "encrypt", false: "decrypt"}[enc]
	fs := newFlags(name, name+" --key-file F IN OUT", stderr)
	keyFile := fs.String("key-file", "", "AES-256 key file (from medbert keygen)")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(stderr, "\n"+cryptHelp) }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || *keyFile == "" {
		fs.Usage()
		return errors.New("want --key-file F IN OUT")
	}
	in, out := pos[0], pos[1]
	if filepath.Clean(in) == filepath.Clean(out) {
		return errors.New("IN and OUT are the same path")
	}
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("%s already exists; refusing to overwrite", out)
	}
	key, err := seal.LoadKey(*keyFile)
	if err != nil {
		return err
	}
	st, err := os.Stat(in)
	if err != nil {
		return err
	}
	switch {
	case st.IsDir() && enc:
		err = seal.EncryptDir(in, out, key)
	case st.IsDir():
		err = seal.DecryptDir(in, out, key)
	case enc && seal.IsSealed(in):
		return fmt.Errorf("%s is already sealed", in)
	case enc:
		err = seal.EncryptFile(in, out, key)
	default:
		err = seal.DecryptFile(in, out, key)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%sed %s -> %s\n", name, in, out)
	return nil
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments (the flag package stops at the first positional).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
