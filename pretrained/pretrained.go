// Package pretrained embeds medbert-clinical-small, a small BERT that
// medbert pre-trained itself (masked-LM, `medbert pretrain`) on openly
// licensed medical text, so a binary with no network and no model hub
// still starts fine-tuning from a model that knows medical language.
//
// The folder is a normal Hugging Face BERT folder (BertForMaskedLM
// weights in half precision, config.json, vocab.txt); its README.md is the
// model card: corpora and their licences, the exact pre-training commands,
// the loss curve and the held-out perplexity.
package pretrained

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/medbert/medbert/internal/atomicfile"
)

// Name is the model's name, accepted by `medbert --model` flags in place
// of a folder.
const Name = "medbert-clinical-small"

//go:embed medbert-clinical-small
var files embed.FS

// Files returns the model folder: config.json, model.safetensors,
// vocab.txt, tokenizer_config.json and the card (README.md, loss.svg).
func Files() fs.ReadFileFS {
	sub, err := fs.Sub(files, Name)
	if err != nil {
		panic("pretrained: " + err.Error()) // the embed pattern guarantees the folder
	}
	return sub.(fs.ReadFileFS)
}

// WriteDir writes the model folder into dir, creating it; files are
// written atomically, 0644 less the umask. It refuses a dir
// that already holds a config.json, so it never overwrites a model.
func WriteDir(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return fmt.Errorf("%s already holds a model (config.json); choose an empty folder", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	src := Files()
	ents, err := fs.ReadDir(src, ".")
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := src.ReadFile(e.Name())
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, e.Name()), b); err != nil {
			return err
		}
	}
	return nil
}

// TempDir writes the model folder into a new temporary folder for APIs
// that read a folder from disk; remove deletes it.
func TempDir() (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", Name+"-*")
	if err != nil {
		return "", nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	if err := WriteDir(dir); err != nil {
		remove()
		return "", nil, err
	}
	return dir, remove, nil
}
