package baseline_test

import (
	"fmt"
	"strings"

	"github.com/medbert/medbert/baseline"
	"github.com/medbert/medbert/data"
)

// The dictionary tags the longest known entity string first.
func ExampleDictionary() {
	d := baseline.BuildDictionary([]data.Sentence{{
		Tokens: strings.Fields("breast cancer and cancer"),
		Tags:   strings.Fields("B-Disease I-Disease O B-Disease"),
	}})
	fmt.Println(d.Tag(strings.Fields("Breast cancer or lung cancer")))
	// Output: [B-Disease I-Disease O O B-Disease]
}
