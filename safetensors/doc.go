// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors) used by Hugging Face
// checkpoints.
//
// File layout: an 8-byte little-endian u64 header length N, N bytes of JSON
// (an object mapping tensor names to {"dtype","shape","data_offsets"} plus an
// optional "__metadata__" string-to-string map), then the data section: raw
// little-endian C-order tensor bytes. Offsets count from the first byte after
// the header.
//
// Reading is strict, mirroring the checks of the reference Rust crate plus a
// few more, so a malformed or hostile file gives an error instead of a panic
// or an out-of-bounds slice:
//
//   - 2 <= N <= 100,000,000 (the crate's MAX_HEADER_SIZE) and 8+N <= file size;
//   - the header is valid UTF-8 and exactly one JSON object, followed only by
//     whitespace (the crate pads with spaces); duplicate keys are rejected;
//   - "__metadata__", if present, is an object of strings (or null);
//   - each tensor entry has exactly the fields dtype, shape, data_offsets
//     (unknown fields are rejected); the dtype is one the crate knows;
//     dims are non-negative and their product times the dtype size neither
//     overflows nor differs from end-begin;
//   - sorted by begin, the spans tile the data section exactly: the first
//     starts at 0, each starts where the previous ended, and the last ends at
//     the end of the file. This forbids overlaps, gaps and trailing bytes,
//     which is what the Rust crate enforces (InvalidOffset /
//     MetadataIncompleteBuffer), so every file we accept loads in Python too.
//
// Every error is a *FormatError naming the file and the tensor or field.
//
// Writing produces the byte layout of the Rust crate's serialize: compact
// JSON with "__metadata__" first (keys sorted, since the crate's HashMap
// order is unspecified), tensors ordered by descending dtype (the crate's
// enum order) then by name, the header right-padded with spaces to a
// multiple of 8, and data with no gaps. Write is atomic (temp file in the
// same directory, fsync, rename, fsync of the directory).
package safetensors
