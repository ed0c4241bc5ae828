package seal_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/medbert/medbert/seal"
)

func Example() {
	key, _ := seal.GenerateKey() // in practice: seal.LoadKey("aes.key")
	var sealed bytes.Buffer
	w, _ := seal.NewWriter(&sealed, key)
	io.WriteString(w, "model weights")
	w.Close() // writes the last chunk; without it the stream reads as truncated
	fmt.Println(sealed.Len() == seal.HeaderSize+len("model weights")+seal.Overhead)

	r, _ := seal.NewReader(bytes.NewReader(sealed.Bytes()), key)
	plain, err := io.ReadAll(r)
	fmt.Printf("%s %v\n", plain, err)

	other, _ := seal.GenerateKey()
	_, err = seal.NewReader(bytes.NewReader(sealed.Bytes()), other)
	fmt.Println(err)
	// Output:
	// true
	// model weights <nil>
	// seal: wrong key (the key check in the header does not match)
}
