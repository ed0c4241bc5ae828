// Command listimpls prints the kernel implementations this CPU and build
// can run, one per line, so CI can run the parity tests on each of them.
package main

import (
	"fmt"

	"github.com/medbert/medbert/kernels"
)

func main() {
	for _, name := range kernels.Available() {
		fmt.Println(name)
	}
}
