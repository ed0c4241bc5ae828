package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/medbert/medbert/pretrained"
)

// builtinModel resolves a --model value: the name of the embedded
// pre-trained model (when no file or folder of that name exists here) is
// written to a temporary folder, which cleanup removes; any other value
// is returned as is.
func builtinModel(path string) (dir string, cleanup func(), err error) {
	if path != pretrained.Name {
		return path, func() {}, nil
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return path, func() {}, nil
	}
	return pretrained.TempDir()
}
