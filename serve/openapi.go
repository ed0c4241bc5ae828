package serve

import _ "embed"

// openAPI is the OpenAPI 3 description served at /openapi.json. A test
// checks it against Routes, the wire structs and live answers.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns a copy of the OpenAPI 3 document.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
